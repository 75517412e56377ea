-- The shared pushdown and type checks (tests/sql/pushdown_checks.inc,
-- types_checks.inc) through ODBC: the MariaDB Connector/ODBC against the
-- harness's MariaDB, on tables with its default case-insensitive, PAD SPACE
-- collation.
-- issue 11 item 7: one set of checks that every engine passes.
-- Data: tests/fixtures/checks_odbc_my.my.sql.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_my');
CREATE VIRTUAL TABLE t USING pontoon(o, chko_t);
CREATE VIRTUAL TABLE nk USING pontoon(o, chko_nk);
CREATE VIRTUAL TABLE tk USING pontoon(o, chko_tk);
.read @TESTS@/sql/pushdown_checks.inc
-- again in batches of two rows (fetch=2): the answers do not depend on
-- where a batch ends
DROP TABLE t;
CREATE VIRTUAL TABLE t USING pontoon(o, chko_t, fetch=2);
DROP TABLE nk;
DROP TABLE tk;
CREATE VIRTUAL TABLE nk USING pontoon(o, chko_nk, fetch=2);
CREATE VIRTUAL TABLE tk USING pontoon(o, chko_tk, fetch=2);
.read @TESTS@/sql/pushdown_checks.inc
-- what this engine is asked (the shared checks do not depend on it)
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt = 'abc';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt LIKE 'a%';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE i IN (1, 5) AND d > '2024-01-01';
EXPLAIN QUERY PLAN SELECT id FROM t WHERE n = 2 OR flag IS NULL;
EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY txt, id LIMIT 3;
EXPLAIN QUERY PLAN SELECT * FROM nk WHERE b = 10 OR c = 'y';
CREATE VIRTUAL TABLE ty USING pontoon(o, chko_ty);
CREATE VIRTUAL TABLE ty2 USING pontoon(o, chko_ty2);
.read @TESTS@/sql/types_checks.inc
-- ty2, written back as read, equals ty on the server
CREATE VIRTUAL TABLE rt USING pontoon(o, query='SELECT (SELECT count(*) FROM (SELECT * FROM chko_ty EXCEPT SELECT * FROM chko_ty2) a) + (SELECT count(*) FROM (SELECT * FROM chko_ty2 EXCEPT SELECT * FROM chko_ty) b) AS n');
SELECT 'server side', n FROM rt;
