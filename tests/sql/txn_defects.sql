-- Regression tests of the bridge's transactions, rowids, keys and values
-- (issue 10 items 3, 4, 6, 9, 15, 18, 20).  Item 2 (a COMMIT the local
-- file makes SQLite retry) is tests/scripts/txn_local_busy.sh.
-- Data: tests/fixtures/txn_defects.pg.sql.
.mode list
.headers off
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE t USING pontoon(pg, txd.t);
-- issue 10 item 4: a transaction opened by SAVEPOINT (no BEGIN): ROLLBACK TO
-- it undoes the remote rows, and RELEASE then commits nothing of them
SAVEPOINT a;
INSERT INTO t VALUES (1, 'rolled back');
ROLLBACK TO a;
RELEASE a;
SELECT count(*) FROM t;
SAVEPOINT a;
INSERT INTO t VALUES (2, 'kept');
SAVEPOINT b;
INSERT INTO t VALUES (3, 'rolled back');
ROLLBACK TO b;
RELEASE a;
SELECT * FROM t ORDER BY id;
SAVEPOINT a;
INSERT INTO t VALUES (4, 'rolled back');
SAVEPOINT b;
INSERT INTO t VALUES (5, 'rolled back');
ROLLBACK TO a;
INSERT INTO t VALUES (6, 'after the rollback');
RELEASE a;
SELECT * FROM t ORDER BY id;
-- issue 10 item 3: DROP TABLE of a pontoon table inside a transaction that
-- wrote to its server is refused; its rows are then neither lost (COMMIT)
-- nor committed later (ROLLBACK)
BEGIN;
INSERT INTO t VALUES (7, 'committed');
DROP TABLE t;
COMMIT;
SELECT * FROM t ORDER BY id;
BEGIN;
INSERT INTO t VALUES (8, 'rolled back');
DROP TABLE t;
ROLLBACK;
INSERT INTO t VALUES (9, 'a later write');
SELECT * FROM t ORDER BY id;
-- issue 10 item 15: OR over a table without a key: every arm's rows (a
-- rowid is the row's content, the same in every scan), duplicates kept
CREATE VIRTUAL TABLE nk USING pontoon(pg, txd.nokey);
CREATE TABLE local_nk AS SELECT * FROM nk;
EXPLAIN QUERY PLAN SELECT * FROM nk WHERE b = 10 OR c = 200;
SELECT * FROM nk WHERE b = 10 OR c = 200 ORDER BY 1, 2, 3;
SELECT (SELECT count(*) FROM nk WHERE b = 10 OR c = 200), (SELECT count(*) FROM local_nk WHERE b = 10 OR c = 200);
SELECT (SELECT count(*) FROM nk WHERE a = 3 OR b = 10 OR c = 5), (SELECT count(*) FROM local_nk WHERE a = 3 OR b = 10 OR c = 5);
SELECT (SELECT count(*) FROM nk WHERE a IS NULL OR b IS NULL OR c = 300), (SELECT count(*) FROM local_nk WHERE a IS NULL OR b IS NULL OR c = 300);
SELECT (SELECT group_concat(a || ',' || b || ',' || c, ';') FROM (SELECT * FROM nk WHERE (b = 10 AND a > 1) OR c = 200 ORDER BY 1, 2, 3)),
       (SELECT group_concat(a || ',' || b || ',' || c, ';') FROM (SELECT * FROM local_nk WHERE (b = 10 AND a > 1) OR c = 200 ORDER BY 1, 2, 3));
-- ... and rowid IN (SELECT rowid ...) compares two scans
SELECT count(*) FROM nk WHERE rowid IN (SELECT rowid FROM nk WHERE b = 10);
SELECT count(*) FROM nk a JOIN nk b ON a.rowid = b.rowid;
SELECT count(DISTINCT rowid) FROM nk;
-- issue 10 item 6: key= naming a column that is not unique: an UPDATE or
-- DELETE that matches several rows fails and changes nothing
CREATE VIRTUAL TABLE dup USING pontoon(pg, txd.dup, key=k);
DELETE FROM dup WHERE k = 2;
UPDATE dup SET v = 9 WHERE k = 2;
DELETE FROM dup WHERE k = 1;
SELECT * FROM dup ORDER BY k, v;
BEGIN;
UPDATE dup SET v = 10 WHERE k = 3;
UPDATE dup SET v = 9 WHERE k = 2;
UPDATE dup SET v = 11 WHERE k = 3;
COMMIT;
SELECT * FROM dup ORDER BY k, v;
-- ... inside BEGIN, a ROLLBACK TO a savepoint taken before the failed
-- statement undoes it, and the transaction can commit again
BEGIN;
UPDATE dup SET v = 12 WHERE k = 3;
SAVEPOINT s;
UPDATE dup SET v = 9 WHERE k = 2;
ROLLBACK TO s;
COMMIT;
SELECT * FROM dup ORDER BY k, v;
-- issue 10 item 18: key='' would silently drop the key: an error; several
-- key columns may be quoted or not (issue 10 item 20)
CREATE VIRTUAL TABLE nokey2 USING pontoon(pg, txd.dup, key='');
CREATE VIRTUAL TABLE two1 USING pontoon(pg, txd.dup, key='k,v');
CREATE VIRTUAL TABLE two2 USING pontoon(pg, txd.dup, key=k,v);
SELECT count(*) FROM two1 WHERE k = 2;
SELECT count(*) FROM two2 WHERE k = 2;
UPDATE two2 SET v = 4 WHERE k = 2 AND v = 3;
SELECT * FROM two1 ORDER BY k, v;
CREATE VIRTUAL TABLE bad USING pontoon(pg, txd.dup, key=k, v, extra);
-- issue 10 item 9: a query= table whose definition this session did not
-- write is not run, wherever it comes from (.restore of another file)
CREATE VIRTUAL TABLE mine USING pontoon(pg, query='SELECT 42 AS answer');
SELECT * FROM mine;
ALTER TABLE mine RENAME TO mine2;
SELECT * FROM mine2;
.save @TMP@/mine.db
.shell sqlite3 @TMP@/theirs.db "PRAGMA writable_schema = ON; CREATE TABLE stub(x); UPDATE sqlite_master SET sql = 'CREATE VIRTUAL TABLE other USING pontoon(pg, query=''DELETE FROM txd.t RETURNING 1 AS gone'')', name = 'other', tbl_name = 'other', type = 'table', rootpage = 0 WHERE name = 'stub';"
.restore @TMP@/theirs.db
SELECT * FROM other;
.restore @TMP@/mine.db
SELECT * FROM mine2;
SELECT count(*) FROM t;
-- issue 10 item 20: an offset written into a timestamp is converted to UTC;
-- a fraction into an integer column, and text that is not a number, are
-- refused before they reach the server
CREATE VIRTUAL TABLE stamps USING pontoon(pg, txd.stamps);
INSERT INTO stamps VALUES (1, '2024-01-02 03:04:05+02:00', 1, 1.5);
INSERT INTO stamps VALUES (2, '2024-01-02 03:04:05.250Z', 2, '1e3');
INSERT INTO stamps VALUES (3, '2024-01-02 03:04:05 Europe/Paris', 3, 0);
INSERT INTO stamps VALUES (4, '2024-01-02 03:04:05', 1.5, 0);
INSERT INTO stamps VALUES (5, '2024-01-02 03:04:05', '7 --', 0);
INSERT INTO stamps VALUES (6, '2024-01-02 03:04:05', ' 8 ', '-0.5e-2');
INSERT INTO stamps VALUES (7, '2024-01-02 03:04:05', 7, '5-3');
SELECT * FROM stamps ORDER BY id;
-- issue 10 item 18: pontoon_import of a schema that does not exist is an
-- error on every driver; an empty match is 0
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
SELECT pontoon_connect('omy', 'odbc:DSN=pontoon_my');
SELECT pontoon_connect('opg', 'odbc:DSN=pontoon_pg');
ATTACH ':memory:' AS imp;
SELECT pontoon_import('pg', 'imp', 'nosuch');
SELECT pontoon_import('my', 'imp', 'nosuch');
SELECT pontoon_import('omy', 'imp', 'nosuch');
SELECT pontoon_import('opg', 'imp', 'nosuch');
SELECT pontoon_import('my', 'imp', 'shop', 'no_such_table%');
SELECT pontoon_import('opg', 'imp', 'public', 'no_such_table%');
-- issue 10 item 6 through MySQL: key= on a column that is not unique
SELECT pontoon_exec('my', 'DROP TABLE IF EXISTS txd_dup');
SELECT pontoon_exec('my', 'CREATE TABLE txd_dup (k int, v int) ENGINE=InnoDB');
SELECT pontoon_exec('my', 'INSERT INTO txd_dup VALUES (1, 1), (2, 2), (2, 3)');
CREATE VIRTUAL TABLE mdup USING pontoon(my, txd_dup, key=k);
DELETE FROM mdup WHERE k = 2;
UPDATE mdup SET v = 9 WHERE k = 2;
UPDATE mdup SET v = 1 WHERE k = 1;
DELETE FROM mdup WHERE k = 1;
SELECT * FROM mdup ORDER BY k, v;
