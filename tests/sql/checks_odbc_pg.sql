-- The shared pushdown and type checks (tests/sql/pushdown_checks.inc,
-- types_checks.inc) through ODBC: psqlODBC against the harness's PostgreSQL.
-- issue 11 item 7: one set of checks that every engine passes, so psqlODBC
-- passes the PostgreSQL pushdown checks.
-- Data: tests/fixtures/checks_odbc_pg.pg.sql (tests/fixtures/checks_tables.pg.inc).
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_pg');
CREATE VIRTUAL TABLE t USING pontoon(o, chko.t);
CREATE VIRTUAL TABLE nk USING pontoon(o, chko.nk);
CREATE VIRTUAL TABLE tk USING pontoon(o, chko.tk);
.read @TESTS@/sql/pushdown_checks.inc
-- again in batches of two rows (fetch=2): the answers do not depend on
-- where a batch ends
DROP TABLE t;
CREATE VIRTUAL TABLE t USING pontoon(o, chko.t, fetch=2);
DROP TABLE nk;
DROP TABLE tk;
CREATE VIRTUAL TABLE nk USING pontoon(o, chko.nk, fetch=2);
CREATE VIRTUAL TABLE tk USING pontoon(o, chko.tk, fetch=2);
.read @TESTS@/sql/pushdown_checks.inc
-- what this engine is asked (the shared checks do not depend on it)
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt = 'abc';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt LIKE 'a%';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE i IN (1, 5) AND d > '2024-01-01';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE n = 2 OR flag IS NULL;
EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY txt, id LIMIT 3;
EXPLAIN QUERY PLAN SELECT * FROM nk WHERE b = 10 OR c = 'y';
CREATE VIRTUAL TABLE ty USING pontoon(o, chko.ty);
CREATE VIRTUAL TABLE ty2 USING pontoon(o, chko.ty2);
.read @TESTS@/sql/types_checks.inc
-- ty2, written back as read, equals ty on the server
CREATE VIRTUAL TABLE rt USING pontoon(o, query='SELECT (SELECT count(*) FROM (SELECT * FROM chko.ty EXCEPT SELECT * FROM chko.ty2) a) + (SELECT count(*) FROM (SELECT * FROM chko.ty2 EXCEPT SELECT * FROM chko.ty) b) AS n');
SELECT 'server side', n FROM rt;
