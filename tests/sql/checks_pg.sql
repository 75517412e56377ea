-- The shared pushdown and type checks (tests/sql/pushdown_checks.inc,
-- types_checks.inc) through the native PostgreSQL driver.
-- issue 11 item 7: one set of checks that every engine passes.
-- Data: tests/fixtures/checks_pg.pg.sql (tests/fixtures/checks_tables.pg.inc).
.mode list
.headers off
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE t USING pontoon(pg, chk.t);
CREATE VIRTUAL TABLE nk USING pontoon(pg, chk.nk);
CREATE VIRTUAL TABLE tk USING pontoon(pg, chk.tk);
.read @TESTS@/sql/pushdown_checks.inc
-- again in batches of two rows (fetch=2): the answers do not depend on
-- where a batch ends
DROP TABLE t;
CREATE VIRTUAL TABLE t USING pontoon(pg, chk.t, fetch=2);
DROP TABLE nk;
DROP TABLE tk;
CREATE VIRTUAL TABLE nk USING pontoon(pg, chk.nk, fetch=2);
CREATE VIRTUAL TABLE tk USING pontoon(pg, chk.tk, fetch=2);
.read @TESTS@/sql/pushdown_checks.inc
-- what this engine is asked (the shared checks do not depend on it)
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt = 'abc';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt LIKE 'a%';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE i IN (1, 5) AND d > '2024-01-01';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE n = 2 OR flag IS NULL;
EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY txt, id LIMIT 3;
EXPLAIN QUERY PLAN SELECT * FROM nk WHERE b = 10 OR c = 'y';
CREATE VIRTUAL TABLE ty USING pontoon(pg, chk.ty);
CREATE VIRTUAL TABLE ty2 USING pontoon(pg, chk.ty2);
.read @TESTS@/sql/types_checks.inc
-- ty2, written back as read, equals ty on the server
CREATE VIRTUAL TABLE rt USING pontoon(pg, query='SELECT (SELECT count(*) FROM (SELECT * FROM chk.ty EXCEPT SELECT * FROM chk.ty2) a) + (SELECT count(*) FROM (SELECT * FROM chk.ty2 EXCEPT SELECT * FROM chk.ty) b) AS n');
SELECT 'server side', n FROM rt;
