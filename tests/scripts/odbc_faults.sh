#!/usr/bin/env bash
# ODBC faults, through psqlODBC and the MariaDB ODBC driver: the server's end
# of the connection killed mid-scan gives a clean error naming the server
# and table, and the next statement reconnects; killed in the middle of a
# big INSERT, nothing is written and the next statement works.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
kill_pg() {
  pg_sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE usename = '$PONTOON_PG_USER' AND pid <> pg_backend_pid() AND backend_type = 'client backend'" >/dev/null
}
kill_my() {
  local ids
  ids=$(my_sql -e "SELECT id FROM information_schema.PROCESSLIST WHERE user = '$PONTOON_MY_USER' AND id <> CONNECTION_ID()")
  for id in $ids; do my_sql -e "KILL $id" 2>/dev/null || true; done
}
pg_sql -c "DROP TABLE IF EXISTS odbc_fault_scan, odbc_fault_ins;
  CREATE TABLE odbc_fault_scan AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g;
  ALTER TABLE odbc_fault_scan ADD PRIMARY KEY (id);
  CREATE TABLE odbc_fault_ins (id int PRIMARY KEY, v text)"
my_sql -e "DROP TABLE IF EXISTS odbc_fault_scan, odbc_fault_ins;
  CREATE TABLE odbc_fault_scan (id int PRIMARY KEY, h char(32)) ENGINE=InnoDB;
  INSERT INTO odbc_fault_scan SELECT seq, md5(seq) FROM seq_1_to_200000;
  CREATE TABLE odbc_fault_ins (id int PRIMARY KEY, v text) ENGINE=InnoDB"

for dsn in pontoon_pg pontoon_my; do
  killer=kill_pg; [ "$dsn" = pontoon_my ] && killer=kill_my
  # a slow scan: every remote row meets 3000 local ones
  script="
SELECT pontoon_connect('o', 'odbc:DSN=$dsn');
CREATE VIRTUAL TABLE t USING pontoon(o, odbc_fault_scan);
SELECT count(*) FROM t CROSS JOIN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x FROM c);
SELECT 'after:', count(*) FROM t;
SELECT 'connected:', connected FROM pontoon_servers;
"
  ( sleep 3; $killer ) &
  k=$!
  out=$(shell <<<"$script" 2>&1)
  wait $k
  echo "$out"
  check "$dsn: the scan fails with the server and table named" grep -q "pontoon: server 'o', table odbc_fault_scan: " <<<"$out"
  check "$dsn: the error carries an SQLSTATE" grep -q "SQLSTATE" <<<"$out"
  check "$dsn: the next statement reconnects" grep -qx "after:|200000" <<<"$out"
  check "$dsn: the server shows as connected again" grep -qx "connected:|1" <<<"$out"

  # killed in the middle of a big INSERT
  script="
SELECT pontoon_connect('o', 'odbc:DSN=$dsn');
CREATE VIRTUAL TABLE t USING pontoon(o, odbc_fault_ins);
INSERT INTO t WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000000) SELECT i, printf('%0200d', i) FROM g;
SELECT 'after:', count(*) FROM t;
INSERT INTO t VALUES (1, 'one');
SELECT 'then:', count(*) FROM t;
"
  ( sleep 2; $killer ) &
  k=$!
  out=$(shell <<<"$script" 2>&1)
  wait $k
  echo "$out"
  check "$dsn: the INSERT fails naming the server and table" grep -q "pontoon: server 'o', table odbc_fault_ins: " <<<"$out"
  check "$dsn: nothing of it was written" grep -qx "after:|0" <<<"$out"
  check "$dsn: the next INSERT reconnects and works" grep -qx "then:|1" <<<"$out"
done
check "PostgreSQL holds exactly that row" [ "$(pg_sql -c 'SELECT count(*) FROM odbc_fault_ins')" = 1 ]
check "MariaDB holds exactly that row" [ "$(my_sql -e 'SELECT count(*) FROM odbc_fault_ins')" = 1 ]
pg_sql -c "DROP TABLE odbc_fault_scan, odbc_fault_ins"
my_sql -e "DROP TABLE odbc_fault_scan, odbc_fault_ins"
finish
