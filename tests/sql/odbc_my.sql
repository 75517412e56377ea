-- ODBC through the MariaDB Connector/ODBC against the harness's MariaDB:
-- connecting (DSN with its password in odbc.ini, DSN-less string), describing, importing,
-- every type, pushdown compared with a local copy, writes, transactions and
-- errors; this driver keeps whole results, so keyed tables are read in
-- key-ordered pages.  Data: tests/fixtures/odbc_my.my.sql.
.mode list
.headers off
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_my');
SELECT name, driver, database, user, connected FROM pontoon_servers;
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
  d, tm, ts, tstz, b, bits, e, j FROM types ORDER BY id;

-- every type round-trips: written through pontoon, equal on the server
-- (remote to remote: a local table's NUMERIC affinity would round decimals)
CREATE VIRTUAL TABLE types2 USING pontoon(o, ob_types2);
INSERT INTO types2 SELECT * FROM types;
SELECT 'read back', count(*) FROM (SELECT * FROM types2 EXCEPT SELECT * FROM types);
CREATE VIRTUAL TABLE rt USING pontoon(o, query='SELECT count(*) AS n FROM (SELECT * FROM ob_types EXCEPT SELECT * FROM ob_types2) x');
SELECT 'server side', n FROM rt;

-- pushdown: each answer against the same query on a local copy
CREATE TABLE lt AS SELECT * FROM t;
EXPLAIN QUERY PLAN SELECT id FROM t WHERE a = 5;
SELECT 'a = 5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a = 5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a = 5 ORDER BY id));
SELECT 'a >= 5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a >= 5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a >= 5 ORDER BY id));
SELECT 'a < 6', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a < 6 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a < 6 ORDER BY id));
SELECT 'a != 5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a != 5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a != 5 ORDER BY id));
SELECT 'a = ''5''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a = '5' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a = '5' ORDER BY id));
SELECT 'a = 5.5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a = 5.5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a = 5.5 ORDER BY id));
SELECT 'a IS NULL', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a IS NULL ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a IS NULL ORDER BY id));
SELECT 'big = 9007199254740993', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE big = 9007199254740993)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE big = 9007199254740993));
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt = 'abc';
SELECT 'txt = ''abc''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt = 'abc' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt = 'abc' ORDER BY id));
SELECT 'txt = ''é''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt = 'é' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt = 'é' ORDER BY id));
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt > 'a';
SELECT 'txt > ''a''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt > 'a' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt > 'a' ORDER BY id));
SELECT 'txt LIKE ''a%''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt LIKE 'a%' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt LIKE 'a%' ORDER BY id));
SELECT 'a IN (5, 7)', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a IN (5, 7) ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a IN (5, 7) ORDER BY id));
EXPLAIN QUERY PLAN SELECT id, a FROM t ORDER BY a DESC LIMIT 3;
SELECT 'ORDER BY a DESC LIMIT 3', (SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY a DESC, id LIMIT 3)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt ORDER BY a DESC, id LIMIT 3));
SELECT 'ORDER BY a', (SELECT group_concat(quote(a)) FROM (SELECT a FROM t ORDER BY a)) IS (SELECT group_concat(quote(a)) FROM (SELECT a FROM lt ORDER BY a));
SELECT 'LIMIT 2 OFFSET 1', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE id > 1 ORDER BY id LIMIT 2 OFFSET 1)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE id > 1 ORDER BY id LIMIT 2 OFFSET 1));
SELECT 'join on itself', (SELECT count(*) FROM t x JOIN t y ON y.a = x.a) IS (SELECT count(*) FROM lt x JOIN lt y ON y.a = x.a);
SELECT pontoon_count('t'), pontoon_count('t', 'a = 5');

-- writes
CREATE VIRTUAL TABLE w USING pontoon(o, ob_w);
INSERT INTO w VALUES (1, 'one', 1.50, '2024-05-05 10:00:00+02:00', 1, x'00ff'), (2, 'tw''o é', NULL, NULL, 0, NULL);
INSERT INTO w WITH RECURSIVE g(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM g WHERE id < 2500)
  SELECT id + 10, 'r' || id, id * 0.25, '2024-01-01 00:00:00', id % 2, randomblob(2) FROM g;
SELECT count(*), sum(price) FROM w;
SELECT id, name, price, at, ok, hex(data) FROM w WHERE id <= 2 ORDER BY id;
UPDATE w SET name = 'uno', price = price + 1 WHERE id = 1;
DELETE FROM w WHERE id > 2000;
SELECT count(*), (SELECT name || ' ' || price FROM w WHERE id = 1) FROM w;
-- a bad row: nothing of the statement is kept
INSERT INTO w VALUES (3, 'ok', 1, NULL, 1, NULL), (4, NULL, 1, NULL, 1, NULL);
INSERT INTO w VALUES (1, 'dup', 1, NULL, 1, NULL);
SELECT count(*) FROM w WHERE id IN (3, 4);
-- transactions
BEGIN;
INSERT INTO w VALUES (5, 'five', 5, NULL, 1, NULL);
SAVEPOINT s1;
UPDATE w SET name = 'FIVE' WHERE id = 5;
ROLLBACK TO s1;
SELECT name FROM w WHERE id = 5;
COMMIT;
SELECT name FROM w WHERE id = 5;
BEGIN;
DELETE FROM w;
SELECT count(*) FROM w;
ROLLBACK;
SELECT count(*) FROM w;
INSERT OR REPLACE INTO w VALUES (5, 'five again', 5, NULL, 1, NULL);
INSERT OR IGNORE INTO w VALUES (5, 'ignored', 5, NULL, 1, NULL);
SELECT name FROM w WHERE id = 5;
-- composite keys
CREATE VIRTUAL TABLE pair USING pontoon(o, ob_pair);
UPDATE pair SET v = 'z' WHERE a = 1 AND b = 2;
SELECT a, b, v FROM pair ORDER BY a, b;
-- pontoon_exec and a query= table
SELECT pontoon_exec('o', 'UPDATE ob_t SET a = a WHERE id < $1', 3);
CREATE VIRTUAL TABLE q USING pontoon(o, query='SELECT a, count(*) AS n FROM ob_t GROUP BY a');
SELECT * FROM q ORDER BY a;
INSERT INTO q VALUES (1, 1);
SELECT pontoon_exec('o', 'SELECT * FROM ob_nosuch');
