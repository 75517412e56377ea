-- pontoon_capture, pontoon_sync, pontoon_freeze / pontoon_thaw (issue 15
-- items 1-4; docs/capture.md, docs/sync.md): PostgreSQL -> PostgreSQL and
-- MySQL -> PostgreSQL, inserts, updates (keys included: a composite key,
-- and a case-only change of a MySQL _ci key), deletes; the job's states;
-- the refusals; and capture_stop leaving nothing behind.  Data:
-- tests/fixtures/sync.pg.sql, sync.my.sql.  Each sync is compared with the
-- source in SQLite, both ways (EXCEPT).  Concurrency, late commits and
-- kills: tests/scripts/sync_live.sh.
.mode list
.headers on
SELECT pontoon_connect('old', '@PG_URI_NOPW@');
SELECT pontoon_connect('new', '@PG_URI_NOPW@');
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
ATTACH ':memory:' AS s;
ATTACH ':memory:' AS d;
SELECT pontoon_import('old', 's', 'sys');
SELECT pontoon_import('new', 'd', 'syd');
CREATE VIRTUAL TABLE s.my_items USING pontoon(my, sy_items);
-- what is installed on the servers, read with their own catalogs
CREATE VIRTUAL TABLE temp.pg_installed USING pontoon(old, query='SELECT (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ''sys'' AND t.tgname LIKE ''pontoon%'') AS triggers, (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ''pontoon'' AND p.proname LIKE ''%sys%'') AS functions, to_regclass(''pontoon.changes'') IS NOT NULL AS change_table');
CREATE VIRTUAL TABLE temp.my_installed USING pontoon(my, query='SELECT (SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = database()) AS triggers, (SELECT count(*) FROM information_schema.tables WHERE table_schema = database() AND table_name IN (''pontoon_changes'', ''pontoon_captures'')) AS tables');

-- refusals, before anything is installed
SELECT pontoon_capture('s.nokey');
CREATE TABLE main.loc (id INTEGER PRIMARY KEY, v TEXT);
SELECT pontoon_capture('main.loc');
SELECT pontoon_capture('s.nosuch');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items');
SELECT * FROM temp.pg_installed;

-- capture: triggers, a function, the change table; idempotent
SELECT pontoon_capture('s.items');
SELECT pontoon_capture('s.items');
SELECT pontoon_capture('s.pairs');
SELECT * FROM temp.pg_installed;
CREATE VIRTUAL TABLE temp.pg_changes USING pontoon(old, query='SELECT tbl, op, k FROM pontoon.changes ORDER BY seq');
-- only keys are recorded; an update of the key records the old key too
SELECT pontoon_exec('old', 'INSERT INTO sys.items VALUES (1000, ''new'', 1, NULL)');
SELECT pontoon_exec('old', 'UPDATE sys.items SET name = ''renamed'' WHERE id = 1');
SELECT pontoon_exec('old', 'UPDATE sys.items SET id = 1001 WHERE id = 2');
SELECT pontoon_exec('old', 'DELETE FROM sys.items WHERE id = 3');
SELECT * FROM temp.pg_changes;

-- copy, then catch up
SELECT sum(rows) AS rows FROM pontoon_copy('s.items', 'd.items', 'job=sy-items');
SELECT pontoon_exec('old', 'UPDATE sys.items SET price = price + 1 WHERE id <= 10');
SELECT pontoon_exec('old', 'DELETE FROM sys.items WHERE id BETWEEN 20 AND 24');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'job=sy-items');
SELECT (SELECT count(*) FROM (SELECT * FROM s.items EXCEPT SELECT * FROM d.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.items EXCEPT SELECT * FROM s.items)) AS extra;
SELECT count(*) AS queued FROM temp.pg_changes WHERE tbl = 'sys.items';
-- an empty queue: one row of zeros
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'job=sy-items');
-- batches: one row each; until=caught_up stops at the first batch not full
SELECT pontoon_exec('old', 'UPDATE sys.items SET name = name || ''!'' WHERE id <= 250');
SELECT applied, updated, pending FROM pontoon_sync('s.items', 'd.items', 'job=sy-items batch=100');
SELECT (SELECT count(*) FROM (SELECT * FROM s.items EXCEPT SELECT * FROM d.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.items EXCEPT SELECT * FROM s.items)) AS extra;
-- a key updated twice and back, a row inserted and deleted before any sync
SELECT pontoon_exec('old', 'UPDATE sys.items SET id = 5000 WHERE id = 50');
SELECT pontoon_exec('old', 'UPDATE sys.items SET id = 50, name = ''back'' WHERE id = 5000');
SELECT pontoon_exec('old', 'INSERT INTO sys.items VALUES (7000, ''gone'', 0, NULL)');
SELECT pontoon_exec('old', 'DELETE FROM sys.items WHERE id = 7000');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'job=sy-items');
SELECT (SELECT count(*) FROM (SELECT * FROM s.items EXCEPT SELECT * FROM d.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.items EXCEPT SELECT * FROM s.items)) AS extra;
-- the ledger: one row per batch
CREATE VIRTUAL TABLE temp.lg_sync USING pontoon(new, 'pontoon.sync_batch');
SELECT batch, applied, inserted, updated, deleted, last_seq >= first_seq AS seqs FROM temp.lg_sync WHERE job = 'sy-items' ORDER BY batch;

-- a composite key (quotes in it), the target's columns in another order
SELECT sum(rows) AS rows FROM pontoon_copy('s.pairs', 'd.pairs', 'job=sy-pairs');
SELECT pontoon_exec('old', 'UPDATE sys.pairs SET b = b + 100 WHERE a = ''k''''3''');
SELECT pontoon_exec('old', 'UPDATE sys.pairs SET a = ''moved'' WHERE b = 7');
SELECT pontoon_exec('old', 'DELETE FROM sys.pairs WHERE b = 8');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.pairs', 'd.pairs', 'job=sy-pairs batch=4');
SELECT (SELECT count(*) FROM (SELECT a, b, v FROM s.pairs EXCEPT SELECT a, b, v FROM d.pairs)) AS missing,
       (SELECT count(*) FROM (SELECT a, b, v FROM d.pairs EXCEPT SELECT a, b, v FROM s.pairs)) AS extra;

-- the job's states: copied -> syncing -> verified (diff) -> syncing (a
-- change synced) -> frozen -> switched
SELECT job, kind, state FROM pontoon_jobs WHERE job = 'sy-items';
SELECT count(*) AS differences FROM pontoon_diff('s.items', 'd.items', 'job=sy-items');
SELECT job, state FROM pontoon_jobs WHERE job = 'sy-items';
SELECT pontoon_exec('old', 'UPDATE sys.items SET price = 0 WHERE id = 100');
SELECT applied, updated FROM pontoon_sync('s.items', 'd.items', 'job=sy-items');
SELECT job, state FROM pontoon_jobs WHERE job = 'sy-items';
-- switch=1 refuses while the source is not frozen
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'job=sy-items switch=1');
-- freeze: writes are refused with a message naming the migration
SELECT pontoon_freeze('s.items', 'd.items');
SELECT pontoon_exec('old', 'UPDATE sys.items SET price = 1 WHERE id = 100');
SELECT pontoon_exec('old', 'TRUNCATE sys.items');
SELECT count(*) FROM s.items;
SELECT job, state FROM pontoon_jobs WHERE job = 's.items -> d.items';
-- thaw: allowed again
SELECT pontoon_thaw('s.items', 'd.items');
SELECT pontoon_exec('old', 'UPDATE sys.items SET price = 2 WHERE id = 100');
-- the way the runbook ends: freeze, the last sync, switch
SELECT pontoon_freeze('s.items', 'd.items', 'job=sy-items');
SELECT job, state FROM pontoon_jobs WHERE job = 'sy-items';
SELECT pontoon_exec('old', 'DELETE FROM sys.items WHERE id = 100');
SELECT applied, updated, pending FROM pontoon_sync('s.items', 'd.items', 'job=sy-items until=empty');
SELECT applied, pending FROM pontoon_sync('s.items', 'd.items', 'job=sy-items switch=1');
SELECT job, state FROM pontoon_jobs WHERE job = 'sy-items';
SELECT pontoon_thaw('s.items', 'd.items', 'job=sy-items');

-- MySQL -> PostgreSQL: a case-insensitive key changed in case only is a
-- new key for PostgreSQL: the old one is deleted
SELECT pontoon_capture('s.my_items');
SELECT sum(rows) AS rows FROM pontoon_copy('s.my_items', 'd.my_items', 'job=sy-my');
SELECT pontoon_exec('my', 'UPDATE sy_items SET code = ''C5'' WHERE code = ''c5''');
SELECT pontoon_exec('my', 'UPDATE sy_items SET note = concat(note, '' it''''s \\ done'') WHERE qty % 10 = 1');
SELECT pontoon_exec('my', 'DELETE FROM sy_items WHERE qty BETWEEN 40 AND 44');
SELECT pontoon_exec('my', 'INSERT INTO sy_items VALUES (''x"y'', 1000, NULL, ''2024-12-31 23:59:59.5'')');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.my_items', 'd.my_items', 'job=sy-my');
SELECT (SELECT count(*) FROM (SELECT * FROM s.my_items EXCEPT SELECT * FROM d.my_items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.my_items EXCEPT SELECT * FROM s.my_items)) AS extra;
SELECT code FROM d.my_items WHERE code IN ('c5', 'C5', 'x"y') ORDER BY code;
SELECT pontoon_freeze('s.my_items', 'd.my_items');
SELECT pontoon_exec('my', 'DELETE FROM sy_items WHERE code = ''c1''');
SELECT pontoon_thaw('s.my_items', 'd.my_items');
SELECT pontoon_exec('my', 'DELETE FROM sy_items WHERE code = ''c1''');
SELECT applied, deleted FROM pontoon_sync('s.my_items', 'd.my_items', 'job=sy-my');
SELECT * FROM temp.my_installed;

-- refused options and places
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'until=never');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'batch=0');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items', 'bogus=1');
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items');
BEGIN;
SELECT applied, inserted, updated, deleted, pending, lag_seconds BETWEEN 0 AND 60 AS lag_ok FROM pontoon_sync('s.items', 'd.items');
ROLLBACK;
CREATE VIEW v_sync AS SELECT * FROM pontoon_sync('s.items', 'd.items');
SELECT * FROM v_sync;

-- capture_stop removes exactly what capture installed
SELECT pontoon_capture_stop('s.items');
SELECT pontoon_capture_stop('s.items');
SELECT * FROM temp.pg_installed;
SELECT pontoon_capture_stop('s.pairs');
SELECT * FROM temp.pg_installed;
SELECT pontoon_capture_stop('s.my_items');
SELECT * FROM temp.my_installed;
SELECT pontoon_exec('old', 'UPDATE sys.items SET price = 3 WHERE id = 101');
SELECT count(*) FROM s.items;

-- issue 15 item 5, the way back: after the switch the new side is
-- captured and synced back to the old one, so that going back loses
-- nothing written in between
SELECT pontoon_capture('d.items');
SELECT pontoon_exec('new', 'UPDATE syd.items SET name = ''after the switch'' WHERE id <= 5');
SELECT pontoon_exec('new', 'UPDATE syd.items SET id = 9001 WHERE id = 6');
SELECT pontoon_exec('new', 'INSERT INTO syd.items VALUES (9000, ''new side'', 1, NULL)');
SELECT pontoon_exec('new', 'DELETE FROM syd.items WHERE id = 60');
SELECT pontoon_exec('new', 'UPDATE syd.items SET price = 3 WHERE id = 101');
SELECT applied, inserted, updated, deleted FROM pontoon_sync('d.items', 's.items', 'job=sy-back');
SELECT (SELECT count(*) FROM (SELECT * FROM s.items EXCEPT SELECT * FROM d.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.items EXCEPT SELECT * FROM s.items)) AS extra;
SELECT pontoon_capture_stop('d.items');
