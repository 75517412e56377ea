-- The demo migration: the shop moves from its old MariaDB/MySQL database to
-- a new PostgreSQL one, in stages, each validated before the next.  Plain
-- SQL in the sqlite3 shell; sql/demo.sh runs it with the servers `old`
-- (mysql://...) and `new` (postgresql://...) registered with
-- pontoon_connect and the extension loaded.
.headers on
.mode column

-- (A demo starts over: the tables and the ledger of an earlier run go.)
SELECT pontoon_exec('new', 'DROP TABLE IF EXISTS orders, users') AS dropped;
SELECT pontoon_exec('new', 'DROP SCHEMA IF EXISTS pontoon CASCADE') AS ledger_dropped;

-- The old database as a schema of this session.
ATTACH ':memory:' AS old;
SELECT pontoon_import('old', 'old', NULL, '%') AS old_tables;

-- Stage 0: the tables on the new side, written for PostgreSQL from the old
-- side's catalog by pontoon_ddl (columns by its casting rules, NOT NULL,
-- defaults, primary keys); indexes and constraints come after the copy.
SELECT pontoon_ddl('old.orders', 'postgresql') AS orders_on_the_new_side;
SELECT pontoon_exec('new', pontoon_ddl('old.users', 'postgresql')) AS created;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql')) AS created;
ATTACH ':memory:' AS new;
SELECT pontoon_import('new', 'new', 'public') AS new_tables;

-- Stage 1: users, copied in chunks; each chunk commits with its ledger row,
-- so a copy stopped half-way goes on where it stopped when run again.
SELECT job, stage, count(*) AS chunks, sum(rows) AS rows
  FROM pontoon_copy('old.users', 'new.users', 'stage=1 chunk=2500');
-- Validate: counts and checksums computed by each server, then the rows
-- that differ, found by checksum bisection (none: it marks the job verified).
SELECT pontoon_count('old.users') AS old_users, pontoon_count('new.users') AS new_users;
SELECT pontoon_checksum('old.users') = pontoon_checksum('new.users') AS users_same_checksum;
SELECT count(*) AS users_differ FROM pontoon_diff('old.users', 'new.users');

-- Stage 2: orders, two workers.
SELECT job, stage, count(*) AS chunks, sum(rows) AS rows
  FROM pontoon_copy('old.orders', 'new.orders', 'stage=2 chunk=5000 workers=2');
-- Validate: counts, money totals per status on both sides, every row.
SELECT pontoon_count('old.orders') AS old_orders, pontoon_count('new.orders') AS new_orders;
SELECT o.status, o.n AS old_n, n.n AS new_n, o.total AS old_total, n.total AS new_total
FROM (SELECT status, count(*) AS n, sum(total) AS total FROM old.orders GROUP BY status) o
JOIN (SELECT status, count(*) AS n, sum(total) AS total FROM new.orders GROUP BY status) n USING (status)
ORDER BY o.status;
SELECT count(*) AS orders_differ FROM pontoon_diff('old.orders', 'new.orders');

-- Stage 3: indexes, constraints and the identity's next value on the new
-- side, now that the data is in, from the old side's catalog.
SELECT pontoon_exec('new', pontoon_ddl('old.users', 'postgresql', 'constraints')) AS ok;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql', 'indexes')) AS ok;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql', 'constraints')) AS ok;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql', 'sequences')) AS ok;
SELECT pontoon_exec('new', 'ANALYZE') AS ok;
-- Validate: the new catalog has them, and every order has its user.
CREATE VIRTUAL TABLE temp.new_catalog USING pontoon(new, query='SELECT indexname FROM pg_indexes WHERE schemaname = ''public'' ORDER BY indexname');
SELECT indexname FROM temp.new_catalog;
SELECT count(*) AS orders_without_user FROM new.orders o WHERE NOT EXISTS (SELECT 1 FROM new.users u WHERE u.id = o.user_id);
-- The migrated volume per stage, from the ledger in the new database.
SELECT stage, job, state, rows_done, rows_total, chunks_done FROM pontoon_jobs WHERE ledger = 'new' ORDER BY stage;
-- The new side takes writes: an order without an id gets the next one.
SELECT pontoon_exec('new', 'INSERT INTO orders (user_id, total, status, placed_at) VALUES (1, 9.99, ''new'', now())') AS new_order;
CREATE VIRTUAL TABLE temp.last_order USING pontoon(new, query='SELECT max(id) AS id FROM orders');
SELECT id AS new_order_id FROM temp.last_order;
SELECT 'migration done' AS result;
