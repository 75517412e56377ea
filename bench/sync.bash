# bench/sync.bash — the pontoon_sync and pontoon_capture rows of
# bench/run.sh (PONTOON_BENCH_ONLY=sync), sourced by run.sh, which provides
# the servers, the data (bench_users in the old database), psql_, shell_sql,
# median, ratio and the URIs.  Three measurements, one run each:
#   catch-up   the old database's bench_users copied as sync_users, captured,
#              copied into the new database, then every row updated once
#              (PONTOON_BENCH_SYNC_UPDATES rows, default 1,000,000, at most
#              the users): pontoon_sync PostgreSQL -> PostgreSQL until the
#              queue is empty, batch=10000; changed keys per second
#   capture    pgbench, 1 client, single-row statements on sync_cap (an
#              update by key and an insert, alternating), PONTOON_BENCH_SYNC_SECONDS
#              (default 15) each, without and with capture, three times in turns:
#              the rate with capture against the rate without (medians)
#   lag        pgbench --rate=1000 updating sync_users for
#              PONTOON_BENCH_SYNC_LAG_SECONDS (default 30) while a loop runs
#              pontoon_sync again and again: the largest lag_seconds any
#              batch reported, and the curve, the largest per 3 seconds
# The machine may be shared: absolute rates are noise, the capture ratio less.

sync_updates=${PONTOON_BENCH_SYNC_UPDATES:-1000000}
[ "$sync_updates" -le "$users" ] || sync_updates=$users
sync_seconds=${PONTOON_BENCH_SYNC_SECONDS:-15}
sync_lag_seconds=${PONTOON_BENCH_SYNC_LAG_SECONDS:-30}

sync_sql() { # sync_sql SQL...: run in the shell, sync_users registered
  shell_sql "$tmp/sync.sql" <<SQL
CREATE VIRTUAL TABLE temp.s USING pontoon(old, public.sync_users);
CREATE VIRTUAL TABLE temp.d USING pontoon(new, public.sync_users);
$*
SQL
  sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/sync.sql"
}

sync_bench() {
  echo "== sync: sync_users ($sync_updates rows) in the old database, captured, copied into the new one"
  psql_ "$old_direct" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS pontoon CASCADE;
    DROP TABLE IF EXISTS sync_users, sync_cap; DROP SEQUENCE IF EXISTS sync_cap_ids;
    CREATE TABLE sync_users AS SELECT * FROM bench_users WHERE id <= $sync_updates;
    ALTER TABLE sync_users ADD PRIMARY KEY (id);
    CREATE TABLE sync_cap (id bigint PRIMARY KEY, n int NOT NULL, note text, at timestamptz NOT NULL);
    INSERT INTO sync_cap SELECT g, 0, 'row ' || g, now() FROM generate_series(1, 100000) g;
    CREATE SEQUENCE sync_cap_ids START 100000000;" -c "VACUUM ANALYZE sync_users" -c "VACUUM ANALYZE sync_cap"
  psql_ "$new_direct" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS pontoon CASCADE;
    DROP TABLE IF EXISTS public.sync_users; CREATE TABLE public.sync_users (LIKE fdw.bench_users);
    ALTER TABLE public.sync_users ADD PRIMARY KEY (id)"
  sync_sql "SELECT pontoon_capture('temp.s'); SELECT sum(rows) FROM pontoon_copy('temp.s', 'temp.d');" >/dev/null

  # (a) catch-up after $sync_updates captured updates
  local t0 t1
  t0=$(date +%s.%N)
  psql_ "$old_direct" -c "UPDATE sync_users SET balance = balance + 1"
  t1=$(date +%s.%N)
  sync_update_s=$(python3 -c "print('%.1f' % ($t1 - $t0))")
  psql_ "$old_direct" -c "VACUUM ANALYZE pontoon.changes"
  t0=$(date +%s.%N)
  sync_sql "SELECT count(*), sum(applied) FROM pontoon_sync('temp.s', 'temp.d', 'batch=10000 until=empty');" >"$tmp/sync_catchup.out"
  t1=$(date +%s.%N)
  sync_catchup_s=$(python3 -c "print('%.1f' % ($t1 - $t0))")
  sync_applied=$(cut -d'|' -f2 <"$tmp/sync_catchup.out")
  sync_rate=$(python3 -c "print('%d' % ($sync_updates / ($t1 - $t0)))")
  local a b
  a=$(psql_ -t -A "$old_direct" -c "SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM sync_users s")
  b=$(psql_ -t -A "$new_direct" -c "SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM sync_users s")
  if [ "$a" = "$b" ]; then sync_equal="equal (md5 of every row)"; else sync_equal="DIFFERENT"; fi
  echo "catch-up: $sync_applied change rows applied in $sync_catchup_s s: $sync_rate keys/s; the tables are $sync_equal"

  # (b) the cost of capture to the writer: pgbench, 1 client
  printf '\\set id random(1, 100000)\nUPDATE sync_cap SET n = n + 1, at = now() WHERE id = :id;\nINSERT INTO sync_cap VALUES (nextval('"'"'sync_cap_ids'"'"'), 0, '"'"'new'"'"', now());\n' >"$tmp/cap.pgbench"
  local round tps cap_off="" cap_on=""
  sync_cap_run() {
    pgbench -n -M prepared -c 1 -T "$sync_seconds" -f "$tmp/cap.pgbench" "$old" 2>/dev/null \
      | awk '/^tps/ {print $3; exit}'
  }
  cap_stmt() { # cap_stmt capture|capture_stop
    shell_sql "$tmp/cap.sql" <<SQL
CREATE VIRTUAL TABLE temp.c USING pontoon(old, public.sync_cap);
SELECT pontoon_$1('temp.c');
SQL
    sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/cap.sql" >/dev/null
  }
  # off then on, on then off, off then on: neither comes always first (the
  # first run of a pair pays for what the one before left: dead rows, a
  # checkpoint)
  for round in 1 2 3; do
    if [ $((round % 2)) = 1 ]; then
      tps=$(sync_cap_run); cap_off="$cap_off $tps"; echo "capture off: $tps transactions/s"
      cap_stmt capture
      tps=$(sync_cap_run); cap_on="$cap_on $tps"; echo "capture on:  $tps transactions/s"
      cap_stmt capture_stop
    else
      cap_stmt capture
      tps=$(sync_cap_run); cap_on="$cap_on $tps"; echo "capture on:  $tps transactions/s"
      cap_stmt capture_stop
      tps=$(sync_cap_run); cap_off="$cap_off $tps"; echo "capture off: $tps transactions/s"
    fi
  done
  sync_cap_off=$(printf '%s\n' $cap_off | median)
  sync_cap_on=$(printf '%s\n' $cap_on | median)
  sync_cap_ratio=$(ratio "$sync_cap_on" "$sync_cap_off")

  # (c) lag under a steady writer of 1,000 changes/s, sync looping
  printf '\\set id random(1, %s)\nUPDATE sync_users SET balance = balance + 1 WHERE id = :id;\n' "$sync_updates" >"$tmp/lag.pgbench"
  pgbench -n -M prepared -c 2 -j 2 --rate=1000 -T "$sync_lag_seconds" -f "$tmp/lag.pgbench" "$old" >"$tmp/lag_pgbench.out" 2>&1 &
  local writer=$! start now
  start=$(date +%s.%N)
  : >"$tmp/lag.txt"
  while kill -0 "$writer" 2>/dev/null; do
    sync_sql "SELECT max(lag_seconds), sum(applied) FROM pontoon_sync('temp.s', 'temp.d', 'batch=10000');" >"$tmp/lag1.out" 2>&1 || true
    now=$(date +%s.%N)
    echo "$(python3 -c "print('%.1f' % ($now - $start))") $(tr '|' ' ' <"$tmp/lag1.out")" >>"$tmp/lag.txt"
    sleep 0.2
  done
  wait "$writer" || true
  sync_lag_tps=$(awk '/^tps/ {print $3; exit}' "$tmp/lag_pgbench.out")
  sync_lag_max=$(awk '$2 != "" {if ($2 > m) m = $2} END {printf "%.2f", m}' "$tmp/lag.txt")
  sync_lag_calls=$(wc -l <"$tmp/lag.txt")
}

sync_lines() {
  echo
  echo "### pontoon_sync and pontoon_capture (PostgreSQL -> PostgreSQL, one run)"
  echo
  echo "| what | figure |"
  echo "|---|---|"
  echo "| catch-up after $sync_updates captured updates (one UPDATE, $sync_update_s s with capture), batch=10000 | $sync_rate keys/s ($sync_catchup_s s; $sync_equal) |"
  echo "| writer with capture / without (pgbench, 1 client, single-row UPDATE + INSERT, ${sync_seconds} s x 3 each, medians) | $sync_cap_ratio ($sync_cap_on / $sync_cap_off transactions/s) |"
  echo "| largest lag_seconds, a writer of 1,000 updates/s (pgbench --rate, $sync_lag_tps tps) for ${sync_lag_seconds} s, pontoon_sync in a loop ($sync_lag_calls calls) | $sync_lag_max s |"
  echo
  echo "lag over time (the largest lag_seconds of the calls in each 3 s):"
  echo
  echo "| seconds | lag_seconds | changes applied |"
  echo "|---|---|---|"
  awk '{b = int($1 / 3) * 3; if (!(b in m) || $2 > m[b]) m[b] = $2 + 0; n[b] += $3}
       END {for (b in m) printf "%d\t%.2f\t%d\n", b, m[b], n[b]}' "$tmp/lag.txt" | sort -n \
    | awk -F'\t' '{printf "| %d-%d | %s | %s |\n", $1, $1 + 3, $2, $3}'
}
