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
SELECT pontoon_exec('s', 'CREATE TABLE pair2 (a INT, b INT, v TEXT, PRIMARY KEY (b, a))');
SELECT pontoon_exec('s', 'INSERT INTO pair2 VALUES (1, 2, ''x''), (2, 1, ''y''), (3, 1, ''z'')');
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

CREATE VIRTUAL TABLE w USING pontoon(s, w);
CREATE VIRTUAL TABLE pair USING pontoon(s, pair);
CREATE VIRTUAL TABLE pair2 USING pontoon(s, pair2);
.read @TESTS@/sql/odbc_checks.inc
-- SQLite keeps what it is given: text in an INTEGER column, text in a REAL
-- one arrive as they are, and comparisons answer as in the file itself
SELECT pontoon_exec('s', 'CREATE TABLE dyn (id INTEGER PRIMARY KEY, n INTEGER, r REAL)');
SELECT pontoon_exec('s', 'INSERT INTO dyn VALUES (1, 5, 1.5), (2, ''abc'', ''xyz''), (3, 2.5, 7), (4, '''', NULL)');
CREATE VIRTUAL TABLE dyn USING pontoon(s, dyn);
SELECT id, n, typeof(n), r, typeof(r) FROM dyn;
CREATE VIRTUAL TABLE dyn_remote USING pontoon(s, query='SELECT group_concat(id) AS ids FROM dyn WHERE n > 5');
SELECT (SELECT group_concat(id) FROM dyn WHERE n > 5) IS (SELECT ids FROM dyn_remote);
-- the harness's DSN names another file
SELECT pontoon_connect('s2', 'odbc:DSN=pontoon_sqlite');
SELECT pontoon_exec('s2', 'CREATE TABLE IF NOT EXISTS dsn_probe (x)');
SELECT pontoon_exec('s', 'SELECT * FROM nosuch');
