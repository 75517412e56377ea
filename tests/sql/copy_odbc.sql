-- pontoon_copy with ODBC ends (docs/copy.md): PostgreSQL through psqlODBC
-- as the source and as the target (its ledger in schema pontoon, written
-- through ODBC), MariaDB through its ODBC driver as the target (its ledger
-- pontoon_job / pontoon_chunk, written with ? placeholders) and as the
-- source; each copy compared with its source.
-- Data: tests/fixtures/copy_odbc.pg.sql, copy_odbc.my.sql.
.mode list
.headers on
SELECT pontoon_connect('opg', 'odbc:DSN=pontoon_pg');
SELECT pontoon_connect('omy', 'odbc:DSN=pontoon_my');
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE o_src USING pontoon(opg, cpo.src);
CREATE VIRTUAL TABLE o_dst USING pontoon(opg, cpo.dst);
CREATE VIRTUAL TABLE m_src USING pontoon(omy, co_src);
CREATE VIRTUAL TABLE m_dst USING pontoon(omy, co_dst);
CREATE VIRTUAL TABLE p_src USING pontoon(pg, cpo.src);

-- psqlODBC -> MariaDB ODBC, two workers (both claim with SKIP LOCKED)
SELECT job, count(*) > 1 AS several_chunks, sum(rows) AS rows, max(rows_total) AS total
  FROM pontoon_copy('o_src', 'm_dst', 'job=co-1 chunk=400 workers=2');
SELECT (SELECT count(*) FROM (SELECT * FROM o_src EXCEPT SELECT * FROM m_dst)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM m_dst EXCEPT SELECT * FROM o_src)) AS extra,
       (SELECT count(*) FROM m_dst) - (SELECT count(*) FROM o_src) AS twice;
SELECT job, state, rows_done, rows_total FROM pontoon_jobs WHERE job = 'co-1';
-- again: nothing to do
SELECT chunk, rows, note FROM pontoon_copy('o_src', 'm_dst', 'job=co-1 chunk=400 workers=2');

-- native PostgreSQL -> psqlODBC
SELECT sum(rows) AS rows FROM pontoon_copy('p_src', 'o_dst', 'job=co-2 chunk=1000');
SELECT (SELECT count(*) FROM (SELECT * FROM p_src EXCEPT SELECT * FROM o_dst)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM o_dst EXCEPT SELECT * FROM p_src)) AS extra,
       (SELECT count(*) FROM o_dst) - (SELECT count(*) FROM p_src) AS twice;

-- MariaDB ODBC (a text key) -> a local table
CREATE TABLE loc (code TEXT PRIMARY KEY, qty INTEGER, note TEXT);
SELECT sum(rows) AS rows FROM pontoon_copy('m_src', 'loc', 'job=co-3 chunk=300');
SELECT (SELECT count(*) FROM (SELECT * FROM m_src EXCEPT SELECT * FROM loc)) AS missing,
       (SELECT count(*) FROM (SELECT * FROM loc EXCEPT SELECT * FROM m_src)) AS extra;
SELECT job, state, rows_done, chunks_total > 1 AS several FROM pontoon_jobs WHERE job LIKE 'co-%' ORDER BY job;
