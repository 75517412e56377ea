-- ODBC through the MariaDB Connector/ODBC against the harness's MariaDB:
-- connecting (DSN with its password in odbc.ini, DSN-less string), describing, importing,
-- every type, pushdown compared with a local copy, writes, transactions and
-- errors; this driver keeps whole results, so keyed tables are read in
-- key-ordered pages.  Data: tests/fixtures/odbc_my.my.sql.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_my');
SELECT name, driver, host, port, database, user, connected FROM pontoon_servers;
-- a DSN-less string; its password is never shown
.echo off
SELECT pontoon_connect('o2', 'odbc:Driver={MariaDB};Server=127.0.0.1;Port=@MY_PORT@;Database=@PG_DB@;UID=@PG_USER@;PWD=@MY_PASSWORD@');
.echo on
SELECT name, driver, host, port, database FROM pontoon_servers WHERE name = 'o2';
-- bad input: no such DSN, a wrong password, an empty string
SELECT pontoon_connect('bad', 'odbc:DSN=no_such_dsn');
.echo off
SELECT pontoon_connect('bad', 'odbc:Driver={MariaDB};Server=127.0.0.1;Port=@MY_PORT@;Database=@PG_DB@;UID=@PG_USER@;PWD=wrong-secret');
.echo on
SELECT pontoon_connect('bad', 'odbc:');
SELECT count(*) FROM pontoon_servers WHERE name = 'bad';

-- tables, views, import
CREATE VIRTUAL TABLE t USING pontoon(o, ob_t);
CREATE VIRTUAL TABLE nosuch USING pontoon(o, ob_nosuch);
ATTACH ':memory:' AS imp;
SELECT pontoon_import('o', 'imp', '@PG_DB@', 'ob_%');
SELECT name FROM imp.sqlite_master ORDER BY name;
SELECT * FROM imp.ob_v ORDER BY id;

-- types
CREATE VIRTUAL TABLE types USING pontoon(o, ob_types);
SELECT id, i2, typeof(i2), i8, ub, typeof(ub), num, typeof(num), r4, r8, r8 = 0.1 + 0.2, txt, vc, '[' || ch || ']', hex(bin), typeof(bin),
  d, tm, ts, tstz, b, bits, e, j, b1, typeof(b1) FROM types ORDER BY id;

-- every type round-trips: written through pontoon, equal on the server
-- (remote to remote: a local table's NUMERIC affinity would round decimals)
CREATE VIRTUAL TABLE types2 USING pontoon(o, ob_types2);
INSERT INTO types2 SELECT * FROM types;
SELECT 'read back', count(*) FROM (SELECT * FROM types2 EXCEPT SELECT * FROM types);
CREATE VIRTUAL TABLE rt USING pontoon(o, query='SELECT count(*) AS n FROM (SELECT * FROM ob_types EXCEPT SELECT * FROM ob_types2) x');
SELECT 'server side', n FROM rt;

CREATE VIRTUAL TABLE w USING pontoon(o, ob_w);
CREATE VIRTUAL TABLE pair USING pontoon(o, ob_pair);
CREATE VIRTUAL TABLE pair2 USING pontoon(o, ob_pair2);
-- this driver keeps whole results: keyed tables are read in key-ordered
-- pages; fetch=1 makes every row a page (key (b, a): the equality branch
-- of "after the last key" is needed between (1,2) and (1,3))
CREATE VIRTUAL TABLE pages USING pontoon(o, ob_pair2, fetch=1);
SELECT group_concat(pontoon_key, ' ') FROM pages;
SELECT count(*), sum(a) FROM pages WHERE b = 1;
.read @TESTS@/sql/odbc_checks.inc
-- pontoon_exec and a query= table
SELECT pontoon_exec('o', 'UPDATE ob_t SET a = a WHERE id < $1', 3);
CREATE VIRTUAL TABLE q USING pontoon(o, query='SELECT a, count(*) AS n FROM ob_t GROUP BY a');
SELECT * FROM q ORDER BY a;
INSERT INTO q VALUES (1, 1);
SELECT pontoon_exec('o', 'SELECT * FROM ob_nosuch');
-- MySQL reports some failed writes with a warning's SQLSTATE, which its ODBC
-- driver passes on as success (from a parameter array, with nothing
-- written): each is an error here, as a warning is for the MySQL driver
CREATE VIRTUAL TABLE tw USING pontoon(o, ob_types2);
DELETE FROM tw;
INSERT INTO tw (id, e) VALUES (1, 'z'), (2, 'y');
INSERT INTO tw (id, e) VALUES (3, 'z');
INSERT INTO tw (id, e) VALUES (6, 'y'), (7, 'y');
UPDATE tw SET e = 'q' WHERE id = 6;
INSERT OR REPLACE INTO tw (id, e) VALUES (7, 'q');
SELECT group_concat(id || e) FROM tw;
-- a note is not a warning
SELECT pontoon_exec('o', 'DROP TABLE IF EXISTS ob_no_such_table');
