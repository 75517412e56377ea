-- ODBC through the SQLite ODBC driver against a database file: no server at
-- all.  Connecting (DSN-less, and the harness's DSN), describing, importing,
-- every type, pushdown compared with a local copy, writes one row per
-- execution (the driver takes no parameter arrays), transactions, errors.
.mode list
.headers off
SELECT pontoon_connect('s', 'odbc:Driver={SQLite3};Database=@TMP@/old.db');
SELECT name, driver, database, connected FROM pontoon_servers;
SELECT pontoon_connect('bad', 'odbc:Driver={No Such Driver};Database=@TMP@/x.db');
-- the data, made through pontoon_exec
SELECT pontoon_exec('s', 'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, txt VARCHAR(20), big BIGINT)');
SELECT pontoon_exec('s', 'INSERT INTO t VALUES (1, 5, ''abc'', 9007199254740993), (2, NULL, ''ABC'', -1), (3, 7, ''abc '', NULL), (4, 5, ''é'', 0), (5, -3, NULL, 1), (6, 8, ''b'', 2)');
SELECT pontoon_exec('s', 'CREATE TABLE types (id INTEGER PRIMARY KEY, i INTEGER, r REAL, num DECIMAL(10,2), txt TEXT, vc VARCHAR(10), bin BLOB, d DATE, tm TIME, ts TIMESTAMP, b BOOLEAN)');
SELECT pontoon_exec('s', 'INSERT INTO types VALUES (1, 9223372036854775807, 0.30000000000000004, 12345678.91, ''é ü 😀'', ''v'', X''00FF10'', ''2024-02-29'', ''13:45:59.123'', ''2024-01-01 12:00:00.5'', 1), (2, NULL, NULL, NULL, '''', NULL, X'''', NULL, NULL, NULL, 0)');
SELECT pontoon_exec('s', 'CREATE TABLE types2 (id INTEGER PRIMARY KEY, i INTEGER, r REAL, num DECIMAL(10,2), txt TEXT, vc VARCHAR(10), bin BLOB, d DATE, tm TIME, ts TIMESTAMP, b BOOLEAN)');
SELECT pontoon_exec('s', 'CREATE TABLE pair (a INT, b INT, v TEXT, PRIMARY KEY (a, b))');
SELECT pontoon_exec('s', 'INSERT INTO pair VALUES (1, 1, ''x''), (1, 2, ''y'')');
SELECT pontoon_exec('s', 'CREATE TABLE w (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, at TIMESTAMP, ok BOOLEAN, data BLOB)');
SELECT pontoon_exec('s', 'CREATE VIEW v AS SELECT id, txt FROM t WHERE id < 3');

-- tables, views, import
CREATE VIRTUAL TABLE t USING pontoon(s, t);
CREATE VIRTUAL TABLE nosuch USING pontoon(s, nosuch);
ATTACH ':memory:' AS imp;
SELECT pontoon_import('s', 'imp');
SELECT name FROM imp.sqlite_master ORDER BY name;
SELECT * FROM imp.v ORDER BY id;

-- types
CREATE VIRTUAL TABLE types USING pontoon(s, types);
SELECT id, i, typeof(i), r, r = 0.1 + 0.2, num, typeof(num), txt, vc, hex(bin), typeof(bin), d, tm, ts, b FROM types ORDER BY id;

-- every type round-trips: written through pontoon, equal on the other side
CREATE VIRTUAL TABLE types2 USING pontoon(s, types2);
INSERT INTO types2 SELECT * FROM types;
SELECT 'read back', count(*) FROM (SELECT * FROM types2 EXCEPT SELECT * FROM types);
CREATE VIRTUAL TABLE rt USING pontoon(s, query='SELECT count(*) AS n FROM (SELECT * FROM types EXCEPT SELECT * FROM types2)');
SELECT 'in the file', n FROM rt;

-- pushdown: each answer against the same query on a local copy
CREATE TABLE lt AS SELECT * FROM t;
EXPLAIN QUERY PLAN SELECT id FROM t WHERE a = 5;
SELECT 'a = 5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a = 5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a = 5 ORDER BY id));
SELECT 'a >= 5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a >= 5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a >= 5 ORDER BY id));
SELECT 'a != 5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a != 5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a != 5 ORDER BY id));
SELECT 'a = ''5''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a = '5' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a = '5' ORDER BY id));
SELECT 'a = 5.5', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a = 5.5 ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a = 5.5 ORDER BY id));
SELECT 'a IS NULL', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE a IS NULL ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE a IS NULL ORDER BY id));
SELECT 'big = 9007199254740993', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE big = 9007199254740993)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE big = 9007199254740993));
EXPLAIN QUERY PLAN SELECT id FROM t WHERE txt = 'abc';
SELECT 'txt = ''abc''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt = 'abc' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt = 'abc' ORDER BY id));
SELECT 'txt = ''é''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt = 'é' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt = 'é' ORDER BY id));
SELECT 'txt LIKE ''a%''', (SELECT group_concat(id) FROM (SELECT id FROM t WHERE txt LIKE 'a%' ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt WHERE txt LIKE 'a%' ORDER BY id));
EXPLAIN QUERY PLAN SELECT id, a FROM t ORDER BY a DESC LIMIT 3;
SELECT 'ORDER BY a DESC LIMIT 3', (SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY a DESC, id LIMIT 3)) IS (SELECT group_concat(id) FROM (SELECT id FROM lt ORDER BY a DESC, id LIMIT 3));
SELECT 'ORDER BY a', (SELECT group_concat(quote(a)) FROM (SELECT a FROM t ORDER BY a)) IS (SELECT group_concat(quote(a)) FROM (SELECT a FROM lt ORDER BY a));
SELECT 'join on itself', (SELECT count(*) FROM t x JOIN t y ON y.a = x.a) IS (SELECT count(*) FROM lt x JOIN lt y ON y.a = x.a);
SELECT pontoon_count('t'), pontoon_count('t', 'a = 5');

-- writes: one execution per row
CREATE VIRTUAL TABLE w USING pontoon(s, w);
INSERT INTO w VALUES (1, 'one', 1.5, '2024-05-05 10:00:00+02:00', 1, x'00ff'), (2, 'tw''o é', NULL, NULL, 0, NULL);
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
CREATE VIRTUAL TABLE pair USING pontoon(s, pair);
UPDATE pair SET v = 'z' WHERE a = 1 AND b = 2;
SELECT a, b, v FROM pair ORDER BY a, b;
-- the harness's DSN names another file
SELECT pontoon_connect('s2', 'odbc:DSN=pontoon_sqlite');
SELECT pontoon_exec('s2', 'CREATE TABLE IF NOT EXISTS dsn_probe (x)');
SELECT pontoon_exec('s', 'SELECT * FROM nosuch');
