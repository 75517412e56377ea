-- Regression tests of issue 10 (PostgreSQL and the SQL functions): each
-- block names the item it guards.  Data: tests/fixtures/pg_defects.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE rows USING pontoon(pg, 'pgd.rows');

-- issue 10 item 8: a query= table turned read-only mode off for the session
-- (set_config(..., false)); a later query= table then deleted rows.  Every
-- query= statement now runs in a READ ONLY transaction that is rolled back.
CREATE VIRTUAL TABLE q_off USING pontoon(pg, query='SELECT set_config(''default_transaction_read_only'', ''off'', false) AS s');
SELECT * FROM q_off;
CREATE VIRTUAL TABLE q_off2 USING pontoon(pg, query='SELECT set_config(''transaction_read_only'', ''off'', false) AS s');
SELECT * FROM q_off2;
CREATE VIRTUAL TABLE q_wipe USING pontoon(pg, query='SELECT pgd.wipe() AS n');
SELECT * FROM q_wipe;
SELECT * FROM q_off;
SELECT * FROM q_wipe;
SELECT * FROM q_wipe LIMIT 1;
SELECT pontoon_count('q_wipe');
-- the rows are all there
SELECT count(*) FROM rows;

-- issue 10 item 20: pontoon_count's where ran on the read-write connection
SELECT pontoon_count('rows', 'pgd.wipe() > 0');
BEGIN;
INSERT INTO rows VALUES (4, 'd');
SELECT pontoon_count('rows');
SELECT pontoon_count('rows', 'pgd.wipe() > 0');
SELECT pontoon_count('rows', 'id > 2');
COMMIT;
SELECT count(*) FROM rows;
DELETE FROM rows WHERE id = 4;

-- issue 10 item 20: COMMIT/ROLLBACK through pontoon_exec inside a SQLite
-- transaction ended the remote transaction apart from the local one
BEGIN;
INSERT INTO rows VALUES (5, 'e');
SELECT pontoon_exec('pg', 'COMMIT');
SELECT pontoon_exec('pg', 'rollback');
SELECT pontoon_exec('pg', '/* c */ End');
SELECT pontoon_exec('pg', 'SELECT 1; COMMIT');
SELECT pontoon_exec('pg', 'SELECT '';''; ABORT');
SELECT pontoon_exec('pg', 'BEGIN');
SELECT pontoon_exec('pg', 'START TRANSACTION');
SELECT pontoon_exec('pg', 'SAVEPOINT s');
SELECT pontoon_exec('pg', 'RELEASE SAVEPOINT pt_begin');
SELECT pontoon_exec('pg', 'PREPARE TRANSACTION ''x''');
SELECT pontoon_exec('pg', 'SET TRANSACTION READ ONLY');
SELECT pontoon_exec('pg', 'SELECT 1 -- x
; commit');
-- not transaction control: strings, dollar quotes, comments, identifiers
SELECT pontoon_exec('pg', 'SELECT ''COMMIT''');
SELECT pontoon_exec('pg', 'SELECT $$; COMMIT$$');
SELECT pontoon_exec('pg', 'SELECT $t$ ; ROLLBACK $t$ /* ; COMMIT */');
SELECT pontoon_exec('pg', 'SELECT 1 AS "; commit"');
SELECT pontoon_exec('pg', 'DO $$BEGIN PERFORM 1; END$$');
SELECT pontoon_exec('pg', 'UPDATE pgd.rows SET v = v || ''!'' WHERE id = 5');
ROLLBACK;
SELECT * FROM rows ORDER BY id;

-- issue 10 item 18: pontoon_exec('pg', '') failed with an empty message;
-- SQL with no statement in it does nothing, as psql
SELECT pontoon_exec('pg', '');
SELECT pontoon_exec('pg', '  -- nothing
 /* at all */ ;');

-- issue 10 item 16: $n beyond the arguments and extra arguments are refused
SELECT pontoon_exec('pg', 'SELECT $1::int + $2::int', 1);
SELECT pontoon_exec('pg', 'SELECT $1::int', 1, 2);
SELECT pontoon_exec('pg', 'SELECT $1::int');
SELECT pontoon_exec('pg', 'SELECT $1::int + $2::int', 1, 2);

-- issue 10 item 13: a NUL byte cut text arguments silently
SELECT pontoon_connect('pg2', '@PG_URI_NOPW@' || char(0) || '?sslmode=require');
SELECT pontoon_connect('pg' || char(0) || 'x', '@PG_URI_NOPW@');
SELECT pontoon_exec('pg' || char(0) || 'x', 'SELECT 1');
SELECT pontoon_exec('pg', 'DELETE FROM pgd.rows WHERE id = 1' || char(0) || ' AND false');
SELECT pontoon_count('rows', 'id = 1' || char(0) || ' AND false');
SELECT pontoon_count('rows' || char(0) || 'x');
SELECT pontoon_import('pg', 'main', 'pgd_imp' || char(0) || 'x');
SELECT pontoon_disconnect('pg' || char(0));
SELECT count(*) FROM rows;

-- issue 10 item 18: pontoon_import of a schema that does not exist returned 0
SELECT pontoon_import('pg', 'main', 'no_such_schema');
SELECT pontoon_import('pg', 'main', 'pgd_empty');
-- issue 10 item 18: import stopped at the first collision and kept what it
-- had made; now nothing is imported and every collision is named
CREATE TABLE ta(x);
CREATE VIEW tc AS SELECT 1;
SELECT pontoon_import('pg', 'main', 'pgd_imp');
SELECT name FROM sqlite_schema WHERE name IN ('ta', 'tb', 'tc') ORDER BY name;
DROP TABLE ta;
DROP VIEW tc;
SELECT pontoon_import('pg', 'main', 'pgd_imp');
SELECT name FROM sqlite_schema WHERE name IN ('ta', 'tb', 'tc') ORDER BY name;

-- issue 10 item 6: an UPDATE or DELETE by key must match exactly one row
-- (key= on a column that is not unique; a row deleted meanwhile on the server)
CREATE VIRTUAL TABLE dup USING pontoon(pg, 'pgd.dup', key=k);
UPDATE dup SET v = 'w' WHERE k = 1;
DELETE FROM dup WHERE k = 1;
SELECT k, v FROM dup ORDER BY k, v;
UPDATE rows SET v = (SELECT pontoon_exec('pg', 'DELETE FROM pgd.rows WHERE id = 3') || 'x') WHERE id = 3;
SELECT pontoon_exec('pg', 'INSERT INTO pgd.rows VALUES (3, ''c'') ON CONFLICT DO NOTHING');
SELECT * FROM rows ORDER BY id;

-- issue 10 item 12: a password with a bare %, a typo in an IPv6 host, and a
-- password that is part of ordinary words: masked where its field stands,
-- never inside words (the statements are not echoed: they hold them)
.echo off
SELECT 'bare %:';
SELECT pontoon_connect('x', 'postgresql://pontoon:a%zz@127.0.0.1:@PG_PORT@/shop');
SELECT 'IPv6 typo:';
SELECT pontoon_connect('x', 'postgresql://pontoon:pass@[::1/shop');
SELECT 'the password "pass", wrong:';
SELECT pontoon_connect('x', 'postgresql://pontoon:pass@127.0.0.1:@PG_PORT@/shop');
SELECT 'the password "failed", wrong:';
SELECT pontoon_connect('x', 'postgresql://pontoon:failed@127.0.0.1:@PG_PORT@/shop');
SELECT 'key=value, bad option:';
SELECT pontoon_connect('x', 'host=127.0.0.1 port=@PG_PORT@ password=s3cr3t%zz user=pontoon dbname=shop bogus=1');
.echo on
SELECT name FROM pontoon_servers;
