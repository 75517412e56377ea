#!/usr/bin/env bash
# pontoon_copy is exactly once (issue 12 item 2): a copy killed at any
# instant and run again with the same arguments ends with exactly the
# source's rows, none lost, none twice.  The target table has NO primary
# key, so a row written twice would stay twice.  The shell is killed with
# SIGKILL at random moments (and, every third time, the target's backend is
# terminated instead), at least PONTOON_KILLS times (default 20) per
# pairing, for PostgreSQL -> PostgreSQL and MySQL -> PostgreSQL; then the
# copy runs to its end, a rerun copies nothing and says so, and the
# servers' own queries compare the tables.  Every seventh kill restarts the
# PostgreSQL server (fast stop) instead.  Last, a local SQLite file as the
# target, its shell killed six times.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
KILLS=${PONTOON_KILLS:-20}
N=${PONTOON_KILL_ROWS:-120000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pg2() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2" "$@"; }
export PGPASSFILE=$PONTOON_PG_PASSFILE

pg_sql -c "DROP TABLE IF EXISTS public.kill_src;
  CREATE TABLE public.kill_src (id bigint PRIMARY KEY, name text, amount numeric(12,2), at timestamptz);
  INSERT INTO public.kill_src SELECT g, 'name ' || g || repeat('x', g % 40), g / 7.0,
    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, $N) g;" >/dev/null
my_sql -e "DROP TABLE IF EXISTS kill_src;
  CREATE TABLE kill_src (code varchar(20) PRIMARY KEY, qty int, note text);
  INSERT INTO kill_src SELECT concat('k', lpad(seq, 7, '0')), seq, if(seq % 9 = 0, NULL, concat('n', seq))
    FROM seq_1_to_$N;"
pg2 -c "DROP SCHEMA IF EXISTS pontoon CASCADE;
  DROP TABLE IF EXISTS public.kill_pg, public.kill_my;
  CREATE TABLE public.kill_pg (id bigint, name text, amount numeric(12,2), at timestamptz);
  CREATE TABLE public.kill_my (code text, qty int, note text);" >/dev/null

cat >"$tmp/setup.sql" <<EOF
SELECT pontoon_connect('old', '$PONTOON_PG_URI_NOPW') IS NULL;
SELECT pontoon_connect('my', '$MY_URI_NOPW') IS NULL;
SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW') IS NULL;
CREATE VIRTUAL TABLE temp.pg_src USING pontoon(old, 'public.kill_src');
CREATE VIRTUAL TABLE temp.my_src USING pontoon(my, kill_src);
CREATE VIRTUAL TABLE temp.pg_dst USING pontoon(new, 'public.kill_pg');
CREATE VIRTUAL TABLE temp.my_dst USING pontoon(new, 'public.kill_my');
EOF

ms() { date +%s%3N; }
verify_pg() {
  local got want
  got=$(pg2 -c "SELECT count(*), count(DISTINCT id), md5(string_agg(id || '|' || name || '|' || amount || '|' || at, ',' ORDER BY id)) FROM public.kill_pg")
  want=$(pg_sql -c "SELECT count(*), count(DISTINCT id), md5(string_agg(id || '|' || name || '|' || amount || '|' || at, ',' ORDER BY id)) FROM public.kill_src")
  compare "$got" "$want"
}
verify_my() {
  local got want
  got=$(pg2 -c "SELECT count(*), count(DISTINCT code), md5(string_agg(code || '|' || qty || '|' || coalesce(note, '~'), ',' ORDER BY code COLLATE \"C\")) FROM public.kill_my")
  want=$(my_sql -e "SET SESSION group_concat_max_len = 1073741824; SELECT count(*), count(DISTINCT code), md5(group_concat(concat(code, '|', qty, '|', coalesce(note, '~')) ORDER BY code SEPARATOR ',')) FROM kill_src" | tr '\t' '|')
  compare "$got" "$want"
}
LOST=0 TWICE=0 BAD=0 VERIFIED=0 FAILED_RUNS=0
compare() { # compare TARGET SOURCE ("count|distinct|md5")
  local n d
  n=$(echo "$1" | cut -d'|' -f1); d=$(echo "$1" | cut -d'|' -f2)
  LOST=$((LOST + ${2%%|*} - d)); TWICE=$((TWICE + n - d)); VERIFIED=$((VERIFIED + 1))
  if [ "$1" != "$2" ]; then BAD=$((BAD + 1)); echo "DIFFERENT: target $1, source $2"; fi
}

# kill_loop SRC DST REMOTE_DST VERIFY: kill the copy at random moments
# until KILLS kills; each time a run completes, compare and start over
kill_loop() {
  local src=$1 dst=$2 remote=$3 verify=$4 kills=0 runs=0 completed=0 seen="" restarts=0
  local copy="SELECT count(*) FROM pontoon_copy('$src', '$dst', 'chunk=1000 job=$src');"
  { cat "$tmp/setup.sql"; echo "$copy"; } >"$tmp/run.sql"
  reset() {
    pg2 -c "DELETE FROM pontoon.chunk WHERE job = '$src'; DELETE FROM pontoon.job WHERE job = '$src';
            TRUNCATE $remote" >/dev/null 2>&1 || pg2 -c "TRUNCATE $remote" >/dev/null
  }
  reset
  # one run undisturbed: how long a whole copy takes here
  local t0 t
  t0=$(ms)
  shell <"$tmp/run.sql" >"$tmp/out" 2>"$tmp/err" || cat "$tmp/err"
  t=$(( $(ms) - t0 ))
  [ "$t" -gt 0 ] || t=1
  "$verify"
  reset
  echo "$src: a whole copy takes $t ms; kills come at random moments within it"
  BAD=0 LOST=0 TWICE=0 VERIFIED=0 FAILED_RUNS=0
  while [ "$kills" -lt "$KILLS" ] && [ "$runs" -lt $((KILLS * 6)) ]; do
    shell <"$tmp/run.sql" >"$tmp/out" 2>"$tmp/err" &
    local pid=$!
    runs=$((runs + 1))
    local at=$(( (RANDOM * 32768 + RANDOM) % t ))
    sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"
    if kill -0 "$pid" 2>/dev/null; then
      if [ $((kills % 7)) -eq 6 ]; then
        # the server itself restarts (fast stop): every session is cut
        env -u LD_PRELOAD bash "$(dirname "$0")/../harness.sh" restart-pg "$STATE"
        restarts=$((restarts + 1))
      elif [ $((kills % 3)) -eq 2 ]; then
        # the target's backend dies instead: the shell gets an error
        pg2 -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
      else
        kill -9 "$pid" 2>/dev/null
      fi
      wait "$pid" 2>/dev/null
      kills=$((kills + 1))
      seen="$seen $(pg2 -c "SELECT count(*) FROM $remote")"
    else
      if ! wait "$pid"; then echo "a run failed:"; cat "$tmp/err"; FAILED_RUNS=$((FAILED_RUNS + 1)); fi
      completed=$((completed + 1))
      "$verify"
      reset
    fi
  done
  # the last round to its end (a terminated backend may need one more run)
  local finished=0
  for _ in 1 2 3; do
    runs=$((runs + 1))
    if shell <"$tmp/run.sql" >"$tmp/out" 2>"$tmp/err"; then finished=1; break; fi
    cat "$tmp/err"
  done
  "$verify"
  echo "$src -> $dst: $kills kills ($restarts of them server restarts) in $runs runs; $VERIFIED completed copies compared: $LOST rows lost, $TWICE rows twice, $BAD different"
  echo "rows in the target right after each kill:$seen"
  local moved
  moved=$(echo "$seen" | tr ' ' '\n' | grep -c -v -E '^(0|)$' || true)
  check "$src: killed at least $KILLS times ($kills)" [ "$kills" -ge "$KILLS" ]
  check "$src: no run that was not killed failed ($FAILED_RUNS)" [ "$FAILED_RUNS" = 0 ]
  check "$src: most kills hit a copy with chunks committed ($moved of $kills)" [ "$moved" -ge $((kills / 2)) ]
  check "$src: the copy completes after the kills" [ "$finished" = 1 ]
  check "$src: every completed copy equals the source: none lost, none twice ($VERIFIED compared)" \
    [ "$BAD" = 0 ] && [ "$LOST" = 0 ] && [ "$TWICE" = 0 ]
  # a rerun copies nothing and says so
  { cat "$tmp/setup.sql"; echo "SELECT chunk IS NULL, rows, note FROM pontoon_copy('$src', '$dst', 'chunk=1000 job=$src');"; } >"$tmp/again.sql"
  local again
  again=$(shell <"$tmp/again.sql" 2>&1 | tail -1)
  check "$src: a rerun of the finished job copies nothing and says so ($again)" \
    [ "$again" = "1|0|nothing to copy: every chunk of this job is done" ]
  local state
  state=$(pg2 -c "SELECT state || ' ' || (SELECT count(*) FROM pontoon.chunk c WHERE c.job = j.job AND c.state <> 'done')
                  FROM pontoon.job j WHERE job = '$src'")
  check "$src: the ledger says copied, no chunk left ($state)" [ "$state" = "copied 0" ]
}

kill_loop temp.pg_src temp.pg_dst public.kill_pg verify_pg
kill_loop temp.my_src temp.my_dst public.kill_my verify_my

# A local SQLite file as the target: the chunk's rows and its ledger row
# commit in one SQLite transaction; a killed shell leaves a hot journal
# that the next one rolls back.
db=$tmp/target.db
sqlite3 "$db" "CREATE TABLE kill_local (id INTEGER, name TEXT, amount NUMERIC, at TEXT);"
want=$(pg_sql -c "SELECT count(*) || '|' || sum(id) FROM public.kill_src")
lkills=0 lruns=0 ldone=0 lbad=0
{ cat "$tmp/setup.sql"; echo "SELECT count(*) FROM pontoon_copy('temp.pg_src', 'main.kill_local', 'chunk=1000 job=local');"; } >"$tmp/local.sql"
while [ "$lkills" -lt 6 ] && [ "$lruns" -lt 40 ]; do
  sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$db" <"$tmp/local.sql" >/dev/null 2>"$tmp/lerr" &
  pid=$!
  lruns=$((lruns + 1))
  sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    lkills=$((lkills + 1))
  else
    wait "$pid" || { echo "a local run failed:"; cat "$tmp/lerr"; lbad=$((lbad + 1)); }
    got=$(sqlite3 "$db" "SELECT count(*) || '|' || sum(id) || '|' || count(DISTINCT id) FROM kill_local")
    [ "$got" = "$want|${want%%|*}" ] || { echo "local target differs: $got (source $want)"; lbad=$((lbad + 1)); }
    ldone=$((ldone + 1))
    sqlite3 "$db" "DELETE FROM kill_local; DELETE FROM pontoon_chunk; DELETE FROM pontoon_job;"
  fi
done
sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$db" <"$tmp/local.sql" >/dev/null 2>"$tmp/lerr" || cat "$tmp/lerr"
got=$(sqlite3 "$db" "SELECT count(*) || '|' || sum(id) || '|' || count(DISTINCT id) FROM kill_local")
echo "PostgreSQL -> a local SQLite file: $lkills kills in $lruns runs, $ldone completed copies compared before; last: $got (source $want)"
check "local target: killed at least 6 times ($lkills)" [ "$lkills" -ge 6 ]
check "local target: every completed copy had exactly the source's rows ($lbad differed or failed)" [ "$lbad" = 0 ]
check "local target: after the kills, exactly the source's rows" [ "$got" = "$want|${want%%|*}" ]
finish
