-- issue 10 through the SQLite ODBC driver (items 8, 14, 16, 20 and the
-- row counts of item 6), against the harness's file pontoon_sqlite.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_sqlite');
SELECT pontoon_exec('o', 'DROP TABLE IF EXISTS odd_rows');
SELECT pontoon_exec('o', 'CREATE TABLE odd_rows (id integer PRIMARY KEY, v text)');
SELECT pontoon_exec('o', 'INSERT INTO odd_rows VALUES (1, ''a''), (2, ''b''), (3, ''c'')');
SELECT pontoon_exec('o', 'DROP TABLE IF EXISTS "odd''names"');
SELECT pontoon_exec('o', 'CREATE TABLE "odd''names" (id integer PRIMARY KEY, "a$1" text, "it''s" int, a1 text)');
SELECT pontoon_exec('o', 'INSERT INTO "odd''names" VALUES (1, ''x'', 10, ''one'')');
SELECT pontoon_exec('o', 'DROP TABLE IF EXISTS odd_same');
SELECT pontoon_exec('o', 'CREATE TABLE odd_same (id integer PRIMARY KEY, v int)');
SELECT pontoon_exec('o', 'INSERT INTO odd_same VALUES (1, 5)');

-- issue 10 item 8: query= tables stay read-only.  query_only cannot be
-- turned off from a query (the pragma's function takes no argument), and
-- the driver runs several statements given in one text: a query= text
-- that closes pontoon's SELECT and goes on is refused before anything runs
CREATE VIRTUAL TABLE ro_off USING pontoon(o, query='SELECT * FROM pragma_query_only(0)');
CREATE VIRTUAL TABLE ro_two USING pontoon(o, query='SELECT 1 AS a) AS q; PRAGMA query_only = 0; DELETE FROM odd_rows; SELECT * FROM (SELECT 1 AS a');
CREATE VIRTUAL TABLE ro_state USING pontoon(o, query='SELECT query_only AS q FROM pragma_query_only');
SELECT * FROM ro_state;
-- two query= tables read at once, and the file stays writable afterwards
-- (the read-only transaction is rolled back when the last closes)
CREATE VIRTUAL TABLE ro_ids USING pontoon(o, query='SELECT id FROM odd_rows');
SELECT count(*) FROM ro_ids a, ro_ids b;
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = v WHERE id = 1');
.read @TESTS@/sql/odbc_defects_names.inc
-- $n inside strings, quoted names and comments is text
SELECT pontoon_exec('o', 'UPDATE "odd''names" SET a1 = ''$1'' || $1 || [a$1] WHERE id = 1 /* $2 */ -- $3', 'x');
SELECT a1 FROM names;

-- issue 10 item 16 (ODBC): $n beyond the arguments, and extra arguments
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = $1 WHERE id = $2', 'x');
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = $1 WHERE id = 1', 'x', 'y');
SELECT group_concat(id || v, ' ') FROM rows;

-- issue 10 item 6 (ODBC): an UPDATE that sets the value already there
-- counts the row it matched
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 5 WHERE id = 1');

-- issue 10 item 20 (ODBC): the SQLite driver runs several statements
-- without parameters, and refuses them with parameters
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 6 WHERE id = 1; UPDATE odd_same SET v = v + 1 WHERE id = 1');
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = $1 WHERE id = 1; UPDATE odd_same SET v = v + 1 WHERE id = 1', 10);
CREATE VIRTUAL TABLE same USING pontoon(o, odd_same);
SELECT * FROM same;
