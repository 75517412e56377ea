-- issue 10 through psqlODBC (items 8, 14, 16, 20 and the row counts of
-- item 6).  Data: tests/fixtures/odbc_defects_pg.pg.sql.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_pg');

-- issue 10 item 8: query= tables turned their own read-only mode off.
-- Each query= statement runs in its own READ ONLY transaction, rolled back:
-- a query that turns the session's default off changes nothing for the next
CREATE VIRTUAL TABLE ro_off USING pontoon(o, query='SELECT set_config(''default_transaction_read_only'', ''off'', false) AS x');
SELECT * FROM ro_off;
CREATE VIRTUAL TABLE ro_state USING pontoon(o, query='SELECT current_setting(''transaction_read_only'') AS ro, current_setting(''default_transaction_read_only'') AS def');
SELECT * FROM ro_state;
-- the transaction itself cannot be turned read-write
CREATE VIRTUAL TABLE ro_rw USING pontoon(o, query='SELECT set_config(''transaction_read_only'', ''off'', false) AS x');
SELECT * FROM ro_rw;
-- a function that deletes is refused, and nothing is deleted
CREATE VIRTUAL TABLE ro_del USING pontoon(o, query='SELECT odd_delete_rows() AS n');
SELECT * FROM ro_del;
-- settings a query makes are rolled back with its transaction
CREATE VIRTUAL TABLE ro_set USING pontoon(o, query='SELECT set_config(''pontoon.mark'', ''set'', false) AS x');
SELECT * FROM ro_set;
CREATE VIRTUAL TABLE ro_get USING pontoon(o, query='SELECT coalesce(nullif(current_setting(''pontoon.mark'', true), ''''), ''(none)'') AS mark');
SELECT * FROM ro_get;
-- psqlODBC runs several statements given in one text: a query= text that
-- closes pontoon's SELECT and goes on is refused before anything runs
CREATE VIRTUAL TABLE ro_two USING pontoon(o, query='SELECT 1 AS a) AS q; COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM odd_rows; SELECT * FROM (SELECT 1 AS a');
CREATE VIRTUAL TABLE ro_reset USING pontoon(o, query='SELECT 1 AS a) AS q; RESET ALL; DISCARD ALL; SELECT * FROM (SELECT 1 AS a');
-- two query= tables read at once share one read-only transaction
CREATE VIRTUAL TABLE ro_ids USING pontoon(o, query='SELECT id FROM odd_rows');
SELECT count(*) FROM ro_ids a, ro_ids b;
.read @TESTS@/sql/odbc_defects_names.inc
-- $n inside strings, quoted names and comments is text
SELECT pontoon_exec('o', 'UPDATE "odd''names" SET a1 = ''$1'' || $1 WHERE id = 1 /* $2 */ -- $3', 'x');
SELECT pontoon_exec('o', 'UPDATE "odd''names" SET a1 = a1 || $q$$2'';$q$ || E''\'' $3'' WHERE "a$1" = $1', 'y');
SELECT a1 FROM names;

-- issue 10 item 16 (ODBC): $n beyond the arguments, and extra arguments
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = $1 WHERE id = $2', 'x');
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = $1 WHERE id = 1', 'x', 'y');
SELECT pontoon_exec('o', 'UPDATE odd_rows SET v = v WHERE id = 1', 'x');
SELECT pontoon_exec('o', 'SELECT $0');
SELECT group_concat(id || v, ' ') FROM rows;

-- issue 10 item 6 (ODBC): an UPDATE that sets the value already there
-- counts the row it matched
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 5 WHERE id = 1');

-- issue 10 item 20 (ODBC): psqlODBC runs several statements in one call
SELECT pontoon_exec('o', 'UPDATE odd_same SET v = 6 WHERE id = 1; UPDATE odd_same SET v = v + 1 WHERE id = 1');
CREATE VIRTUAL TABLE same USING pontoon(o, odd_same);
SELECT * FROM same;
