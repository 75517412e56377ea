-- pontoon_copy (docs/copy.md) and pontoon_jobs (docs/jobs.md): every
-- pairing of ends, keys of every shape, the options, and every refusal
-- before anything is written.  Data: tests/fixtures/copy.pg.sql, copy.my.sql.
-- Each copy is then compared with the source in SQLite, both ways
-- (EXCEPT), so a row lost, changed or copied twice shows.
.mode list
.headers on
SELECT pontoon_connect('old', '@PG_URI_NOPW@');
SELECT pontoon_connect('new', '@PG_URI_NOPW@');
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
ATTACH ':memory:' AS s;
ATTACH ':memory:' AS d;
SELECT pontoon_import('old', 's', 'cps');
SELECT pontoon_import('new', 'd', 'cpd');
CREATE VIRTUAL TABLE s.items USING pontoon(my, cp_items);

-- PostgreSQL -> PostgreSQL: integer key with gaps, every type, 2 workers
SELECT job, stage, count(*) AS chunks, sum(rows) AS rows, max(rows_total) AS rows_total
  FROM pontoon_copy('s.users', 'd.users', 'job=cp-users stage=1 chunk=500 workers=2');
SELECT (SELECT count(*) FROM (SELECT * FROM s.users EXCEPT SELECT * FROM d.users)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.users EXCEPT SELECT * FROM s.users)) AS extra,
       (SELECT count(*) FROM d.users) - (SELECT count(*) FROM s.users) AS twice;
-- run again: nothing to do, and it says so
SELECT job, chunk, rows, rows_done, rows_total, note FROM pontoon_copy('s.users', 'd.users', 'job=cp-users stage=1 chunk=500 workers=2');
-- the ledger: plain tables in the target, read by anyone
ATTACH ':memory:' AS lg;
SELECT pontoon_import('new', 'lg', 'pontoon', 'job') + pontoon_import('new', 'lg', 'pontoon', 'chunk') AS ledger_tables;
SELECT job, kind, stage, src, dst, options, state, rows_total, chunks_total, chunk_rows, error FROM lg.job WHERE job = 'cp-users';
SELECT count(*) AS chunks, sum(rows_copied) AS rows, count(DISTINCT worker) > 0 AS workers_named,
       min(lo IS NULL) AS first_open_below, sum(hi IS NULL) AS one_open_above
  FROM lg.chunk WHERE job = 'cp-users' AND state = 'done';
SELECT chunk, lo, hi, rows_copied FROM lg.chunk WHERE job = 'cp-users' ORDER BY chunk LIMIT 3;

-- text keys: the chunks cut the key in the server's own order
SELECT count(*) > 1 AS several_chunks, sum(rows) AS rows FROM pontoon_copy('s.words', 'd.words', 'job=cp-words chunk=50');
SELECT (SELECT count(*) FROM (SELECT * FROM s.words EXCEPT SELECT * FROM d.words)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.words EXCEPT SELECT * FROM s.words)) AS extra,
       (SELECT count(*) FROM d.words) - (SELECT count(*) FROM s.words) AS twice;
-- a composite key
SELECT sum(rows) AS rows FROM pontoon_copy('s.pairs', 'd.pairs', 'job=cp-pairs chunk=100');
SELECT (SELECT count(*) FROM (SELECT * FROM s.pairs EXCEPT SELECT * FROM d.pairs)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.pairs EXCEPT SELECT * FROM s.pairs)) AS extra,
       (SELECT count(*) FROM d.pairs) - (SELECT count(*) FROM s.pairs) AS twice;
-- without chunk=, a transaction claims several chunks once they are quick
-- (PostgreSQL to PostgreSQL, same types: the rows pass through as binary
-- COPY); the ledger still counts each chunk's own rows
SELECT sum(rows) AS rows, count(*) AS chunks FROM pontoon_copy('s.big', 'd.big', 'job=cp-big');
SELECT count(DISTINCT finished) < count(*) AS several_per_transaction,
       sum(rows_copied <> (SELECT count(*) FROM s.big b
                           WHERE b.id > coalesce(json_extract(c.lo, '$[0]'), -1)
                             AND b.id <= coalesce(json_extract(c.hi, '$[0]'), 1e18))) AS miscounted
  FROM lg.chunk c WHERE job = 'cp-big';
SELECT (SELECT count(*) FROM (SELECT * FROM s.big EXCEPT SELECT * FROM d.big)) AS missing,
       (SELECT count(*) FROM d.big) - (SELECT count(*) FROM s.big) AS twice;

-- where= and columns=
SELECT sum(rows) AS rows FROM pontoon_copy('s.users', 'd.some', 'job=cp-some columns=id,name where=''id > 2000 AND name IS NOT NULL''');
SELECT count(*), min(id), max(id), count(name) FROM d.some;

-- MySQL -> PostgreSQL, a case-insensitive text key; MySQL -> a local table
SELECT pontoon_exec('new', 'CREATE TABLE cpd.items (code text, qty int, price numeric(10,2), made timestamp(6), note text)');
SELECT pontoon_import('new', 'd', 'cpd', 'items');
SELECT sum(rows) AS rows FROM pontoon_copy('s.items', 'd.items', 'job=cp-items chunk=100');
SELECT (SELECT count(*) FROM (SELECT * FROM s.items EXCEPT SELECT * FROM d.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.items EXCEPT SELECT * FROM s.items)) AS extra,
       (SELECT count(*) FROM d.items) - (SELECT count(*) FROM s.items) AS twice;
CREATE TABLE main.items (code TEXT PRIMARY KEY, qty INTEGER, price NUMERIC, made TEXT, note TEXT);
SELECT sum(rows) AS rows FROM pontoon_copy('s.items', 'main.items', 'job=cp-local chunk=100');
SELECT (SELECT count(*) FROM (SELECT * FROM s.items EXCEPT SELECT * FROM main.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM main.items EXCEPT SELECT * FROM s.items)) AS extra,
       (SELECT count(*) FROM main.items) - (SELECT count(*) FROM s.items) AS twice;
SELECT code, qty, price, typeof(price), made, note FROM main.items WHERE qty < 6 ORDER BY qty;
-- the local target's ledger is in its own database file
SELECT job, state, rows_total, chunks_total FROM main.pontoon_job;
-- a local table -> PostgreSQL
SELECT pontoon_exec('new', 'TRUNCATE cpd.items');
SELECT sum(rows) AS rows FROM pontoon_copy('main.items', 'd.items', 'job=cp-back');
SELECT (SELECT count(*) FROM (SELECT * FROM main.items EXCEPT SELECT * FROM d.items)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.items EXCEPT SELECT * FROM main.items)) AS extra,
       (SELECT count(*) FROM d.items) - (SELECT count(*) FROM main.items) AS twice;

-- mode=upsert: rows whose key is there are replaced, the others kept
SELECT sum(rows) AS rows FROM pontoon_copy('s.users', 'd.keyed', 'job=cp-keyed mode=upsert columns=id,name where=''id <= 3''');
SELECT * FROM d.keyed ORDER BY id;

-- pontoon_jobs: every job of every ledger this connection sees
SELECT job, stage, kind, state, rows_done, rows_total, done, chunks_done, chunks_total, ledger,
       started IS NOT NULL AND updated IS NOT NULL AS has_times, error
  FROM pontoon_jobs WHERE job LIKE 'cp-%' ORDER BY ledger, job;

-- refusals, each before anything is written
SELECT * FROM pontoon_copy('s.nokey', 'd.some');
SELECT * FROM pontoon_copy('s.users', 'd.missing', 'job=cp-missing');
SELECT * FROM pontoon_copy('s.users', 'd.wrong', 'job=cp-wrong');
SELECT * FROM pontoon_copy('s.users', 'd.some', 'job=cp-badwhere columns=id,name where=''id >>> 3''');
SELECT count(*) AS rows_written FROM d.some WHERE id <= 2000;
SELECT count(*) AS jobs_recorded FROM pontoon_jobs WHERE job = 'cp-badwhere' AND rows_done > 0;
SELECT * FROM pontoon_copy('s.users', 'd.users', 'job=cp-users chunk=100');
SELECT * FROM pontoon_copy('s.users', 'd.users', 'job=cp-users chunks=100');
SELECT * FROM pontoon_copy('s.users', 'd.users', 'job=cp-users workers=0');
SELECT * FROM pontoon_copy('s.users', 'd.users', 'job=cp-users mode=merge');
SELECT * FROM pontoon_copy('s.users', 'd.users', 'job=''cp-users');
SELECT * FROM pontoon_copy('s.nosuch', 'd.users');
SELECT * FROM pontoon_copy('s.users');
BEGIN;
SELECT * FROM pontoon_copy('s.users', 'd.users', 'job=cp-in-txn');
ROLLBACK;
-- a view or trigger (a database file from someone else) cannot run a copy
-- or read the ledgers: only a statement the user types can
CREATE VIEW main.sneaky_copy AS SELECT * FROM pontoon_copy('s.users', 'd.some', 'job=cp-view');
SELECT * FROM sneaky_copy;
CREATE VIEW main.sneaky_jobs AS SELECT * FROM pontoon_jobs;
SELECT count(*) FROM sneaky_jobs;
CREATE TABLE main.trig (x);
CREATE TRIGGER main.sneaky_trig AFTER INSERT ON trig BEGIN
  SELECT * FROM pontoon_copy('s.users', 'd.some', 'job=cp-trigger');
END;
INSERT INTO trig VALUES (1);
SELECT count(*) AS jobs_made FROM pontoon_jobs WHERE job IN ('cp-view', 'cp-trigger');

-- a chunk the target refuses: the job stops in state failed, earlier
-- chunks stay committed, the ledger has the error and the chunk's range
SELECT job, chunk, rows, rows_done, rows_total FROM pontoon_copy('s.users', 'd.picky', 'job=cp-picky chunk=300');
SELECT count(*), max(id) FROM d.picky;
SELECT job, state, rows_done, error LIKE '%picky_id_check%' AS has_error FROM pontoon_jobs WHERE job = 'cp-picky';
SELECT chunk, lo, hi, state, error LIKE '%violates check constraint%' AS has_error FROM lg.chunk
  WHERE job = 'cp-picky' AND state <> 'done' ORDER BY chunk LIMIT 2;
-- fixed, run again: the failed chunk and the rest are copied
SELECT pontoon_exec('new', 'ALTER TABLE cpd.picky DROP CONSTRAINT picky_id_check');
SELECT sum(rows) AS rows FROM pontoon_copy('s.users', 'd.picky', 'job=cp-picky chunk=300');
SELECT (SELECT count(*) FROM (SELECT * FROM s.users EXCEPT SELECT * FROM d.picky)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM d.picky EXCEPT SELECT * FROM s.users)) AS extra,
       (SELECT count(*) FROM d.picky) - (SELECT count(*) FROM s.users) AS twice;
SELECT job, state, error FROM pontoon_jobs WHERE job = 'cp-picky';
