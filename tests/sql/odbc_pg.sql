-- ODBC through psqlODBC against the harness's PostgreSQL: connecting (DSN
-- with its password in odbc.ini, DSN-less string), describing, importing,
-- every type, pushdown compared with a local copy, writes, transactions and
-- errors.  Data: tests/fixtures/odbc_pg.pg.sql.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_pg');
SELECT name, driver, host, port, database, user, connected FROM pontoon_servers;
-- a DSN-less string; its password is never shown
.echo off
SELECT pontoon_connect('o2', 'odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=@PG_PORT@;Database=@PG_DB@;UID=@PG_USER@;PWD=@PG_PASSWORD@');
.echo on
SELECT name, driver, host, port, database FROM pontoon_servers WHERE name = 'o2';
-- bad input: no such DSN, a wrong password, an empty string
SELECT pontoon_connect('bad', 'odbc:DSN=no_such_dsn');
.echo off
SELECT pontoon_connect('bad', 'odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=@PG_PORT@;Database=@PG_DB@;UID=@PG_USER@;PWD=wrong-secret');
.echo on
SELECT pontoon_connect('bad', 'odbc:');
SELECT count(*) FROM pontoon_servers WHERE name = 'bad';

-- tables, views, import
CREATE VIRTUAL TABLE t USING pontoon(o, odbc.t);
CREATE VIRTUAL TABLE nosuch USING pontoon(o, odbc.nosuch);
ATTACH ':memory:' AS imp;
SELECT pontoon_import('o', 'imp', 'odbc');
SELECT name FROM imp.sqlite_master ORDER BY name;
SELECT * FROM imp.v ORDER BY id;

-- types
CREATE VIRTUAL TABLE types USING pontoon(o, odbc.types);
SELECT id, i2, typeof(i2), i8, num, typeof(num), num_free, r4, r8, r8 = 0.1 + 0.2, typeof(r8), txt, vc, '[' || ch || ']', hex(bin), typeof(bin),
  d, tm, ts, tstz, b, u, j, iv, arr FROM types ORDER BY id;

-- every type round-trips: written through pontoon, equal on the server
-- (remote to remote: a local table's NUMERIC affinity would round decimals)
CREATE VIRTUAL TABLE types2 USING pontoon(o, odbc.types2);
INSERT INTO types2 SELECT * FROM types;
SELECT 'read back', count(*) FROM (SELECT * FROM types2 EXCEPT SELECT * FROM types);
CREATE VIRTUAL TABLE rt USING pontoon(o, query='SELECT count(*) AS n FROM (SELECT * FROM odbc.types EXCEPT SELECT * FROM odbc.types2) x');
SELECT 'server side', n FROM rt;

CREATE VIRTUAL TABLE w USING pontoon(o, odbc.w);
CREATE VIRTUAL TABLE pair USING pontoon(o, odbc.pair);
CREATE VIRTUAL TABLE pair2 USING pontoon(o, odbc.pair2);
.read @TESTS@/sql/odbc_checks.inc
-- pontoon_exec and a query= table
SELECT pontoon_exec('o', 'UPDATE odbc.t SET a = a WHERE id < $1', 3);
CREATE VIRTUAL TABLE q USING pontoon(o, query='SELECT a, count(*) AS n FROM odbc.t GROUP BY a');
SELECT * FROM q ORDER BY a;
INSERT INTO q VALUES (1, 1);
-- SQL stored in a query= table runs read-only
CREATE VIRTUAL TABLE qw USING pontoon(o, query='SELECT nextval(''odbc.seq'') AS n');
SELECT * FROM qw;
SELECT pontoon_exec('o', 'SELECT * FROM odbc.nosuch');
