-- The cut-over runbook: the shop moves from its old MariaDB/MySQL database
-- to a new PostgreSQL one while the old one keeps taking orders.  Plain SQL
-- in the sqlite3 shell, each step commented; run with the servers `old`
-- (mysql://...) and `new` (postgresql://...) registered with
-- pontoon_connect, on the old shop of sql/demo_old_shop.my.sql
-- (tests/scripts/sync_cutover.sh runs it so).  docs/capture.md and
-- docs/sync.md say what each function does.
.headers on
.mode column

-- (A run starts over: the new side's tables and ledger of an earlier run go.)
SELECT pontoon_exec('new', 'DROP TABLE IF EXISTS orders, users') AS dropped;
SELECT pontoon_exec('new', 'DROP SCHEMA IF EXISTS pontoon CASCADE') AS ledger_dropped;
ATTACH ':memory:' AS old;
SELECT pontoon_import('old', 'old', NULL, '%') AS old_tables;

-- 1. Capture first: from now on every write to the old tables is recorded
--    (keys only) in pontoon_changes on the old server, so nothing written
--    while the copy runs is missed.
SELECT pontoon_capture('old.users') AS capturing_users, pontoon_capture('old.orders') AS capturing_orders;

-- 2. The new side's tables, without the constraints that would refuse rows
--    arriving in another order than the old side wrote them.
SELECT pontoon_exec('new', pontoon_ddl('old.users', 'postgresql')) AS created;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql')) AS created;
ATTACH ':memory:' AS new;
SELECT pontoon_import('new', 'new', 'public') AS new_tables;

-- 3. Stage copies, while the application writes (here: a few writes between
--    the stages stand for it).
SELECT job, stage, sum(rows) AS rows FROM pontoon_copy('old.users', 'new.users', 'stage=1');
SELECT pontoon_exec('old', 'UPDATE users SET name = concat(name, '' (moved)'') WHERE id <= 20') AS app_wrote;
SELECT job, stage, sum(rows) AS rows FROM pontoon_copy('old.orders', 'new.orders', 'stage=2 workers=2');
SELECT pontoon_exec('old', 'INSERT INTO orders (user_id, total, status, placed_at) VALUES (1, 12.50, ''new'', now()), (2, 7.00, ''new'', now())') AS app_wrote;
SELECT pontoon_exec('old', 'UPDATE orders SET status = ''shipped'' WHERE id % 97 = 0') AS app_wrote;
SELECT pontoon_exec('old', 'DELETE FROM orders WHERE id % 211 = 0') AS app_wrote;

-- 4. Sync until the lag is small: each call applies what was committed when
--    it started; run it again and again (a loop in the shell) until
--    `pending` and `lag_seconds` are small.
SELECT sum(applied) AS applied, min(pending) AS pending FROM pontoon_sync('old.users', 'new.users');
SELECT sum(applied) AS applied, min(pending) AS pending FROM pontoon_sync('old.orders', 'new.orders');
SELECT pontoon_exec('old', 'UPDATE orders SET total = total + 1 WHERE id <= 10') AS app_wrote;
SELECT sum(applied) AS applied, min(pending) AS pending, max(lag_seconds) < 60 AS lag_small
  FROM pontoon_sync('old.orders', 'new.orders');

-- 5. Freeze: the old tables refuse writes, with a message naming the
--    migration; the application shows an error, not a hang.  The jobs are
--    `frozen`.
SELECT pontoon_freeze('old.users', 'new.users') AS frozen, pontoon_freeze('old.orders', 'new.orders') AS frozen;

-- 6. The final sync: the queues are empty afterwards.
SELECT sum(applied) AS applied, max(pending) AS pending FROM pontoon_sync('old.users', 'new.users', 'until=empty');
SELECT sum(applied) AS applied, max(pending) AS pending FROM pontoon_sync('old.orders', 'new.orders', 'until=empty');

-- 7. Verify: the diff is empty (each server hashes its rows; a diff that
--    finds nothing records the checksum in the ledger).
SELECT count(*) AS users_differ FROM pontoon_diff('old.users', 'new.users');
SELECT count(*) AS orders_differ FROM pontoon_diff('old.orders', 'new.orders');

-- 8. Indexes, constraints and sequences (issue 11): the identity's next
--    value is max(id) + 1 on the new side.
SELECT pontoon_exec('new', pontoon_ddl('old.users', 'postgresql', 'constraints')) AS ok;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql', 'indexes')) AS ok;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql', 'constraints')) AS ok;
SELECT pontoon_exec('new', pontoon_ddl('old.orders', 'postgresql', 'sequences')) AS ok;

-- 9. Switch: record it (refused unless frozen and nothing is queued), then
--    point the application at the new database.
SELECT count(*) AS syncs FROM pontoon_sync('old.users', 'new.users', 'switch=1');
SELECT count(*) AS syncs FROM pontoon_sync('old.orders', 'new.orders', 'switch=1');
SELECT job, stage, state FROM pontoon_jobs WHERE ledger = 'new' ORDER BY stage;

-- 10. The way back: capture the new side and keep the old one current, so
--     that going back loses nothing written in between.  The old side's own
--     capture stops first (its triggers would record the syncs' writes), and
--     it is thawed for the syncs, not for the application, which no longer
--     points at it.
SELECT pontoon_capture_stop('old.users') AS stopped, pontoon_capture_stop('old.orders') AS stopped;
SELECT pontoon_thaw('old.users') AS thawed, pontoon_thaw('old.orders') AS thawed;
SELECT pontoon_capture('new.orders') AS capturing_new_orders;
SELECT pontoon_exec('new', 'INSERT INTO orders (user_id, total, status, placed_at) VALUES (3, 20.00, ''new'', now())') AS app_wrote_on_the_new_side;
SELECT sum(applied) AS applied_back FROM pontoon_sync('new.orders', 'old.orders', 'job=orders-back');
SELECT count(*) AS orders_differ_after_the_way_back FROM pontoon_diff('new.orders', 'old.orders');
-- (When going back is no longer wanted: pontoon_capture_stop('new.orders').)
SELECT pontoon_capture_stop('new.orders') AS stopped;
SELECT 'cut-over done' AS result;
