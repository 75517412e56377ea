#!/usr/bin/env bash
# issue 17 item 6: load.  50 servers (pontoon_connect names, half on the
# harness's PostgreSQL, half on its MariaDB) and 500 tables registered in
# one shell; then 100,000 statements (lookups by key through those tables,
# each a round trip) with no growth in RSS (after 10,000 and after 100,000
# statements: bounded) nor in open connections (pg_stat_activity, the
# MariaDB processlist: the same counts at both points).
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
NSTMT=${PONTOON_LOAD_STATEMENTS:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pg_sql -c "DROP TABLE IF EXISTS lm_t; CREATE TABLE lm_t (id int PRIMARY KEY, v text);
  INSERT INTO lm_t SELECT g, 'v' || g FROM generate_series(1, 1000) g" >/dev/null
my_sql -e "DROP TABLE IF EXISTS lm_t; CREATE TABLE lm_t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
  INSERT INTO lm_t SELECT seq, concat('v', seq) FROM seq_1_to_1000"

# at a checkpoint: the shell's RSS (kB) and the connections of the servers
cat >"$tmp/probe.sh" <<EOF
#!/usr/bin/env bash
rss=\$(awk '/^VmRSS/ {print \$2}' /proc/\$1/status)
pg=\$(env -u LD_PRELOAD PGPASSFILE='$PONTOON_PG_PASSFILE' psql -X -q -t -A '$PONTOON_PG_URI_NOPW' -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pontoon'")
my=\$(env -u LD_PRELOAD MYSQL_PWD='$PONTOON_MY_PASSWORD' mariadb -N -B -h '$PONTOON_MY_HOST' -P '$PONTOON_MY_PORT' -u '$PONTOON_MY_USER' -e "SELECT count(*) FROM information_schema.PROCESSLIST WHERE user = '$PONTOON_MY_USER' AND id <> CONNECTION_ID()")
echo "\$2 \$rss \$pg \$my" >>'$tmp/probes'
EOF
chmod +x "$tmp/probe.sh"

{
  for s in $(seq 1 50); do
    if [ $((s % 2)) = 1 ]; then uri=$PONTOON_PG_URI_NOPW; else uri=$MY_URI_NOPW; fi
    echo "SELECT pontoon_connect('s$s', '$uri') IS NULL;"
  done
  for t in $(seq 0 499); do
    echo "CREATE VIRTUAL TABLE temp.t$t USING pontoon(s$((t % 50 + 1)), lm_t);"
  done
  echo "SELECT 'tables', count(*) FROM temp.sqlite_schema WHERE sql LIKE '%pontoon(%';"
  echo "SELECT 'servers', count(*) FROM pontoon_servers;"
  awk -v n="$NSTMT" -v probe="$tmp/probe.sh" 'BEGIN {
    srand(17)
    for (i = 1; i <= n; i++) {
      printf "SELECT v FROM t%d WHERE id = %d;\n", i % 500, int(rand() * 1000) + 1
      if (i == 10000 || i == n) printf ".system %s $PPID %d\n", probe, i
    }
  }'
} >"$tmp/load.sql"

start=$(date +%s)
shell <"$tmp/load.sql" >"$tmp/out" 2>&1
took=$(( $(date +%s) - start ))
head -n 52 "$tmp/out" | grep -v '^1$' | head -5
echo "$(wc -l <"$tmp/out") output lines in ${took}s"
cat "$tmp/probes"
check "500 tables registered" grep -qx "tables|500" "$tmp/out"
check "50 servers registered" grep -qx "servers|50" "$tmp/out"
check "every lookup answered ($NSTMT)" [ "$(grep -c '^v[0-9]*$' "$tmp/out")" = "$NSTMT" ]
check "no error" bash -c '! grep -qi error "$1"' _ "$tmp/out"
read -r _ rss1 pg1 my1 < <(sed -n 1p "$tmp/probes")
read -r _ rss2 pg2 my2 < <(sed -n 2p "$tmp/probes")
check "open connections do not grow (PostgreSQL $pg1 -> $pg2, MariaDB $my1 -> $my2)" \
  [ "$pg2" -le "$pg1" ] && [ "$my2" -le "$my1" ]
check "at most one connection per server name ($pg2 + $my2)" [ "$((pg2 + my2))" -le 50 ]
if [ -n "${PONTOON_SANITIZED:-}" ]; then
  echo "(RSS growth is not compared under the sanitizer: its quarantine keeps freed memory)"
else
  check "RSS after $NSTMT statements within 2 MiB of RSS after 10,000 ($rss1 kB -> $rss2 kB)" \
    [ "$rss2" -le $((rss1 + 2048)) ]
fi
pg_sql -c "DROP TABLE lm_t" >/dev/null
my_sql -e "DROP TABLE lm_t"
finish
