-- The demo migration: the shop moves from its old MariaDB/MySQL database to
-- a new PostgreSQL one, in stages, each validated before the next, while
-- the old shop keeps taking orders.  The runbook of sql/cutover.sql:
-- capture, stage copies, sync until the lag is small, freeze, the final
-- sync, verify, switch, and the way back.  Plain SQL in the sqlite3 shell;
-- sql/demo.sh runs it with the servers `old` (mysql://...) and `new`
-- (postgresql://...) registered with pontoon_connect, the extension loaded,
-- and the shop's writer placing and changing orders on the old side until
-- the line `.shell ... PONTOON_DEMO_STOP_WRITER` stops it.
.headers on
.mode column

-- (A demo starts over: the tables and the ledger of an earlier run go.)
SELECT pontoon_exec('new', 'DROP TABLE IF EXISTS orders, users') AS dropped;
SELECT pontoon_exec('new', 'DROP SCHEMA IF EXISTS pontoon CASCADE') AS ledger_dropped;

-- The old database as a schema of this session.
ATTACH ':memory:' AS old;
SELECT pontoon_import('old', 'old', NULL, '%') AS old_tables;

-- Capture first: from now on every write to the old tables is recorded
-- (keys only) in pontoon_changes on the old server, so nothing the shop
-- writes while the copies run is missed.
SELECT pontoon_capture('old.users') AS capturing_users, pontoon_capture('old.orders') AS capturing_orders;

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

-- Stage 2: orders, two workers, while the shop writes: the copy is a
-- little behind as soon as it ends.
SELECT job, stage, count(*) AS chunks, sum(rows) AS rows
  FROM pontoon_copy('old.orders', 'new.orders', 'stage=2 chunk=5000 workers=2');
SELECT pontoon_count('old.orders') AS old_orders_now, pontoon_count('new.orders') AS new_orders_now;

-- Catch up: each sync applies the changes committed when it started (each
-- changed order read again as it is now); the shop goes on writing, so it
-- runs again, here every second (a loop in a shell would do the same),
-- until the lag is small.  pending: changes still queued; lag_seconds: the
-- age of the oldest.
SELECT sum(applied) AS applied, min(pending) AS pending FROM pontoon_sync('old.users', 'new.users');
SELECT sum(applied) AS applied, min(pending) AS pending FROM pontoon_sync('old.orders', 'new.orders');
.shell sleep 1
SELECT sum(applied) AS applied, min(pending) AS pending FROM pontoon_sync('old.orders', 'new.orders');
.shell sleep 1
SELECT sum(applied) AS applied, min(pending) AS pending FROM pontoon_sync('old.orders', 'new.orders');
.shell sleep 1
SELECT sum(applied) AS applied, min(pending) AS pending, max(lag_seconds) < 10 AS lag_small
  FROM pontoon_sync('old.orders', 'new.orders');

-- The cut-over: the shop stops writing (here: its writer ends cleanly) and
-- the old tables are frozen: a write now gets an error naming the migration.
.shell ${PONTOON_DEMO_STOP_WRITER:-true}
SELECT pontoon_freeze('old.users', 'new.users') AS frozen, pontoon_freeze('old.orders', 'new.orders') AS frozen;
-- The final sync: nothing is queued afterwards.
SELECT sum(applied) AS applied, max(pending) AS pending FROM pontoon_sync('old.users', 'new.users', 'until=empty');
SELECT sum(applied) AS applied, max(pending) AS pending FROM pontoon_sync('old.orders', 'new.orders', 'until=empty');
-- Verify: counts, money totals per status on both sides, every row.
SELECT pontoon_count('old.orders') AS old_orders, pontoon_count('new.orders') AS new_orders;
SELECT o.status, o.n AS old_n, n.n AS new_n, o.total AS old_total, n.total AS new_total
FROM (SELECT status, count(*) AS n, sum(total) AS total FROM old.orders GROUP BY status) o
JOIN (SELECT status, count(*) AS n, sum(total) AS total FROM new.orders GROUP BY status) n USING (status)
ORDER BY o.status;
SELECT count(*) AS users_differ FROM pontoon_diff('old.users', 'new.users');
SELECT count(*) AS orders_differ FROM pontoon_diff('old.orders', 'new.orders');
SELECT count(*) AS orders_placed_during_the_migration, max(id) AS last_old_order_id FROM old.orders WHERE id > 50000;

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

-- Switch: recorded in the ledger (refused unless frozen with nothing
-- queued); the shop now points at the new database.
SELECT count(*) AS syncs FROM pontoon_sync('old.users', 'new.users', 'switch=1');
SELECT count(*) AS syncs FROM pontoon_sync('old.orders', 'new.orders', 'switch=1');
SELECT stage, job, state, rows_done, rows_total, chunks_done FROM pontoon_jobs WHERE ledger = 'new' ORDER BY stage;

-- The way back: the new side is captured and the old one kept current, so
-- going back loses nothing.  The old side's own capture stops first, and
-- it is thawed for the syncs (the shop no longer writes there).
SELECT pontoon_capture_stop('old.users') AS stopped, pontoon_capture_stop('old.orders') AS stopped;
SELECT pontoon_thaw('old.users') AS thawed, pontoon_thaw('old.orders') AS thawed;
SELECT pontoon_capture('new.orders') AS capturing_new_orders;
-- The new side takes orders: one without an id gets the next one.
SELECT pontoon_exec('new', 'INSERT INTO orders (user_id, total, status, placed_at, note) VALUES (1, 9.99, ''new'', now(), ''placed on the new side'')') AS new_order;
CREATE VIRTUAL TABLE temp.last_order USING pontoon(new, query='SELECT max(id) AS id FROM orders');
SELECT id AS new_order_id FROM temp.last_order;
SELECT sum(applied) AS applied_back FROM pontoon_sync('new.orders', 'old.orders', 'job=orders-back');
SELECT count(*) AS orders_differ_after_the_way_back FROM pontoon_diff('new.orders', 'old.orders');
SELECT pontoon_capture_stop('new.orders') AS stopped;

SELECT CASE WHEN pontoon_checksum('old.orders') = pontoon_checksum('new.orders')
             AND pontoon_checksum('old.users') = pontoon_checksum('new.users')
            THEN 'old and new are equal' ELSE 'old and new DIFFER' END AS result,
       (SELECT count(*) FROM old.orders WHERE id > 50000 AND note IS NOT 'placed on the new side')
         AS orders_placed_during_the_migration;
SELECT 'migration done' AS result;
