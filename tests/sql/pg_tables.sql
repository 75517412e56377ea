-- CREATE VIRTUAL TABLE in all its forms, pontoon_import, query= tables,
-- pontoon_count, and the errors a user can meet on the way.
-- Data: tests/fixtures/pg_tables.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
-- a table named as SQL writes a name
CREATE VIRTUAL TABLE u1 USING pontoon(pg, tb.users);
CREATE VIRTUAL TABLE u2 USING pontoon(pg, 'tb.users');
CREATE VIRTUAL TABLE u3 USING pontoon('pg', "tb"."users");
CREATE VIRTUAL TABLE mc USING pontoon(pg, tb."Mixed Case");
CREATE VIRTUAL TABLE weird USING pontoon(pg, hid."we""ird");
CREATE VIRTUAL TABLE inj USING pontoon(pg, 'hid."a""b; DROP TABLE x; --"');
CREATE VIRTUAL TABLE odd USING pontoon(pg, "Odd Schema"."Tab.le");
SELECT * FROM u1 ORDER BY id;
SELECT count(*) FROM u2;
SELECT name FROM u3 WHERE id = 2;
SELECT * FROM mc;
SELECT "semi;colon", "with space", "select", "ünïcode", "Mixed Case", "quote""d" FROM weird;
EXPLAIN QUERY PLAN SELECT "with space" FROM weird WHERE "select" = 'reserved';
SELECT "with space" FROM weird WHERE "select" = 'reserved';
SELECT * FROM inj;
EXPLAIN QUERY PLAN SELECT * FROM inj WHERE id = 7;
SELECT * FROM odd;
SELECT name, type FROM pragma_table_info('weird');
-- without a schema the server's search path decides, and the plan names it
CREATE VIRTUAL TABLE via_path USING pontoon(pg, path_probe);
EXPLAIN QUERY PLAN SELECT * FROM via_path;
SELECT * FROM via_path;
-- import: one virtual table per remote table and view
ATTACH ':memory:' AS old;
SELECT pontoon_import('pg', 'old', 'tb');
SELECT name FROM old.sqlite_schema WHERE type = 'table' ORDER BY name;
SELECT sql FROM old.sqlite_schema WHERE name = 'users';
SELECT o.id, u.name, o.total FROM old.orders o JOIN old.users u ON u.id = o.user_id ORDER BY o.id;
SELECT * FROM old.big_orders;
SELECT * FROM old.pairs ORDER BY b, a;
ATTACH ':memory:' AS some;
SELECT pontoon_import('pg', 'some', 'tb', 'p%');
SELECT name FROM some.sqlite_schema ORDER BY name;
SELECT pontoon_import('pg', 'some', 'tb', 'p%');
-- pontoon_count runs on the server, with an optional remote WHERE
SELECT pontoon_count('u1'), pontoon_count('old.orders'), pontoon_count('old.orders', 'total > 50');
SELECT pontoon_count('main.u1', 'email LIKE ''%example%''');
SELECT pontoon_count('old.big_orders');
SELECT pontoon_count('nosuch');
SELECT pontoon_count('old.orders', 'no_such_column > 1');
-- query= tables: a remote query as a read-only table
CREATE VIRTUAL TABLE totals USING pontoon(pg, query='SELECT user_id, sum(total) AS total, count(*) AS n FROM tb.orders GROUP BY user_id');
SELECT * FROM totals ORDER BY user_id;
SELECT * FROM totals WHERE user_id = 1;
EXPLAIN QUERY PLAN SELECT * FROM totals WHERE user_id = 1;
SELECT pontoon_count('totals');
CREATE VIRTUAL TABLE sneaky USING pontoon(pg, query='SELECT 1 AS x; DELETE FROM tb.users');
CREATE VIRTUAL TABLE writes USING pontoon(pg, query='WITH d AS (DELETE FROM tb.users RETURNING id) SELECT id FROM d');
SELECT * FROM writes;
SELECT count(*) FROM u1;
CREATE VIRTUAL TABLE dup USING pontoon(pg, query='SELECT 1 AS a, 2 AS a');
SELECT * FROM dup;
-- errors: each names the server, the table and the cause
CREATE VIRTUAL TABLE e1 USING pontoon(pg, tb.no_such_table);
CREATE VIRTUAL TABLE e2 USING pontoon(nosuch, tb.users);
CREATE VIRTUAL TABLE e3 USING pontoon(pg);
CREATE VIRTUAL TABLE e4 USING pontoon(pg, tb.users, colour=blue);
CREATE VIRTUAL TABLE e5 USING pontoon(pg, tb.users, password=secret);
CREATE VIRTUAL TABLE e6 USING pontoon('postgresql://app:secret@127.0.0.1/shop', tb.users);
CREATE VIRTUAL TABLE e7 USING pontoon('host=127.0.0.1 password=secret', tb.users);
CREATE VIRTUAL TABLE e8 USING pontoon(pg, tb.users, query='select 1');
CREATE VIRTUAL TABLE e9 USING pontoon(pg, 'a.b.c');
CREATE VIRTUAL TABLE e10 USING pontoon(pg, tb.users, fetch=0);
CREATE VIRTUAL TABLE e11 USING pontoon(pg, tb.users, columns='"id" nonsense');
CREATE VIRTUAL TABLE e12 USING pontoon(pg, query='SELECT FROM nowhere_at_all');
-- fetch= sets the rows per batch; the answer is the same
CREATE VIRTUAL TABLE u_small USING pontoon(pg, tb.users, fetch=1);
SELECT group_concat(id) FROM u_small;
-- Safety: the module and the network functions are DIRECTONLY
CREATE VIEW v_users AS SELECT * FROM u1;
SELECT * FROM v_users;
CREATE VIEW v_connect AS SELECT pontoon_connect('x', '@PG_URI_NOPW@');
SELECT * FROM v_connect;
CREATE VIEW v_count AS SELECT pontoon_count('u1');
SELECT * FROM v_count;
CREATE TABLE log(x);
CREATE TRIGGER tr AFTER INSERT ON log BEGIN SELECT pontoon_count('u1'); END;
INSERT INTO log VALUES (1);
CREATE TRIGGER tr2 AFTER INSERT ON log BEGIN INSERT INTO log SELECT id FROM u1; END;
DROP TRIGGER tr;
INSERT INTO log VALUES (2);
SELECT count(*) FROM log;
-- dropping a virtual table leaves the remote table alone
DROP TABLE u2;
SELECT count(*) FROM u1;
