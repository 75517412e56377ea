#!/usr/bin/env bash
# Zero downtime under a live writer (issue 15 items 2-4): for PostgreSQL ->
# PostgreSQL and MariaDB -> PostgreSQL, the source is captured, then
# writers insert, update (keys included) and delete on it throughout the
# copy and the syncs, one of them holding a transaction open for seconds
# while later ones commit, so that a change with a smaller seq commits
# after a larger one was applied (the ledger shows it happened).  Syncs
# run in a loop meanwhile, some of them killed with SIGKILL mid-way.  Then
# freeze (a write is refused with the migration's name), the final sync,
# and the servers' own queries (count and md5 of every value, in key
# order; not pontoon_diff) find the two tables equal.  Thaw lets writes
# through again, and capture_stop leaves no trigger, function or table
# behind.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
N=${PONTOON_LIVE_ROWS:-20000}
SECONDS_WRITING=${PONTOON_LIVE_SECONDS:-14}
tmp=$(mktemp -d)
writers=()
cleanup() {
  for p in "${writers[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
pg2() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2" "$@"; }
pgw() { env -u LD_PRELOAD psql -X -q -t -A "$PONTOON_PG_URI_NOPW" "$@"; }
myw() { env -u LD_PRELOAD MYSQL_PWD=$PONTOON_MY_PASSWORD mariadb -N -B --force \
  -h "$PONTOON_MY_HOST" -P "$PONTOON_MY_PORT" -u "$PONTOON_MY_USER" "$PONTOON_MY_DB" "$@"; }

pg_sql -c "SET client_min_messages = warning;
  DROP TABLE IF EXISTS public.live_src; DROP SEQUENCE IF EXISTS public.live_ids;
  CREATE SEQUENCE public.live_ids START 100000000;
  CREATE TABLE public.live_src (id bigint PRIMARY KEY, grp int, name text, amount numeric(12,2), at timestamptz);
  INSERT INTO public.live_src SELECT g, g % 17, 'name ' || g, g / 8.0,
    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, $N) g;" >/dev/null
my_sql -e "DROP TABLE IF EXISTS live_src;
  CREATE TABLE live_src (code varchar(20) PRIMARY KEY, qty int, note text);
  INSERT INTO live_src SELECT concat('k', lpad(seq, 7, '0')), seq, if(seq % 9 = 0, NULL, concat('n', seq))
    FROM seq_1_to_$N;"
pg2 -c "SET client_min_messages = warning; DROP TABLE IF EXISTS public.live_pg, public.live_my;" >/dev/null
for t in chunk job sync_batch; do
  pg2 -c "DELETE FROM pontoon.$t WHERE job LIKE 'live-%'" >/dev/null 2>&1
done
pg2 -c "CREATE TABLE public.live_pg (id bigint PRIMARY KEY, grp int, name text, amount numeric(12,2), at timestamptz);
  CREATE TABLE public.live_my (code text PRIMARY KEY, qty int, note text);" >/dev/null

cat >"$tmp/setup.sql" <<EOF
SELECT pontoon_connect('old', '$PONTOON_PG_URI_NOPW') IS NULL;
SELECT pontoon_connect('my', '$MY_URI_NOPW') IS NULL;
SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW') IS NULL;
CREATE VIRTUAL TABLE temp.pg_src USING pontoon(old, 'public.live_src');
CREATE VIRTUAL TABLE temp.my_src USING pontoon(my, live_src);
CREATE VIRTUAL TABLE temp.pg_dst USING pontoon(new, 'public.live_pg');
CREATE VIRTUAL TABLE temp.my_dst USING pontoon(new, 'public.live_my');
EOF
run() { { cat "$tmp/setup.sql"; echo "$1"; } | shell 2>&1; }

out=$(run "SELECT pontoon_capture('temp.pg_src'), pontoon_capture('temp.my_src');")
check "both sources captured ($out)" [ "$(echo "$out" | tail -1)" = "1|1" ]

# ---- the writers ----
end=$(($(date +%s) + SECONDS_WRITING))
# short transactions: insert, update, update of the key, delete
pg_fast() {
  while [ "$(date +%s)" -lt "$end" ]; do
    cat <<EOF
INSERT INTO public.live_src VALUES (nextval('public.live_ids'), 1, 'new', 1.5, now());
UPDATE public.live_src SET amount = amount + 1, name = name || 'u' WHERE id = (SELECT floor(random() * $N + 1)::bigint);
UPDATE public.live_src SET id = nextval('public.live_ids') WHERE id = (SELECT floor(random() * $N + 1)::bigint);
DELETE FROM public.live_src WHERE id = (SELECT floor(random() * $N + 1)::bigint);
UPDATE public.live_src SET grp = grp + 1 WHERE id = (SELECT max(id) FROM public.live_src);
SELECT pg_sleep(0.003);
EOF
  done
}
# transactions held open for seconds while the others commit
pg_slow() {
  sleep 1
  while [ "$(date +%s)" -lt $((end - 4)) ]; do
    cat <<EOF
BEGIN;
UPDATE public.live_src SET name = name || 'slow' WHERE id = (SELECT floor(random() * $N + 1)::bigint);
INSERT INTO public.live_src VALUES (nextval('public.live_ids'), 2, 'slow', 2.5, now());
UPDATE public.live_src SET id = nextval('public.live_ids') WHERE id = (SELECT floor(random() * $N + 1)::bigint);
SELECT pg_sleep(3);
COMMIT;
EOF
    sleep 0.5
  done
}
my_fast() {
  local i=0
  while [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    cat <<EOF
INSERT INTO live_src VALUES (concat('n', uuid_short()), 1, 'new');
SET @k = concat('k', lpad(floor(1 + rand() * $N), 7, '0'));
UPDATE live_src SET qty = qty + 1, note = concat(coalesce(note, ''), 'u') WHERE code = @k;
SET @k = concat('k', lpad(floor(1 + rand() * $N), 7, '0'));
UPDATE live_src SET code = concat('m', uuid_short()) WHERE code = @k;
SET @k = concat('k', lpad(floor(1 + rand() * $N), 7, '0'));
UPDATE live_src SET code = upper(code) WHERE code = @k;
SET @k = concat('k', lpad(floor(1 + rand() * $N), 7, '0'));
DELETE FROM live_src WHERE code = @k;
DO SLEEP(0.003);
EOF
  done
}
my_slow() {
  sleep 1
  while [ "$(date +%s)" -lt $((end - 4)) ]; do
    cat <<EOF
START TRANSACTION;
SET @k = concat('k', lpad(floor(1 + rand() * $N), 7, '0'));
UPDATE live_src SET note = 'slow' WHERE code = @k;
INSERT INTO live_src VALUES (concat('s', uuid_short()), 2, 'slow');
SET @k = concat('k', lpad(floor(1 + rand() * $N), 7, '0'));
UPDATE live_src SET code = concat('t', uuid_short()) WHERE code = @k;
DO SLEEP(3);
COMMIT;
EOF
    sleep 0.5
  done
}
pg_fast | pgw >/dev/null 2>&1 &
writers+=($!)
pg_slow | pgw >/dev/null 2>&1 &
writers+=($!)
my_fast | myw >/dev/null 2>&1 &
writers+=($!)
my_slow | myw >/dev/null 2>&1 &
writers+=($!)

# ---- the copy and the syncs, while they write ----
t0=$(date +%s%3N)
out=$(run "SELECT sum(rows) FROM pontoon_copy('temp.pg_src', 'temp.pg_dst', 'job=live-pg chunk=2000');
           SELECT sum(rows) FROM pontoon_copy('temp.my_src', 'temp.my_dst', 'job=live-my chunk=2000');")
echo "the copies took $(( $(date +%s%3N) - t0 )) ms"
check "both copies ran while the writers wrote ($(echo $out | tr '\n' ' '))" \
  [ -z "$(echo "$out" | grep -i error)" ]
syncs=0 kills=0 failed=0
sync_sql="SELECT sum(applied) FROM pontoon_sync('temp.pg_src', 'temp.pg_dst', 'job=live-pg batch=200');
SELECT sum(applied) FROM pontoon_sync('temp.my_src', 'temp.my_dst', 'job=live-my batch=200');"
while [ "$(date +%s)" -lt "$end" ]; do
  if [ $((syncs % 3)) = 2 ]; then
    # killed mid-way: the next sync converges anyway
    { cat "$tmp/setup.sql"; echo "$sync_sql"; } | shell >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
  else
    t0=$(date +%s%3N)
    out=$(run "$sync_sql")
    echo "sync: $(( $(date +%s%3N) - t0 )) ms, applied $(echo $out | tr '\n' ' ')"
    if echo "$out" | grep -qi error; then echo "$out"; failed=$((failed + 1)); fi
  fi
  syncs=$((syncs + 1))
  sleep 0.3
done
for p in "${writers[@]}"; do wait "$p" 2>/dev/null; done
writers=()
echo "$syncs syncs while writing, $kills of them killed"
check "syncs ran while the writers wrote, none failed ($syncs, $failed failed)" [ "$syncs" -ge 3 ] && [ "$failed" = 0 ]
check "some syncs were killed mid-way ($kills)" [ "$kills" -ge 1 ]
pending=$(pg_sql -c "SELECT count(*) FROM pontoon.changes")
echo "changes still queued on PostgreSQL when the writers stopped: $pending"

# a change with a smaller seq committed after a larger one was applied: a
# later batch applied a seq below an earlier batch's last one
late=$(pg2 -c "SELECT count(*) FROM pontoon.sync_batch a JOIN pontoon.sync_batch b ON a.job = b.job AND b.batch > a.batch
               AND b.first_seq < a.last_seq WHERE a.job IN ('live-pg', 'live-my')")
check "late commits happened: a later batch applied a smaller seq ($late pairs)" [ "$late" -gt 0 ]

# ---- freeze, the final sync, the comparison ----
out=$(run "SELECT pontoon_freeze('temp.pg_src', 'temp.pg_dst', 'job=live-pg'), pontoon_freeze('temp.my_src', 'temp.my_dst', 'job=live-my');")
check "both sources frozen ($(echo "$out" | tail -1))" [ "$(echo "$out" | tail -1)" = "1|1" ]
err=$(pgw -c "UPDATE public.live_src SET grp = 0 WHERE id = 5" 2>&1)
check "PostgreSQL refuses a write with the migration's name ($err)" \
  grep -q "frozen for the migration 'live-pg'" <<<"$err"
err=$(myw -e "INSERT INTO live_src VALUES ('frozen', 0, NULL)" 2>&1)
check "MariaDB refuses a write with the migration's name ($err)" \
  grep -q "frozen for the migration 'live-my'" <<<"$err"
out=$(run "SELECT sum(applied), min(pending) FROM pontoon_sync('temp.pg_src', 'temp.pg_dst', 'job=live-pg until=empty');
           SELECT sum(applied), min(pending) FROM pontoon_sync('temp.my_src', 'temp.my_dst', 'job=live-my until=empty');
           SELECT count(*) FROM pontoon_sync('temp.pg_src', 'temp.pg_dst', 'job=live-pg switch=1');
           SELECT job, state FROM pontoon_jobs WHERE job LIKE 'live-%' ORDER BY job;")
echo "final syncs: $(echo $out | tr '\n' ' ')"
check "the final syncs empty the queues" [ "$(pg_sql -c "SELECT count(*) FROM pontoon.changes")" = 0 ] && \
  [ "$(my_sql -e "SELECT count(*) FROM pontoon_changes")" = 0 ]
check "the jobs' states: live-my frozen, live-pg switched" \
  grep -q "live-my|frozen live-pg|switched" <<<"$(echo $out | tr '\n' ' ')"
got=$(pg2 -c "SELECT count(*), count(DISTINCT id), md5(string_agg(id || '|' || grp || '|' || name || '|' || amount || '|' || at, ',' ORDER BY id)) FROM public.live_pg")
want=$(pg_sql -c "SELECT count(*), count(DISTINCT id), md5(string_agg(id || '|' || grp || '|' || name || '|' || amount || '|' || at, ',' ORDER BY id)) FROM public.live_src")
echo "PostgreSQL source $want, target $got"
check "PostgreSQL -> PostgreSQL: the tables are equal (the servers' own md5)" [ "$got" = "$want" ]
got=$(pg2 -c "SELECT count(*), count(DISTINCT code), md5(string_agg(code || '|' || qty || '|' || coalesce(note, '~'), ',' ORDER BY code COLLATE \"C\")) FROM public.live_my")
want=$(my_sql -e "SET SESSION group_concat_max_len = 1073741824; SELECT count(*), count(DISTINCT code), md5(group_concat(concat(code, '|', qty, '|', coalesce(note, '~')) ORDER BY BINARY code SEPARATOR ',')) FROM live_src" | tr '\t' '|')
echo "MariaDB source $want, target $got"
check "MariaDB -> PostgreSQL: the tables are equal (the servers' own md5)" [ "$got" = "$want" ]
changed=$(pg_sql -c "SELECT count(*) FROM public.live_src WHERE id > $N OR name LIKE '%u'")
check "the writers changed many rows meanwhile ($changed)" [ "$changed" -gt 100 ]

# ---- thaw, then capture_stop leaves nothing ----
out=$(run "SELECT pontoon_thaw('temp.pg_src', 'temp.pg_dst', 'job=live-pg'), pontoon_thaw('temp.my_src', 'temp.my_dst', 'job=live-my');")
check "thawed" [ "$(echo "$out" | tail -1)" = "1|1" ]
check "PostgreSQL takes writes again" pgw -v ON_ERROR_STOP=1 -c "UPDATE public.live_src SET grp = 0 WHERE id = 5"
check "MariaDB takes writes again" my_sql -e "UPDATE live_src SET qty = 0 WHERE code = 'k0000006'"
out=$(run "SELECT pontoon_capture_stop('temp.pg_src'), pontoon_capture_stop('temp.my_src');")
check "capture stopped ($(echo "$out" | tail -1))" [ "$(echo "$out" | tail -1)" = "1|1" ]
left=$(pg_sql -c "SELECT (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.live_src'::regclass AND NOT tgisinternal)
  + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'pontoon'
     AND p.proname LIKE '%live_src%')
  + (to_regclass('pontoon.changes') IS NOT NULL)::int + (to_regclass('pontoon.captures') IS NOT NULL)::int")
check "PostgreSQL: no trigger, function or table left ($left)" [ "$left" = 0 ]
left=$(my_sql -e "SELECT (SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = database())
  + (SELECT count(*) FROM information_schema.tables WHERE table_schema = database()
     AND table_name IN ('pontoon_changes', 'pontoon_captures'))")
check "MariaDB: no trigger or table left ($left)" [ "$left" = 0 ]
check "PostgreSQL: writes are not recorded any more" pgw -v ON_ERROR_STOP=1 -c "INSERT INTO public.live_src VALUES (-1, 0, 'after', 0, now())"
finish
