-- Regression tests of issue 11 item 2 for the native MySQL/MariaDB driver:
-- pontoon writes its statements with marked placeholders (no driver scans
-- SQL text), and a user's $n (pontoon_exec) are read by the MySQL dialect's
-- tokenizer in the bridge.  Data: tests/fixtures/place_my.my.sql.
.mode list
.headers on
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
CREATE VIRTUAL TABLE t USING pontoon(my, place_t);
-- issue 11 item 2: an IN list is one list mark (mysql.c's private $$n is
-- gone): quotes, backslashes and a '$1' among the values stay values
SELECT id, v FROM t WHERE v IN ('it''s', 'a\b', '$1', 'none') ORDER BY id;
SELECT id, v FROM t WHERE id IN (1, 3, 5) ORDER BY id;
-- the statements pontoon writes take values by mark: a value holding $1,
-- a quote or a backslash is written as a value
UPDATE t SET v = '$2 it''s \' WHERE id = 1;
SELECT id, v FROM t WHERE id = 1;
-- issue 11 item 2: the text inside /*! ... */ is run by the server, so a $n
-- there is a parameter (the native driver used to skip it as a comment and
-- refused the statement: "the statement requires 0")
SELECT pontoon_exec('my', 'UPDATE place_t SET v = /*! $1 */ WHERE id = 2', 'from /*!');
SELECT id, v FROM t WHERE id = 2;
-- $n in strings, quoted names, # and -- comments are text; a$1 is a name
SELECT pontoon_exec('my', 'UPDATE place_t SET `v` = CONCAT(''$1 '', $1, "$2") WHERE id = 4 # $2', 'x');
SELECT id, v FROM t WHERE id = 4;
SELECT pontoon_exec('my', 'UPDATE place_t SET v = $1 -- $2
 WHERE id = $2', 'two lines', 4);
SELECT id, v FROM t WHERE id = 4;
-- a backslash escapes a quote in a string, unless the session says
-- NO_BACKSLASH_ESCAPES: the tokenizer reads the text as the session does
SELECT pontoon_exec('my', 'UPDATE place_t SET v = CONCAT(''a\''$1'', $1) WHERE id = 5', 'b');
SELECT id, v FROM t WHERE id = 5;
SELECT pontoon_exec('my', 'SET SESSION sql_mode = CONCAT(@@sql_mode, '',NO_BACKSLASH_ESCAPES'')');
SELECT pontoon_exec('my', 'UPDATE place_t SET v = CONCAT(''a\'', $1) WHERE id = 5', 'c');
SELECT id, v FROM t WHERE id = 5;
SELECT pontoon_exec('my', 'SET SESSION sql_mode = REPLACE(@@sql_mode, ''NO_BACKSLASH_ESCAPES'', '''')');
-- parameter counts are checked in PostgreSQL's words, as on every engine
SELECT pontoon_exec('my', 'UPDATE place_t SET v = $1 WHERE id = $3', 'x', 1);
SELECT pontoon_exec('my', 'UPDATE place_t SET v = ''$1'' WHERE id = 1', 'x');
-- one statement, and a trailing comment after its ';'
SELECT pontoon_exec('my', 'UPDATE place_t SET v = $1 WHERE id = 3; -- done', 'three');
SELECT id, v FROM t ORDER BY id;
