-- The shared pushdown and type checks (tests/sql/pushdown_checks.inc,
-- types_checks.inc) through ODBC: the SQLite ODBC driver on the file of the
-- harness's DSN pontoon_sqlite.
-- issue 11 item 7: one set of checks that every engine passes.
-- Data: tests/fixtures/checks_odbc_sqlite.sqlite.sql, run in the file
-- through the driver one statement at a time (it takes one per call): the
-- file is cut after each ';' that ends a line.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_sqlite');
WITH RECURSIVE s(stmt, rest) AS (
  SELECT NULL, CAST(readfile('@TESTS@/fixtures/checks_odbc_sqlite.sqlite.sql') AS TEXT)
  UNION ALL
  SELECT substr(rest, 1, instr(rest, ';' || char(10))), substr(rest, instr(rest, ';' || char(10)) + 2)
  FROM s WHERE instr(rest, ';' || char(10)) > 0)
SELECT count(pontoon_exec('o', stmt)) FROM s WHERE stmt IS NOT NULL;
CREATE VIRTUAL TABLE fixture USING pontoon(o, query='SELECT (SELECT count(*) FROM chk_t) AS t, (SELECT count(*) FROM chk_nk) AS nk, (SELECT count(*) FROM chk_tk) AS tk, (SELECT count(*) FROM chk_ty) AS ty');
SELECT * FROM fixture;
CREATE VIRTUAL TABLE t USING pontoon(o, chk_t);
CREATE VIRTUAL TABLE nk USING pontoon(o, chk_nk);
CREATE VIRTUAL TABLE tk USING pontoon(o, chk_tk);
.read @TESTS@/sql/pushdown_checks.inc
-- again in batches of two rows (fetch=2): the answers do not depend on
-- where a batch ends
DROP TABLE t;
CREATE VIRTUAL TABLE t USING pontoon(o, chk_t, fetch=2);
DROP TABLE nk;
DROP TABLE tk;
CREATE VIRTUAL TABLE nk USING pontoon(o, chk_nk, fetch=2);
CREATE VIRTUAL TABLE tk USING pontoon(o, chk_tk, fetch=2);
.read @TESTS@/sql/pushdown_checks.inc
-- what this engine is asked (the shared checks do not depend on it)
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt = 'abc';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt LIKE 'a%';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE i IN (1, 5) AND d > '2024-01-01';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE n = 2 OR flag IS NULL;
EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY txt, id LIMIT 3;
EXPLAIN QUERY PLAN SELECT * FROM nk WHERE b = 10 OR c = 'y';
CREATE VIRTUAL TABLE ty USING pontoon(o, chk_ty);
CREATE VIRTUAL TABLE ty2 USING pontoon(o, chk_ty2);
.read @TESTS@/sql/types_checks.inc
-- ty2, written back as read, equals ty in the file
CREATE VIRTUAL TABLE rt USING pontoon(o, query='SELECT (SELECT count(*) FROM (SELECT * FROM chk_ty EXCEPT SELECT * FROM chk_ty2) a) + (SELECT count(*) FROM (SELECT * FROM chk_ty2 EXCEPT SELECT * FROM chk_ty) b) AS n');
SELECT 'server side', n FROM rt;
