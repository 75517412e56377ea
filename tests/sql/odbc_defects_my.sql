-- issue 10 through the MariaDB ODBC driver (items 8, 14, 16, 20 and the row
-- counts of item 6).  Data: tests/fixtures/odbc_defects_my.my.sql.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_my');

-- issue 10 item 8: query= tables turned their own read-only mode off.
-- Each query= statement runs in START TRANSACTION READ ONLY, rolled back:
-- a function that turns the session read-write changes nothing for the next
CREATE VIRTUAL TABLE ro_rw USING pontoon(o, query='SELECT odd_read_write() AS x');
SELECT * FROM ro_rw;
-- a function that inserts is refused, and nothing is inserted
CREATE VIRTUAL TABLE ro_ins USING pontoon(o, query='SELECT odd_insert_row() AS x');
SELECT * FROM ro_ins;
CREATE VIRTUAL TABLE ro_ins2 USING pontoon(o, query='SELECT id, id = 3 AND odd_insert_row() = 1 AS x FROM odd_rows');
SELECT * FROM ro_ins2;
-- (columns= declares the table without running the query: the SELECT runs it)
CREATE VIRTUAL TABLE ro_ins3 USING pontoon(o, query='SELECT odd_insert_row() AS x', columns='"x" int');
SELECT * FROM ro_ins3;
-- a query= text that closes pontoon's SELECT and goes on is refused
CREATE VIRTUAL TABLE ro_two USING pontoon(o, query='SELECT 1 AS a) AS q; COMMIT; SET SESSION TRANSACTION READ WRITE; DELETE FROM odd_rows; SELECT * FROM (SELECT 1 AS a');
-- two query= tables read at once share one read-only transaction
CREATE VIRTUAL TABLE ro_ids USING pontoon(o, query='SELECT id FROM odd_rows');
SELECT count(*) FROM ro_ids a, ro_ids b;
.read @TESTS@/sql/odbc_defects_names.inc
-- $n inside strings, quoted names and comments is text; an unquoted a$1
-- is a name
SELECT pontoon_exec('o', 'UPDATE `odd''names` SET a1 = CONCAT(''$1'', $1, "$2\"") WHERE id = 1 /* $2 */ # $3', 'x');
SELECT pontoon_exec('o', 'UPDATE `odd''names` SET a1 = CONCAT(a1, ''\'' $2'', a$1) WHERE `a$1` = $1 -- $3', 'y');
SELECT a1 FROM names;

-- issue 10 item 16 (ODBC): $n beyond the arguments (MySQL took it as a
-- name), and extra arguments (ignored)
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = $1 WHERE id = $2', 'x');
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = $1 WHERE id = 1', 'x', 'y');
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = v WHERE id = 1', 'x');
SELECT group_concat(id || v, ' ') FROM rows;

-- issue 10 item 6 (ODBC): an UPDATE that sets the value already there
-- counts the row it matched (the driver's FOUND_ROWS option), also when
-- the connection string sets other options
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 5 WHERE id = 1');
SELECT pontoon_connect('o2', 'odbc:DSN=pontoon_my;OPTION=0');
SELECT pontoon_exec('o2', 'UPDATE odd_same SET v = 5 WHERE id = 1');
-- the driver's compressed protocol (OPTION bit 2048, CLIENT_COMPRESS) is
-- kept when pontoon adds its FOUND_ROWS bit: the server sees the session
-- compressed, and the UPDATE still counts the row it matched
CREATE VIRTUAL TABLE zip USING pontoon(o, query='SELECT variable_value AS v FROM information_schema.session_status WHERE variable_name = ''COMPRESSION''');
SELECT 'compressed', v FROM zip;
SELECT pontoon_connect('o3', 'odbc:DSN=pontoon_my;OPTION=2048');
CREATE VIRTUAL TABLE zip3 USING pontoon(o3, query='SELECT variable_value AS v FROM information_schema.session_status WHERE variable_name = ''COMPRESSION''');
SELECT 'compressed', v FROM zip3;
SELECT pontoon_exec('o3', 'UPDATE odd_same SET v = 5 WHERE id = 1');

-- issue 10 item 20 (ODBC): one statement per call, refused clearly
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 6 WHERE id = 1; UPDATE odd_same SET v = v + 1 WHERE id = 1');
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 6 WHERE id = 1; -- a trailing ; is one statement');
CREATE VIRTUAL TABLE same USING pontoon(o, odd_same);
SELECT * FROM same;
