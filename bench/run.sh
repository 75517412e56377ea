#!/usr/bin/env bash
# Measurements, side by side in one run on the same data: pontoon against
# the limit (the server's own export or import) and against the tools users
# would pick instead.  Prints medians and ratios (reference seconds divided
# by pontoon seconds: above 1.00 pontoon is faster); absolute times on a
# shared machine are noise.  Installs, builds, starts throwaway servers.
# Not part of the test suite.  pgloader (for the MySQL -> PostgreSQL row)
# is installed from Debian when missing and run as root.
#   bash bench/run.sh                                   1,000,000 users, 2,000,000 orders
#   PONTOON_BENCH_USERS=100000 PONTOON_BENCH_ORDERS=200000 bash bench/run.sh
#   PONTOON_BENCH_ROUNDS=5 bash bench/run.sh
#   PONTOON_BENCH_ONLY=lookup bash bench/run.sh         only some rows: a comma list
#       of scan, copy, local, lookup, join, mysql, diff (the ODBC rows come with
#       scan and mysql; MySQL data is loaded only for mysql and diff)
#   PONTOON_BENCH_LIB2=/path/to/other/pontoon bash bench/run.sh
#       the lookups also by another build of pontoon, alternated with this one
#       in each round (a before/after comparison on the same data)
#   PONTOON_BENCH_WAN=1 bash bench/run.sh               WAN mode: every client
#       (pontoon, psql, pgbench, mariadb, pgloader, the ODBC drivers, and
#       postgres_fdw's connection from the new database to the old) reaches
#       PostgreSQL and MariaDB through one bench/wanproxy.c per server:
#       100 Mbit/s and 10 ms one way, per connection and direction
#       (PONTOON_BENCH_WAN_BITS=100M, PONTOON_BENCH_WAN_DELAY_MS=10).  First
#       a sanity line measured through such a proxy (PONTOON_BENCH_WAN_CHECK_MB
#       megabytes each way, default 100, 0 to skip; and pgbench's SELECT 1).
#       Lookups and the join pay a round trip a row: PONTOON_BENCH_LOOKUPS
#       and PONTOON_BENCH_JOIN_ORDERS are 200 there (10000 and 20000 on the
#       loopback).  Data is loaded and targets emptied directly, untimed.
#   Copy rows: copy_row and copy_row_sql below add a command to the
#       PostgreSQL -> PostgreSQL copy of users, timed in every round against
#       the binary and the text COPY pipes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PONTOON_HARNESS_DIR:-}" ]; then
  build=$("$top/tests/setup.sh" | tail -n 1)
  exec "$top/tests/harness.sh" run -- env PONTOON_BUILD="$build" bash "$0" "$@"
fi
build=${PONTOON_BUILD:-$top/build}
# pgloader (the MySQL -> PostgreSQL reference) from Debian, as tests/setup.sh
# installs the rest; without it its row is left out
if ! command -v pgloader >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bench: installing pgloader" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends pgloader >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends pgloader >/dev/null; } \
      || echo "bench: pgloader could not be installed: its row is left out" >&2
  else
    echo "bench: pgloader is missing (run as root to install it): its row is left out" >&2
  fi
fi
users=${PONTOON_BENCH_USERS:-1000000}
orders=${PONTOON_BENCH_ORDERS:-2000000}
rounds=${PONTOON_BENCH_ROUNDS:-3}
wan=${PONTOON_BENCH_WAN:-0}
wan_bits=${PONTOON_BENCH_WAN_BITS:-100M}
wan_delay=${PONTOON_BENCH_WAN_DELAY_MS:-10}
wan_check_mb=${PONTOON_BENCH_WAN_CHECK_MB:-100}
if [ "$wan" = 1 ]; then
  lookups=${PONTOON_BENCH_LOOKUPS:-200}
  join_orders=${PONTOON_BENCH_JOIN_ORDERS:-200}
else
  lookups=${PONTOON_BENCH_LOOKUPS:-10000}
  join_orders=${PONTOON_BENCH_JOIN_ORDERS:-20000}
fi
only=${PONTOON_BENCH_ONLY:-}
lib2=${PONTOON_BENCH_LIB2:-}
want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }
tmp=$(mktemp -d)
proxies=()
# the proxies are ended by their pids, then the files go
cleanup() {
  local p
  for p in "${proxies[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${proxies[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# The servers as the measured clients reach them: directly, or in WAN mode
# through a wanproxy each (bench/wanproxy.c, built here like a script).
# Loading data and emptying targets, untimed, always go directly.
pg_port=$PONTOON_PG_PORT
my_port=$PONTOON_MY_PORT
# proxy_start TARGET_PORT NAME [OPTIONS...]: a wanproxy in front of
# 127.0.0.1:TARGET_PORT, its pid in proxies, its port in wan_port
proxy_start() {
  local target=$1 name=$2 i
  shift 2
  "$tmp/wanproxy" -l 0 -t "$target" "$@" >"$tmp/proxy.$name" 2>>"$tmp/wanproxy.log" &
  proxies+=($!)
  for i in $(seq 100); do
    wan_port=$(head -n 1 "$tmp/proxy.$name" 2>/dev/null || true)
    [ -n "$wan_port" ] && return 0
    sleep 0.05
  done
  echo "bench: wanproxy ($name) did not start:" >&2; cat "$tmp/wanproxy.log" >&2
  exit 1
}
# a shaping proxy per server in WAN mode
wan_start() { proxy_start "$1" "wan.$1" -b "$wan_bits" -d "$wan_delay"; }
cc -O2 -Wall -o "$tmp/wanproxy" "$top/bench/wanproxy.c"
# counting proxies (no shaping, -s): what the servers send to a client,
# measured by net_bytes on an extra, untimed run of a script
count_start() { proxy_start "$1" "count.$2" -b 0 -d 0 -s "$tmp/count.$2"; }
count_start "$PONTOON_PG_PORT" pg; cnt_pg_port=$wan_port
count_start "$PONTOON_MY_PORT" my; cnt_my_port=$wan_port
count_down() { local f n=0 v; for f in "$tmp"/count.pg "$tmp"/count.my; do v=$(cut -d' ' -f1 "$f" 2>/dev/null); n=$((n + ${v:-0})); done; echo "$n"; }
# net_bytes SCRIPT: the script run once more, through the counting proxies:
# the bytes the servers sent to the sqlite3 process
net_bytes() {
  sed -e "s|@$PONTOON_PG_HOST:$pg_port/|@$PONTOON_PG_HOST:$cnt_pg_port/|g" \
      -e "s|@$PONTOON_MY_HOST:$my_port/|@$PONTOON_MY_HOST:$cnt_my_port/|g" "$1" >"$tmp/net.sql"
  local b0 b1 i
  b0=$(count_down)
  sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/net.sql" >/dev/null 2>&1
  for i in $(seq 20); do sleep 0.1; b1=$(count_down); [ "$b1" != "$b0" ] && break; done
  sleep 0.3
  b1=$(count_down)
  echo $((b1 - b0))
}
# net_bytes_odbc SCRIPT: the same, its ODBC DSNs through the counting
# proxies too (net_bytes re-points URIs only)
net_bytes_odbc() { (export ODBCINI=$tmp/odbc.count.ini; net_bytes "$1"); }
if [ "$wan" = 1 ]; then
  wan_start "$PONTOON_PG_PORT"; pg_port=$wan_port
  wan_start "$PONTOON_MY_PORT"; my_port=$wan_port
  echo "== WAN mode: PostgreSQL and MariaDB through wanproxy -b $wan_bits -d $wan_delay (ports $pg_port, $my_port)"
fi
# the harness's password file, and the same passwords for the proxy's port
{ cat "$PONTOON_PG_PASSFILE"
  printf '%s:%s:*:%s:%s\n' "$PONTOON_PG_HOST" "$pg_port" "$PONTOON_PG_USER" "$PONTOON_PG_PASSWORD"
  printf '%s:%s:*:%s:%s\n' "$PONTOON_PG_HOST" "$cnt_pg_port" "$PONTOON_PG_USER" "$PONTOON_PG_PASSWORD"
} >"$tmp/pgpass"
chmod 600 "$tmp/pgpass"
export PGPASSFILE=$tmp/pgpass
old_direct=$PONTOON_PG_URI_NOPW
new_direct=$PONTOON_PG_URI2_NOPW
old="postgresql://$PONTOON_PG_USER@$PONTOON_PG_HOST:$pg_port/$PONTOON_PG_DB"
new="postgresql://$PONTOON_PG_USER@$PONTOON_PG_HOST:$pg_port/$PONTOON_PG_DB2"
# ODBC: the harness's DSNs, their ports those the clients reach; and a
# copy whose ports are the counting proxies' (net_bytes_odbc)
# odbc_ini PG_PORT MY_PORT OUT: the harness's odbc.ini with those ports
odbc_ini() {
  awk -v pg="$1" -v my="$2" '
    /^\[/ { dsn = $0 }
    /^Port *=/ && dsn == "[pontoon_pg]" { print "Port = " pg; next }
    /^Port *=/ && dsn == "[pontoon_my]" { print "Port = " my; next }
    { print }' "$ODBCINI" >"$3"
}
if [ -n "${ODBCINI:-}" ]; then odbc_ini "$cnt_pg_port" "$cnt_my_port" "$tmp/odbc.count.ini"; fi
if [ "$wan" = 1 ] && [ -n "${ODBCINI:-}" ]; then
  odbc_ini "$pg_port" "$my_port" "$tmp/odbc.ini"
  export ODBCINI=$tmp/odbc.ini
fi

if [ "$wan" = 1 ]; then
  # the sanity line: what the proxy does to a connection, measured
  if [ "$wan_check_mb" != 0 ]; then
    python3 "$top/bench/wancheck.py" "$tmp/wanproxy" "$wan_check_mb" -- -b "$wan_bits" -d "$wan_delay" | tee "$tmp/wancheck.txt"
  fi
  printf 'SELECT 1;\n' >"$tmp/one.pgbench"
  lat=$(pgbench -n -c 1 -t 50 -f "$tmp/one.pgbench" "$old" 2>/dev/null | awk '/^latency average/ {print $4}')
  echo "SELECT 1 through the PostgreSQL proxy: $lat ms a statement (pgbench, 50, connection excluded)" | tee -a "$tmp/wancheck.txt"
fi

echo "== data: $users users and $orders orders in the old database"
psql_ "$old_direct" -v users="$users" -v orders="$orders" -f "$top/bench/shop.pg.sql"
psql_ "$old_direct" -c "VACUUM ANALYZE bench_users" -c "VACUUM ANALYZE bench_orders"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
my_() { mariadb --default-character-set=utf8mb4 -h "$PONTOON_MY_HOST" -P "$PONTOON_MY_PORT" -u "$PONTOON_MY_USER" "$PONTOON_MY_DB" "$@"; }
if want mysql || want diff; then
  echo "== data: the same shop in MariaDB"
  { echo "SET @users = $users, @orders = $orders;"; cat "$top/bench/shop.my.sql"; } | my_ >/dev/null
fi
my_uri="mysql://$PONTOON_MY_USER@$PONTOON_MY_HOST:$my_port/$PONTOON_MY_DB"
psql_ "$new_direct" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS shop CASCADE; CREATE SCHEMA shop;
  CREATE TABLE shop.bench_users (id bigint PRIMARY KEY, email text NOT NULL, name text, bio text,
    country text, balance numeric(14,2) NOT NULL, created_at timestamptz NOT NULL, active boolean NOT NULL);
  CREATE TABLE shop.bench_orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total numeric(12,2) NOT NULL,
    status text NOT NULL, placed_at timestamptz NOT NULL, note text, token bytea)"
psql_ "$new_direct" -c "SET client_min_messages = warning; DROP TABLE IF EXISTS bench_users;
  CREATE TABLE bench_users (id bigint PRIMARY KEY, email text NOT NULL, name text, bio text,
    country char(2), balance numeric(14,2) NOT NULL, created_at timestamptz NOT NULL, active boolean NOT NULL)"

# timed OUT CMD...: run CMD (stdout to OUT), print "seconds peak_rss_kib"
timed() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT, check=True)
print("%.3f %d" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
results=$tmp/results
: >"$results"
# record NAME PONTOON_SECONDS REFERENCE_NAME REFERENCE_SECONDS RSS_KIB
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# pontoon SQL run by the shell, with the servers it uses registered (a
# server it does not name is not connected: the references do not pay for
# connections they do not need, and neither does pontoon)
shell_sql() {  # shell_sql FILE: a script after the preamble
  local body
  body=$(cat)
  { echo ".load $build/pontoon"
    echo ".output /dev/null"
    for s in old new my; do
      local uri=$old
      [ $s = new ] && uri=$new
      [ $s = my ] && uri=$my_uri
      if grep -q "pontoon($s,\|'$s'" <<<"$body"; then echo "SELECT pontoon_connect('$s', '$uri');"; fi
    done
    echo ".output stdout"
    printf '%s\n' "$body"; } >"$1"
}

# 1. scan of users touching every column, against psql \copy to /dev/null
shell_sql "$tmp/scan.sql" <<'SQL'
CREATE VIRTUAL TABLE u USING pontoon(old, public.bench_users);
SELECT count(*), sum(length(email)), sum(length(name)), sum(length(bio)), count(country),
       sum(balance), count(created_at), sum(active) FROM u;
SQL
# 2. copy users PostgreSQL -> PostgreSQL (the old database's public.bench_users
# into the new one's, on the same server), every row against the two pipes:
# COPY TO STDOUT | COPY FROM STDIN, binary (the limit) and text.
#
# copy_row KEY LABEL COMMAND: one more row of this copy.  COMMAND, a bash
# command line, copies users into the new database's public.bench_users;
# each round empties that table, runs COMMAND, times it (its peak RSS too)
# and checks the rows; the table prints its ratio against each pipe.
# copy_row_sql KEY LABEL <<'SQL' ... SQL: the same for an SQL script run by
# the sqlite3 shell, with pontoon loaded and the servers registered as old,
# new and my (shell_sql's preamble), e.g.
#   copy_row_sql pcopy "pontoon_copy" <<'SQL'
#   SELECT * FROM pontoon_copy('old.bench_users', 'new.bench_users');
#   SQL
copy_keys=()
declare -A COPY_LABEL COPY_CMD
copy_row() { copy_keys+=("$1"); COPY_LABEL[$1]=$2; COPY_CMD[$1]=$3; }
copy_row_sql() {
  shell_sql "$tmp/copy_$1.sql"
  copy_row "$1" "$2" "sqlite3 -batch -bail -init /dev/null :memory: '.read $tmp/copy_$1.sql'"
}
copy_cols="id, email, name, bio, country, balance, created_at, active"
copy_row copy_bin "COPY (SELECT ...) TO STDOUT (FORMAT binary) \\| COPY FROM STDIN (FORMAT binary) (the limit)" \
  "set -o pipefail; psql -X -q -v ON_ERROR_STOP=1 '$old' -c 'COPY (SELECT $copy_cols FROM bench_users) TO STDOUT (FORMAT binary)' | psql -X -q -v ON_ERROR_STOP=1 '$new' -c 'COPY bench_users FROM STDIN (FORMAT binary)'"
copy_row copy_ref "COPY TO STDOUT \\| COPY FROM STDIN, text" \
  "set -o pipefail; psql -X -q -v ON_ERROR_STOP=1 '$old' -c 'COPY bench_users TO STDOUT' | psql -X -q -v ON_ERROR_STOP=1 '$new' -c 'COPY bench_users FROM STDIN'"
copy_row copy_fdw "postgres_fdw INSERT ... SELECT, fetch_size 10000" \
  "psql -X -q -v ON_ERROR_STOP=1 '$new' -c 'INSERT INTO bench_users SELECT * FROM fdw.bench_users'"
copy_pipes=3   # the rows above are references; pontoon's follow
copy_row_sql copy "pontoon: INSERT INTO n SELECT * FROM o" <<'SQL'
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE n USING pontoon(new, public.bench_users);
INSERT INTO n SELECT * FROM o;
SQL
# pontoon_copy (issue 12), when this build has it
if sqlite3 -batch -init /dev/null :memory: ".load $build/pontoon" \
     "SELECT count(*) FROM pragma_function_list WHERE name = 'pontoon_copy'" \
     "SELECT count(*) FROM pragma_module_list WHERE name = 'pontoon_copy'" 2>/dev/null | grep -qx '[1-9][0-9]*'; then
  # each round a new job (the target is emptied, the ledger keeps the old ones)
  for w in 1 2 4; do
    copy_row_sql "pcopy$w" "pontoon_copy(old.bench_users, new.bench_users), workers=$w" <<SQL
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE n USING pontoon(new, public.bench_users);
.output /dev/null
SELECT * FROM pontoon_copy('o', 'n', 'workers=$w job=bench-' || hex(randomblob(6)));
SQL
  done
  # three shells on one job, two workers each
  shell_sql "$tmp/pcopy3.sql" <<'SQL'
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE n USING pontoon(new, public.bench_users);
.output /dev/null
SELECT * FROM pontoon_copy('o', 'n', 'workers=2 job=@JOB@');
SQL
  copy_row pcopy3 "pontoon_copy, three shells on one job, workers=2 each" \
    "sed \"s/@JOB@/bench-\$RANDOM\$RANDOM/\" '$tmp/pcopy3.sql' >'$tmp/pcopy3r.sql'; for k in 1 2 3; do sqlite3 -batch -bail -init /dev/null :memory: '.read $tmp/pcopy3r.sql' & done; wait"
fi
# a finished job run again (the ledger read, nothing copied): one job of
# its own, copied once untimed after the rounds, then run again timed
rerun_job="bench-rerun-$$-$RANDOM"
if [ -n "${COPY_CMD[pcopy1]:-}" ]; then
  shell_sql "$tmp/rerun.sql" <<SQL
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE n USING pontoon(new, public.bench_users);
.output /dev/null
SELECT * FROM pontoon_copy('o', 'n', 'job=$rerun_job');
SQL
fi
# the bytes each pipe carries, once each way (directly, untimed)
if want copy; then
  copy_bytes_bin=$(psql_ "$old_direct" -c "COPY (SELECT $copy_cols FROM bench_users) TO STDOUT (FORMAT binary)" | wc -c)
  copy_bytes_text=$(psql_ "$old_direct" -c "COPY bench_users TO STDOUT" | wc -c)
fi
# postgres_fdw: in WAN mode the new database reaches the old through the proxy
psql_ "$new_direct" -c "CREATE EXTENSION IF NOT EXISTS postgres_fdw" \
  -c "DROP SERVER IF EXISTS bench_old CASCADE" \
  -c "CREATE SERVER bench_old FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$PONTOON_PG_HOST', port '$pg_port', dbname '$PONTOON_PG_DB', fetch_size '10000')" \
  -c "CREATE USER MAPPING FOR CURRENT_USER SERVER bench_old OPTIONS (user '$PONTOON_PG_USER', password '$PONTOON_PG_PASSWORD')" \
  -c "DROP SCHEMA IF EXISTS fdw CASCADE" -c "CREATE SCHEMA fdw" \
  -c "IMPORT FOREIGN SCHEMA public LIMIT TO (bench_users) FROM SERVER bench_old INTO fdw"
# the diff rows (bench/diff_rows.bash): their tables in the new database
if want diff; then
  # shellcheck source=bench/diff_rows.bash
  source "$top/bench/diff_rows.bash"
  diff_setup
fi
# 3. copy into a local SQLite file
shell_sql "$tmp/local.sql" <<SQL
ATTACH '$tmp/local.db' AS loc;
CREATE VIRTUAL TABLE temp.u USING pontoon(old, public.bench_users);
CREATE TABLE loc.users AS SELECT * FROM temp.u;
SQL
# 4. point lookups: $lookups primary-key lookups, one remote query each
python3 - "$users" "$lookups" >"$tmp/keys.txt" <<'PY'
import random, sys
random.seed(7)
n, k = int(sys.argv[1]), int(sys.argv[2])
print("\n".join(str(random.randint(1, n)) for _ in range(k)))
PY
shell_sql "$tmp/lookup.sql" <<SQL
CREATE TEMP TABLE keys(id INTEGER);
.import $tmp/keys.txt keys
CREATE VIRTUAL TABLE temp.u USING pontoon(old, public.bench_users);
.timer on
SELECT count(*), sum(length(u.email)) FROM keys k CROSS JOIN temp.u u ON u.id = k.id;
SQL
# pgbench runs the statement pontoon sends (the columns the query reads)
printf '\\set id random(1, %s)\nSELECT id, email FROM bench_users WHERE id = :id;\n' "$users" >"$tmp/lookup.pgbench"
if [ -n "$lib2" ]; then
  sed "s|^\.load .*|.load $lib2|" "$tmp/lookup.sql" >"$tmp/lookup2.sql"
fi
# 5. a join of two remote tables of one server: $join_orders orders with their users
shell_sql "$tmp/join.sql" <<SQL
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_orders);
CREATE VIRTUAL TABLE u USING pontoon(old, public.bench_users);
.timer on
SELECT count(*), sum(o.total), count(DISTINCT u.country) FROM o JOIN u ON u.id = o.user_id WHERE o.id <= $join_orders;
SQL
# 6. MySQL: scan of users against mariadb --quick, and the copy of users and
# orders MySQL -> PostgreSQL against pgloader (tuned: prefetch rows 10000,
# as pgloader 3.6 runs out of heap on million-row tables with its defaults)
shell_sql "$tmp/myscan.sql" <<'SQL'
CREATE VIRTUAL TABLE u USING pontoon(my, bench_users);
SELECT count(*), sum(length(email)), sum(length(name)), sum(length(bio)), count(country),
       sum(balance), count(created_at), sum(active) FROM u;
SQL
# pontoon_copy with its defaults (one worker: on this 2-core machine, where
# both servers run too, more workers only add processes), one table after
# the other in one shell; then one shell per table, both at once, as a
# migration's stages run side by side
my_copy_sql() { # my_copy_sql FILE TABLE...: each MariaDB TABLE into shop.TABLE, in turn
  local f=$1 t
  shift
  { for t in "$@"; do
      echo "CREATE VIRTUAL TABLE m_$t USING pontoon(my, $t);"
      echo "CREATE VIRTUAL TABLE n_$t USING pontoon(new, shop.$t);"
    done
    echo ".output /dev/null"
    for t in "$@"; do
      echo "SELECT * FROM pontoon_copy('m_$t', 'n_$t', 'job=bench-' || hex(randomblob(6)));"
    done; } | shell_sql "$f"
}
my_copy_sql "$tmp/mycopy.sql" bench_users bench_orders
my_copy_sql "$tmp/mycopy_u.sql" bench_users
my_copy_sql "$tmp/mycopy_o.sql" bench_orders
# the same with the MySQL protocol's compression (compress=1)
sed "s|pontoon_connect('my', '\([^']*\)')|pontoon_connect('my', '\1?compress=1')|" "$tmp/mycopy.sql" >"$tmp/mycopyz.sql"
cat >"$tmp/pgloader.load" <<LOAD
LOAD DATABASE
     FROM mysql://$PONTOON_MY_USER:$PONTOON_MY_PASSWORD@$PONTOON_MY_HOST:$my_port/$PONTOON_MY_DB
     INTO postgresql://$PONTOON_PG_USER:$PONTOON_PG_PASSWORD@$PONTOON_PG_HOST:$pg_port/$PONTOON_PG_DB2
 WITH data only, truncate, workers = 2, concurrency = 1, prefetch rows = 10000
 INCLUDING ONLY TABLE NAMES MATCHING 'bench_users', 'bench_orders';
LOAD
have_pgloader=0
command -v pgloader >/dev/null && have_pgloader=1
truncate_my_targets() { psql_ "$new_direct" -c "TRUNCATE shop.bench_users, shop.bench_orders"; }
my_rows=$((users + orders))

# 7. ODBC: the same scan of users through pontoon's ODBC driver, by psqlODBC
# (DSN pontoon_pg) and by the MariaDB ODBC driver (DSN pontoon_my), against
# bench/odbc_fetch.c: a plain C loop fetching the same rows through the same
# driver into bound row arrays (the limit of that driver).  pontoon streams
# psqlODBC through a server cursor (it adds UseDeclareFetch=1;Fetch=2000;
# BoolsAsChar=0), so the loop gets the same; the loop with psqlODBC's
# defaults (the whole result in memory) is informational.
have_odbc=0
if [ -n "${ODBCINI:-}" ] && [ -x "$build/odbc_fetch" ]; then have_odbc=1; fi
odbc_pg_stream="DSN=pontoon_pg;UseDeclareFetch=1;Fetch=2000;BoolsAsChar=0"
odbc_users_cols="id, email, name, bio, country, balance, created_at, active"
shell_sql "$tmp/oscan.sql" <<'SQL'
.output /dev/null
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_pg');
.output stdout
CREATE VIRTUAL TABLE u USING pontoon(o, public.bench_users);
SELECT count(*), sum(length(email)), sum(length(name)), sum(length(bio)), count(country),
       sum(balance), count(created_at), sum(active) FROM u;
SQL
shell_sql "$tmp/omscan.sql" <<'SQL'
.output /dev/null
SELECT pontoon_connect('om', 'odbc:DSN=pontoon_my');
.output stdout
CREATE VIRTUAL TABLE u USING pontoon(om, bench_users);
SELECT count(*), sum(length(email)), sum(length(name)), sum(length(bio)), count(country),
       sum(balance), count(created_at), sum(active) FROM u;
SQL
# The MySQL -> PostgreSQL copy of users through pontoon's ODBC driver (the
# MariaDB driver, DSN pontoon_my), without and with the driver's compressed
# protocol: OPTION bit 2048 (CLIENT_COMPRESS; Connector/ODBC 3.1 has no
# keyword of its own for it, and pontoon adds its bit 2 to the bits given)
shell_sql "$tmp/omcopy.sql" <<'SQL'
.output /dev/null
SELECT pontoon_connect('om', 'odbc:DSN=pontoon_my');
CREATE VIRTUAL TABLE mu USING pontoon(om, bench_users);
CREATE VIRTUAL TABLE nu USING pontoon(new, shop.bench_users);
SELECT * FROM pontoon_copy('mu', 'nu', 'workers=2 job=bench-' || hex(randomblob(6)));
SQL
sed "s|'odbc:DSN=pontoon_my'|'odbc:DSN=pontoon_my;OPTION=2048'|" "$tmp/omcopy.sql" >"$tmp/omcopyz.sql"
# run_row KEY CMD...: CMD timed, its seconds added to KEY and its peak RSS
# kept in RSS[KEY]; when it fails its output goes to stderr, KEY gets nothing
declare -A RSS
run_row() {
  local key=$1 s r; shift
  read -r s r < <(timed "$tmp/out" "$@") || true
  if [ -z "${s:-}" ]; then
    echo "== $key failed:" >&2; cat "$tmp/out" >&2
    return 0
  fi
  add "$key" "$s"
  RSS[$key]=$(maxr "${RSS[$key]:-0}" "$r")
}

run_time() { grep "Run Time" "$1" | tail -1 | awk '{print $4}'; }

declare -A T COPY_ROWS
# lookup_by "" or 2: the lookups by this build or by PONTOON_BENCH_LIB2
lookup_by() {
  local r
  read -r _ r < <(timed "$tmp/lookup$1.out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/lookup$1.sql")
  add "lookup$1" "$(run_time "$tmp/lookup$1.out")"
  if [ -z "$1" ]; then rss_lookup=$(maxr "$rss_lookup" "$r"); else rss_lookup2=$(maxr "$rss_lookup2" "$r"); fi
}
add() { T[$1]="${T[$1]:-} $2"; }
rss_scan=0; rss_local=0; rss_lookup=0; rss_lookup2=0; rss_join=0; rss_myscan=0; rss_mycopy=0; rss_mycopy2=0; rss_mycopyz=0; rss_pgloader=0
mycopy_bytes=0; mycopyz_bytes=0; n_pontoonz=0
omcopy_bytes=0; omcopyz_bytes=0; n_omcopy=0; n_omcopyz=0
n_pontoon=0; n_pontoon2=0; n_pgloader=0
maxr() { local v=$1 r=$2; [ "$r" -gt "$v" ] && echo "$r" || echo "$v"; }
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  if want scan; then
  read -r s r < <(timed "$tmp/out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/scan.sql"); add scan "$s"; rss_scan=$(maxr "$rss_scan" "$r")
  read -r s _ < <(timed /dev/null psql -X -q "$old" -c "\\copy (select * from bench_users) to /dev/null"); add scan_ref "$s"
  if [ "$have_odbc" = 1 ]; then
    run_row oscan sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/oscan.sql"
    run_row oscan_ref "$build/odbc_fetch" "$odbc_pg_stream" "SELECT $odbc_users_cols FROM public.bench_users"
    run_row oscan_buf "$build/odbc_fetch" "DSN=pontoon_pg" "SELECT $odbc_users_cols FROM public.bench_users"
  fi
  fi

  if want copy; then

  # every copy row (copy_row) on an empty target, the first row of the
  # order moving by one each round
  n=${#copy_keys[@]}
  for ((i = 0; i < n; i++)); do
    k=${copy_keys[$(( (i + round - 1) % n ))]}
    psql_ "$new_direct" -c "TRUNCATE bench_users"
    run_row "$k" bash -c "${COPY_CMD[$k]}"
    COPY_ROWS[$k]=$(psql -X -q -t -A "$new_direct" -c "SELECT count(*) FROM bench_users")
    if [ "${COPY_ROWS[$k]}" != "$users" ]; then echo "== $k: ${COPY_ROWS[$k]} rows of $users in the target" >&2; fi
  done
  fi

  if want local; then

  rm -f "$tmp/local.db" "$tmp/ref.db" "$tmp/users.csv"
  read -r s r < <(timed "$tmp/out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/local.sql"); add local "$s"; rss_local=$(maxr "$rss_local" "$r")
  read -r s _ < <(timed /dev/null bash -c "psql -X -q '$old' -c \"\\copy bench_users to '$tmp/users.csv' csv\" && sqlite3 -batch '$tmp/ref.db' 'CREATE TABLE users(id INTEGER, email TEXT, name TEXT, bio TEXT, country TEXT, balance NUMERIC, created_at TEXT, active INTEGER)' '.import --csv $tmp/users.csv users'"); add local_ref "$s"
  fi

  if want lookup; then

  # with a second build, the two swap places every round
  if [ -n "$lib2" ] && [ $((round % 2)) = 0 ]; then lookup_by 2; fi
  lookup_by ""
  tps=$(pgbench -n -M simple -c 1 -t "$lookups" -f "$tmp/lookup.pgbench" "$old" 2>/dev/null | awk '/^tps/ {print $3}')
  add lookup_ref "$(python3 -c "print('%.3f' % ($lookups / float('$tps')))")"
  tps=$(pgbench -n -M prepared -c 1 -t "$lookups" -f "$tmp/lookup.pgbench" "$old" 2>/dev/null | awk '/^tps/ {print $3}')
  add lookup_prep "$(python3 -c "print('%.3f' % ($lookups / float('$tps')))")"
  if [ -n "$lib2" ] && [ $((round % 2)) = 1 ]; then lookup_by 2; fi
  fi

  if want mysql; then

  read -r s r < <(timed "$tmp/out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/myscan.sql"); add myscan "$s"; rss_myscan=$(maxr "$rss_myscan" "$r")
  read -r s _ < <(timed /dev/null bash -c "mariadb --quick -h '$PONTOON_MY_HOST' -P '$my_port' -u '$PONTOON_MY_USER' '$PONTOON_MY_DB' -e 'SELECT * FROM bench_users' >/dev/null"); add myscan_ref "$s"
  if [ "$have_odbc" = 1 ]; then
    run_row omscan sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/omscan.sql"
    run_row omscan_ref "$build/odbc_fetch" "DSN=pontoon_my" "SELECT $odbc_users_cols FROM bench_users"
  fi
  truncate_my_targets
  read -r s r < <(timed "$tmp/out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/mycopy.sql"); add mycopy "$s"; rss_mycopy=$(maxr "$rss_mycopy" "$r")
  n_pontoon=$(psql -X -q -t -A "$new_direct" -c "SELECT (SELECT count(*) FROM shop.bench_users) + (SELECT count(*) FROM shop.bench_orders)")
  truncate_my_targets
  read -r s r < <(timed "$tmp/out" bash -c "sqlite3 -batch -bail -init /dev/null :memory: '.read $tmp/mycopy_u.sql' & sqlite3 -batch -bail -init /dev/null :memory: '.read $tmp/mycopy_o.sql' & wait"); add mycopy2 "$s"; rss_mycopy2=$(maxr "$rss_mycopy2" "$r")
  n_pontoon2=$(psql -X -q -t -A "$new_direct" -c "SELECT (SELECT count(*) FROM shop.bench_users) + (SELECT count(*) FROM shop.bench_orders)")
  truncate_my_targets
  read -r s r < <(timed "$tmp/out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/mycopyz.sql"); add mycopyz "$s"; rss_mycopyz=$(maxr "$rss_mycopyz" "$r")
  n_pontoonz=$(psql -X -q -t -A "$new_direct" -c "SELECT (SELECT count(*) FROM shop.bench_users) + (SELECT count(*) FROM shop.bench_orders)")
  if [ "$round" = "$rounds" ]; then
    truncate_my_targets; mycopy_bytes=$(net_bytes "$tmp/mycopy.sql")
    truncate_my_targets; mycopyz_bytes=$(net_bytes "$tmp/mycopyz.sql")
  fi
  if [ "$have_odbc" = 1 ]; then
    my_users() { psql -X -q -t -A "$new_direct" -c "SELECT count(*) FROM shop.bench_users"; }
    truncate_my_targets; run_row omcopy sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/omcopy.sql"; n_omcopy=$(my_users)
    truncate_my_targets; run_row omcopyz sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/omcopyz.sql"; n_omcopyz=$(my_users)
    if [ "$round" = "$rounds" ]; then
      truncate_my_targets; omcopy_bytes=$(net_bytes_odbc "$tmp/omcopy.sql")
      truncate_my_targets; omcopyz_bytes=$(net_bytes_odbc "$tmp/omcopyz.sql")
    fi
  fi
  if [ "$have_pgloader" = 1 ]; then
    truncate_my_targets
    read -r s r < <(timed "$tmp/pgloader.out" pgloader --no-ssl-cert-verification "$tmp/pgloader.load"); add mycopy_ref "$s"; rss_pgloader=$(maxr "$rss_pgloader" "$r")
    n_pgloader=$(psql -X -q -t -A "$new_direct" -c "SELECT (SELECT count(*) FROM shop.bench_users) + (SELECT count(*) FROM shop.bench_orders)")
  fi
  fi

  if want join; then

  read -r _ r < <(timed "$tmp/join.out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/join.sql"); add join "$(run_time "$tmp/join.out")"; rss_join=$(maxr "$rss_join" "$r")
  read -r s _ < <(timed /dev/null psql -X -q "$old" -c "SELECT count(*), sum(o.total), count(DISTINCT u.country) FROM bench_orders o JOIN bench_users u ON u.id = o.user_id WHERE o.id <= $join_orders"); add join_ref "$s"
  fi

  if want diff; then diff_round; fi
done
rerun_line=""
if want copy && [ -n "${COPY_CMD[pcopy1]:-}" ]; then
  psql_ "$new_direct" -c "TRUNCATE bench_users"
  sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/rerun.sql" >/dev/null
  read -r s r < <(timed "$tmp/out" sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/rerun.sql")
  rerun_line="a finished job of $users rows run again (pontoon_copy, nothing copied; the whole sqlite3 process): $s s, peak RSS $(( r / 1024 )) MiB"
fi
m() { printf '%s\n' ${T[$1]:-} | median; }
line() { # line WHAT KEY REFNAME REFKEY RSS
  local p r; p=$(m "$2"); r=$(m "$4")
  if [ -z "$p" ] && [ -z "$r" ]; then return; fi   # not run (PONTOON_BENCH_ONLY)
  if [ -z "$p" ] || [ -z "$r" ]; then
    printf '| %s | %s | %s | %s | failed | %s MiB |\n' "$1" "${p:-failed}" "$3" "${r:-failed}" "$(( $5 / 1024 ))"
    return
  fi
  printf '| %s | %s | %s | %s | %s | %s MiB |\n' "$1" "$p" "$3" "$r" "$(ratio "$r" "$p")" "$(( $5 / 1024 ))"
}
{
  echo
  echo "$users users, $orders orders; median of $rounds rounds; ratio = reference / pontoon"
  if [ "$wan" = 1 ]; then
    echo "WAN mode: every client reaches the servers through wanproxy -b $wan_bits -d $wan_delay, one per server, shaped per connection and direction"
    cat "$tmp/wancheck.txt"
  fi
  echo
  echo "| run | pontoon s | reference | reference s | ratio | pontoon peak RSS |"
  echo "|---|---|---|---|---|---|"
  line "scan users, every column" scan "psql \\copy (select *) to /dev/null (the limit)" scan_ref "$rss_scan"
  for k in "${copy_keys[@]:$copy_pipes}"; do
    what="copy users PostgreSQL -> PostgreSQL"
    [ "$k" = copy ] || what="$what, ${COPY_LABEL[$k]}"
    line "$what" "$k" "${COPY_LABEL[copy_bin]}" copy_bin "${RSS[$k]:-0}"
    line "$what" "$k" "${COPY_LABEL[copy_ref]}" copy_ref "${RSS[$k]:-0}"
    line "$what" "$k" "${COPY_LABEL[copy_fdw]}$([ "$wan" = 1 ] && echo ", the new database reaching the old through the proxy")" copy_fdw "${RSS[$k]:-0}"
  done
  line "copy users PostgreSQL -> PostgreSQL, the text pipe (a reference; RSS: the pipe's)" copy_ref "${COPY_LABEL[copy_bin]}" copy_bin "${RSS[copy_ref]:-0}"
  line "users into a local SQLite file (CREATE TABLE AS)" local "psql \\copy to CSV + sqlite3 .import" local_ref "$rss_local"
  line "$lookups primary-key lookups" lookup "pgbench -M simple, 1 client, same lookups" lookup_ref "$rss_lookup"
  line "$lookups primary-key lookups" lookup "pgbench -M prepared, 1 client, same lookups (the limit)" lookup_prep "$rss_lookup"
  if [ -n "$lib2" ]; then
    line "$lookups primary-key lookups, PONTOON_BENCH_LIB2" lookup2 "pgbench -M simple, 1 client, same lookups" lookup_ref "$rss_lookup2"
    line "$lookups primary-key lookups" lookup "the same by PONTOON_BENCH_LIB2" lookup2 "$rss_lookup"
  fi
  line "join of two remote tables, $join_orders orders" join "the same join run by the server (psql)" join_ref "$rss_join"
  line "MySQL: scan users, every column" myscan "mariadb --quick -e 'SELECT * ...' (the limit)" myscan_ref "$rss_myscan"
  if [ "$have_pgloader" = 1 ]; then
    line "MySQL -> PostgreSQL copy of users and orders" mycopy "pgloader 3.6, prefetch rows = 10000" mycopy_ref "$rss_mycopy"
    line "MySQL -> PostgreSQL copy of users and orders, one shell per table at once" mycopy2 "pgloader 3.6, prefetch rows = 10000" mycopy_ref "$rss_mycopy2"
  fi
  line "MySQL -> PostgreSQL copy of users and orders, compress=1" mycopyz "the same without compression" mycopy "$rss_mycopyz"
  if want diff; then diff_lines; fi
  if [ "$have_odbc" = 1 ]; then
    line "ODBC psqlODBC: scan users, every column" oscan "C loop, bound row arrays, UseDeclareFetch=1;Fetch=2000 (the limit)" oscan_ref "${RSS[oscan]:-0}"
    line "ODBC psqlODBC: scan users, every column" oscan "C loop, bound row arrays, psqlODBC defaults (whole result in memory)" oscan_buf "${RSS[oscan]:-0}"
    line "ODBC psqlODBC: scan users, every column" oscan "pontoon's PostgreSQL driver, same round (scan users)" scan "${RSS[oscan]:-0}"
    line "ODBC MariaDB: scan users, every column" omscan "C loop, bound row arrays, MariaDB ODBC (the limit)" omscan_ref "${RSS[omscan]:-0}"
    line "ODBC MariaDB: scan users, every column" omscan "pontoon's MySQL driver, same round (MySQL: scan users)" myscan "${RSS[omscan]:-0}"
    line "ODBC MariaDB -> PostgreSQL copy of users, OPTION=2048 (compressed protocol)" omcopyz "the same without compression" omcopy "${RSS[omcopyz]:-0}"
  fi
  echo
  if want copy; then
    printf 'rows in the target after each PostgreSQL -> PostgreSQL copy (of %s):' "$users"
    for k in "${copy_keys[@]}"; do printf ' %s %s' "$k" "${COPY_ROWS[$k]:-failed}"; done
    echo
    echo "COPY streams of users, what each pipe carries out of the old database and into the new: binary $(( copy_bytes_bin / 1000000 )) MB, text $(( copy_bytes_text / 1000000 )) MB"
    [ -z "$rerun_line" ] || echo "$rerun_line"
  fi
  want mysql && echo "rows copied MySQL -> PostgreSQL: pontoon $n_pontoon (one shell per table: $n_pontoon2), pgloader $n_pgloader (of $my_rows); pgloader's peak RSS: $(( rss_pgloader / 1024 )) MiB"
  want mysql && echo "bytes the servers sent to the sqlite3 process in the MySQL -> PostgreSQL copy (a counting proxy, one more run): $mycopy_bytes, with compress=1 $mycopyz_bytes (rows copied with compress=1: $n_pontoonz)"
  if [ "$have_odbc" = 1 ] && want mysql; then
    echo "bytes the servers sent to the sqlite3 process in the ODBC MariaDB -> PostgreSQL copy of users (a counting proxy, one more run): $omcopy_bytes, with OPTION=2048 $omcopyz_bytes (rows copied: $n_omcopy, with OPTION=2048 $n_omcopyz, of $users)"
  fi
  if want diff; then diff_notes; fi
  if [ "$have_odbc" = 1 ] && want scan; then
    echo "ODBC C loops' peak RSS: psqlODBC streaming $(( ${RSS[oscan_ref]:-0} / 1024 )) MiB, psqlODBC defaults $(( ${RSS[oscan_buf]:-0} / 1024 )) MiB, MariaDB ODBC $(( ${RSS[omscan_ref]:-0} / 1024 )) MiB"
  fi
} | tee "$tmp/table.md"
if want sync; then source "$top/bench/sync.bash"; sync_bench; sync_lines | tee "$tmp/sync.md"; fi
if want scan; then
  echo
  echo "== libpq read protocols on the users table (bench/pg_read_modes.c, median seconds)"
  "$build/pg_read_modes" "$old" public.bench_users "$rounds"
fi
