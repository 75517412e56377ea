#!/usr/bin/env bash
# issue 17 item 4: the PostgreSQL server and the MariaDB server restarted
# (fast stop, start: tests/harness.sh restart-pg / restart-my) while a scan,
# a pontoon_copy, a pontoon_sync and a pontoon_diff are known to be in flight (the query
# seen in pg_stat_activity / the processlist, or a chunk done in the
# ledger).  Each time: a clear error naming the server and the table (never
# a crash, never a password), nothing half-written (the copy's target holds
# exactly the rows of the chunks its ledger says are done), and the same
# statement run again in the same shell completes with the right result.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
N=${PONTOON_RESTART_ROWS:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pg2() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2_NOPW" "$@"; }
harness() { env -u LD_PRELOAD bash "$(dirname "$0")/../harness.sh" "$@"; }

pg_sql >/dev/null <<SQL
DROP TABLE IF EXISTS rs_src;
CREATE TABLE rs_src (id bigint PRIMARY KEY, name text, amount numeric(12,2));
INSERT INTO rs_src SELECT g, 'name ' || g, g / 7.0 FROM generate_series(1, $N) g;
SQL
my_sql -e "DROP TABLE IF EXISTS rs_src;
  CREATE TABLE rs_src (id bigint PRIMARY KEY, name varchar(40), amount decimal(12,2)) ENGINE=InnoDB;
  INSERT INTO rs_src SELECT seq, concat('name ', seq), round(seq / 7.0, 2) FROM seq_1_to_$N;"
pg2 >/dev/null <<'SQL'
DROP SCHEMA IF EXISTS pontoon CASCADE;
DROP TABLE IF EXISTS rs_pg, rs_my, rs_my_old;
CREATE TABLE rs_pg (id bigint PRIMARY KEY, name text, amount numeric(12,2));
CREATE TABLE rs_my (id bigint PRIMARY KEY, name text, amount numeric(12,2));
SQL

setup="
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW') IS NULL;
SELECT pontoon_connect('my', '$MY_URI_NOPW') IS NULL;
SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW') IS NULL;
CREATE VIRTUAL TABLE temp.p USING pontoon(pg, rs_src);
CREATE VIRTUAL TABLE temp.ps USING pontoon(pg, rs_src, fetch=500);
CREATE VIRTUAL TABLE temp.m USING pontoon(my, rs_src);
CREATE VIRTUAL TABLE temp.p_dst USING pontoon(new, rs_pg);
CREATE VIRTUAL TABLE temp.m_dst USING pontoon(new, rs_my);
"
# in flight: a pontoon session inside a statement or a transaction (a scan
# reads through a cursor: between fetches it is idle in transaction)
pg_busy() { [ "$(pg_sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pontoon' AND state <> 'idle'")" -ge 1 ]; }
my_busy() { [ "$(my_sql -e "SELECT count(*) FROM information_schema.PROCESSLIST WHERE id <> CONNECTION_ID() AND info LIKE '%$1%'")" -ge 1 ]; }
chunks_done() { pg2 -c "SELECT count(*) FROM pontoon.chunk WHERE job = '$1' AND state = 'done'" 2>/dev/null || echo 0; }
# when_then COND RESTART: in the background, wait (up to 60 s) until COND
# holds, then restart; writes "restarted" or "never in flight" to $tmp/when
when_then() {
  (
    for _ in $(seq 600); do
      if eval "$1"; then
        harness "$2" "$STATE" && echo restarted >"$tmp/when"
        exit 0
      fi
      sleep 0.1
    done
    echo "never in flight" >"$tmp/when"
  ) &
  waiter=$!
}
# run_case NAME SQL COND RESTART: SQL runs twice in one shell, the server
# restarted during the first run; $out holds the output, $status the shell's
run_case() {
  rm -f "$tmp/when"
  # (the rerun waits for the restart to finish: .system)
  rm -f "$tmp/started"
  printf '%s\nSELECT %s;\n.system touch %s\n%s\n.system %s\nSELECT %s;\n%s\n' "$setup" "'--- first'" "$tmp/started" "$2" \
    "while [ ! -s $tmp/when ]; do sleep 0.1; done" "'--- again'" "$2" >"$tmp/run.sql"
  when_then "$3" "$4"
  status=0
  out=$(shell <"$tmp/run.sql" 2>&1) || status=$?
  wait "$waiter"
  echo "== $1: $(cat "$tmp/when" 2>/dev/null)"
  echo "$out" | sed -n '/--- first/,$p' | cut -c1-240
  check "$1: the server was restarted while the statement was in flight" grep -qx restarted "$tmp/when"
  check "$1: no crash (shell status $status)" [ "$status" -lt 128 ]
  check "$1: no password in the output" bash -c '! grep -qF -e "$1" -e "$2" <<<"$3"' _ \
    "$PONTOON_PG_PASSWORD" "$PONTOON_MY_PASSWORD" "$out"
  first=$(sed -n '/--- first/,/--- again/p' <<<"$out")
  again=$(sed -n '/--- again/,$p' <<<"$out")
}

# A scan: every remote row meets local ones, so the scan lasts seconds.
slow="SELECT 'rows', count(*), sum(x) FROM %s CROSS JOIN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x FROM c);"
want="rows|$((N * 100))|$((N * 5050))"
# shellcheck disable=SC2059
# (fetch=500: small batches, so that rows are still to be fetched when the
# server goes; a scan whose rows all came gives the right answer anyway)
run_case "PostgreSQL scan" "$(printf "$slow" ps)" pg_busy restart-pg
check "PostgreSQL scan: the error names server and table" grep -q "pontoon: server 'pg', table rs_src: " <<<"$first"
check "PostgreSQL scan: the same statement run again gives the right answer" grep -qx "$want" <<<"$again"
# shellcheck disable=SC2059
# (MariaDB's keyed table is read in pages, short queries: in flight is
# one second into the statement)
run_case "MariaDB scan" "$(printf "$slow" m)" "[ -e $tmp/started ] && sleep 1" restart-my
# a keyed MariaDB table is read in pages by key: the next page may come on
# a new connection, and then the first run itself ends with the right rows
check "MariaDB scan: a clear error naming server and table, or the right answer" \
  grep -qE "pontoon: server 'my', table rs_src: |^$want\$" <<<"$first"
check "MariaDB scan: the same statement run again gives the right answer" grep -qx "$want" <<<"$again"

# A copy, restarted after its first chunk is done: the target holds
# exactly the rows of the done chunks, and the rerun finishes the job.
# the target's rows and the ledger's done rows, while the job is stopped
half_check() { # NAME JOB TABLE
  local ledger target
  ledger=$(pg2 -c "SELECT coalesce(sum(rows_copied), 0) FROM pontoon.chunk WHERE job = '$2' AND state = 'done'")
  target=$(pg2 -c "SELECT count(*) FROM $3")
  half=$target
  check "$1: after the failed run the target holds exactly the done chunks' rows ($target, ledger $ledger)" \
    [ "$ledger" = "$target" ]
}
# The copy is run once in its own shell to check the half-state in between.
copy_two_runs() { # NAME SRC DST TABLE RESTART COND_JOB
  local job="rs $2" status=0
  rm -f "$tmp/when"
  printf '%s\nSELECT %s;\n' "$setup" "'copied', sum(rows) FROM pontoon_copy('$2', '$3', 'chunk=2000 max_rate=15000 job=''$job''')" >"$tmp/run.sql"
  when_then "[ \"\$(chunks_done '$job')\" -ge 1 ]" "$5"
  out=$(shell <"$tmp/run.sql" 2>&1) || status=$?
  wait "$waiter"
  echo "== $1 (first run): $(cat "$tmp/when" 2>/dev/null)"
  echo "$out" | tail -n 3 | cut -c1-240
  check "$1: the server was restarted while the copy was in flight" grep -qx restarted "$tmp/when"
  check "$1: no crash (shell status $status)" [ "$status" -lt 128 ]
  check "$1: the error names the server" grep -q "server '" <<<"$out"
  check "$1: no password in the output" bash -c '! grep -qF -e "$1" -e "$2" <<<"$3"' _ \
    "$PONTOON_PG_PASSWORD" "$PONTOON_MY_PASSWORD" "$out"
  half_check "$1" "$job" "$4"
  check "$1: the first run stopped part way ($half of $N rows)" [ "$half" -gt 0 ] && [ "$half" -lt "$N" ]
  printf '%s\nSELECT %s;\n' "$setup" "'copied', sum(rows) FROM pontoon_copy('$2', '$3', 'chunk=2000 job=''$job''')" >"$tmp/run.sql"
  out=$(shell <"$tmp/run.sql" 2>&1)
  echo "$out" | tail -n 2 | cut -c1-240
  check "$1: run again, it copies exactly the rest" grep -qx "copied|$((N - half))" <<<"$out"
}
copy_two_runs "PostgreSQL -> PostgreSQL copy, PostgreSQL restarted" temp.p temp.p_dst rs_pg restart-pg
check "PostgreSQL copy: the target equals the source" [ \
  "$(pg2 -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_pg")" = \
  "$(pg_sql -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_src")" ]
# A sync, PostgreSQL (source and target) restarted after its first batch
# committed: an error naming the server; the rerun applies what is left and
# the target equals the source (the servers' own md5)
printf '%s\nSELECT pontoon_capture(%s);\n' "$setup" "'temp.p'" >"$tmp/cap.sql"
shell <"$tmp/cap.sql" >/dev/null 2>&1
pg_sql -c "UPDATE rs_src SET amount = amount + 1; DELETE FROM rs_src WHERE id % 1000 = 0;
  INSERT INTO rs_src VALUES ($((N + 1)), 'new', 1)" >/dev/null
sync_sql="SELECT 'synced', sum(applied) > 0 FROM pontoon_sync('temp.p', 'temp.p_dst', 'batch=500 until=empty job=''rs temp.p''');"
batches() { pg2 -c "SELECT count(*) FROM pontoon.sync_batch WHERE job = 'rs temp.p'" 2>/dev/null || echo 0; }
run_case "sync, PostgreSQL restarted" "$sync_sql" '[ "$(batches)" -ge 1 ]' restart-pg
check "sync, PostgreSQL restarted: the error names the server" grep -Eq "server '(pg|new)'" <<<"$first"
check "sync, PostgreSQL restarted: run again, it applies what is left" grep -qx 'synced|1' <<<"$again"
check "sync: the target equals the source" [ \
  "$(pg2 -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_pg")" = \
  "$(pg_sql -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_src")" ]
printf '%s\nSELECT pontoon_capture_stop(%s);\n' "$setup" "'temp.p'" >"$tmp/cap.sql"
shell <"$tmp/cap.sql" >/dev/null 2>&1
# the source as it was, for the MariaDB copy's comparison
pg_sql -c "DELETE FROM rs_src WHERE id > $N; UPDATE rs_src SET amount = amount - 1;
  INSERT INTO rs_src SELECT g, 'name ' || g, g / 7.0 FROM generate_series(1000, $N, 1000) g" >/dev/null
copy_two_runs "MariaDB -> PostgreSQL copy, MariaDB restarted" temp.m temp.m_dst rs_my restart-my
check "MariaDB copy: the target equals the source" [ \
  "$(pg2 -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_my")" = \
  "$(pg_sql -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_src")" ]

# A diff of the PostgreSQL and the MariaDB table (equal), each server
# restarted in turn while the diff reads it.
pg_sql -c "UPDATE rs_src SET name = 'changed' WHERE id = 77" >/dev/null
diff_sql="SELECT 'diff', count(*), group_concat(key) FROM pontoon_diff('temp.p', 'temp.m');"
run_case "diff, MariaDB restarted" "$diff_sql" "my_busy rs_src" restart-my
check "diff, MariaDB restarted: the error names the server" grep -q "server 'my'" <<<"$first"
check "diff, MariaDB restarted: run again, the one difference" grep -qx 'diff|1|\[77\]' <<<"$again"
run_case "diff, PostgreSQL restarted" "$diff_sql" pg_busy restart-pg
check "diff, PostgreSQL restarted: the error names the server" grep -q "server 'pg'" <<<"$first"
check "diff, PostgreSQL restarted: run again, the one difference" grep -qx 'diff|1|\[77\]' <<<"$again"

# A sync, MariaDB (the source) restarted after its first batch committed:
# the target (rs_my, PostgreSQL) holds only whole rows, old or new; the
# rerun applies what is left, the queue ends empty and the target equals
# the source (each server's own count and md5)
pg2 -c "SET client_min_messages = warning; DROP TABLE IF EXISTS rs_my_old; CREATE TABLE rs_my_old AS SELECT * FROM rs_my" >/dev/null
printf '%s\nSELECT pontoon_capture(%s);\n' "$setup" "'temp.m'" >"$tmp/cap.sql"
shell <"$tmp/cap.sql" >/dev/null 2>&1
my_sql -e "UPDATE rs_src SET name = concat('renamed ', id), amount = amount + 1;
  DELETE FROM rs_src WHERE id % 1000 = 0; INSERT INTO rs_src VALUES ($((N + 1)), 'new', 1)"
my_queued() { my_sql -e "SELECT count(*) FROM pontoon_changes" 2>/dev/null || echo unknown; }
queued=$(my_queued)
check "sync, MariaDB restarted: the capture queued a change a row written ($queued)" [ "$queued" = $((N + N / 1000 + 1)) ]
# the first run, then (.system) the target's rows counted: neither the old
# nor the new whole value, and of the new value
cat >"$tmp/whole.sql" <<SQL
SELECT count(*) FROM rs_my t LEFT JOIN rs_my_old o USING (id)
 WHERE NOT ((t.name = o.name AND t.amount = o.amount)
         OR (t.name = 'renamed ' || t.id AND t.amount = o.amount + 1)
         OR (t.id = $((N + 1)) AND t.name = 'new' AND t.amount = 1));
SELECT count(*) FROM rs_my WHERE name LIKE 'renamed %';
SQL
# (the rerun's .system finds the file written and leaves it)
rm -f "$tmp/whole.out"
printf '[ -e %s ] || env -u LD_PRELOAD psql -X -q -t -A -f %s %s >%s 2>&1\n' "$tmp/whole.out" "$tmp/whole.sql" \
  "$PONTOON_PG_URI2_NOPW" "$tmp/whole.out" >"$tmp/whole.sh"
sync_sql="SELECT 'synced', sum(applied) > 0 FROM pontoon_sync('temp.m', 'temp.m_dst', 'batch=500 until=empty job=''rs temp.m''');"
my_batches() { pg2 -c "SELECT count(*) FROM pontoon.sync_batch WHERE job = 'rs temp.m'" 2>/dev/null || echo 0; }
run_case "sync, MariaDB restarted" "$sync_sql
.system bash $tmp/whole.sh" '[ "$(my_batches)" -ge 1 ]' restart-my
check "sync, MariaDB restarted: the error names the server" grep -q "server 'my'" <<<"$first"
mapfile -t whole <"$tmp/whole.out"
echo "after the first run: ${whole[0]:-?} target rows not whole, ${whole[1]:-?} of $((N - N / 1000)) rows renamed"
check "sync, MariaDB restarted: after the first run every target row is whole, old or new (${whole[0]:-?} not)" \
  [ "${whole[0]:-x}" = 0 ]
check "sync, MariaDB restarted: the first run stopped part way (${whole[1]:-?} rows renamed)" \
  [ "${whole[1]:-0}" -gt 0 ] && [ "${whole[1]:-0}" -lt $((N - N / 1000)) ]
check "sync, MariaDB restarted: run again, it applies what is left" grep -qx 'synced|1' <<<"$again"
queued=$(my_queued)
check "sync, MariaDB restarted: the change table is empty at the end ($queued)" [ "$queued" = 0 ]
target=$(pg2 -c "SELECT count(*), md5(string_agg(id || name || amount, ',' ORDER BY id)) FROM rs_my")
source=$(my_sql -e "SET SESSION group_concat_max_len = 1073741824;
  SELECT concat_ws('|', count(*), md5(group_concat(concat(id, name, amount) ORDER BY id SEPARATOR ','))) FROM rs_src")
check "sync, MariaDB restarted: the target equals the source ($target)" [ "$target" = "$source" ]
printf '%s\nSELECT pontoon_capture_stop(%s);\n' "$setup" "'temp.m'" >"$tmp/cap.sql"
shell <"$tmp/cap.sql" >/dev/null 2>&1

pg_sql -c "DROP TABLE rs_src" >/dev/null
my_sql -e "DROP TABLE rs_src"
pg2 -c "DROP TABLE rs_pg, rs_my, rs_my_old; DROP SCHEMA IF EXISTS pontoon CASCADE" >/dev/null
finish
