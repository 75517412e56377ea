#!/usr/bin/env bash
# MySQL/MariaDB faults: KILL of pontoon's connection mid-scan and
# mid-INSERT gives a clean error naming the server and table, leaves nothing
# half-written, and the next statement reconnects.  Also: the password from
# MYSQL_PWD and from ~/.my.cnf, and a wrong one never shown.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
my_sql -e "DROP TABLE IF EXISTS fault_scan, fault_ins;
  CREATE TABLE fault_scan (id int PRIMARY KEY, h varchar(40)) ENGINE=InnoDB;
  INSERT INTO fault_scan SELECT seq, md5(seq) FROM seq_1_to_1000000;
  CREATE TABLE fault_ins (id int PRIMARY KEY, v text) ENGINE=InnoDB;"
killall_pontoon() {
  sleep "$1"
  for id in $(my_sql -e "SELECT id FROM information_schema.PROCESSLIST WHERE user = '$PONTOON_MY_USER' AND id <> CONNECTION_ID() AND command <> 'Daemon'"); do
    my_sql -e "KILL $id" 2>/dev/null || true
  done
}
script="
SELECT pontoon_connect('my', '$MY_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(my, fault_scan);
SELECT count(*) FROM t CROSS JOIN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c);
SELECT 'after:', count(*) FROM t;
"
killall_pontoon 1 &
killer=$!
out=$(shell <<<"$script" 2>&1)
wait $killer
echo "$out"
check "the scan fails naming the server and table" grep -q "pontoon: server 'my', table fault_scan: " <<<"$out"
check "the next statement reconnects" grep -qx "after:|1000000" <<<"$out"

script="
SELECT pontoon_connect('my', '$MY_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(my, fault_ins);
INSERT INTO t WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000000) SELECT i, printf('%0200d', i) FROM g;
SELECT 'after:', count(*) FROM t;
INSERT INTO t VALUES (1, 'one');
SELECT 'then:', count(*) FROM t;
"
killall_pontoon 2 &
killer=$!
out=$(shell <<<"$script" 2>&1)
wait $killer
echo "$out"
check "the INSERT fails naming the server and table" grep -q "pontoon: server 'my', table fault_ins: " <<<"$out"
check "nothing of it was written" grep -qx "after:|0" <<<"$out"
check "the next INSERT reconnects and works" grep -qx "then:|1" <<<"$out"
check "the server holds exactly that row" [ "$(my_sql -e 'SELECT count(*) FROM fault_ins')" = 1 ]

# where the password comes from
q="SELECT pontoon_connect('my', '$MY_URI_NOPW');"
out=$(MYSQL_PWD=$PONTOON_MY_PASSWORD shell "$q" 2>&1)
check "MYSQL_PWD is used" [ "$out" = mysql ]
home=$(mktemp -d)
printf '[client]\npassword=%s\n' "$PONTOON_MY_PASSWORD" >"$home/.my.cnf"
chmod 600 "$home/.my.cnf"
out=$(unset MYSQL_PWD; HOME="$home" shell "$q" 2>&1)
check "~/.my.cnf [client] is used" [ "$out" = mysql ]
rm -rf "$home"
out=$(unset MYSQL_PWD; shell "SELECT pontoon_connect('my', 'mysql://$PONTOON_MY_USER:wrong-secret-9@$PONTOON_MY_HOST:$PONTOON_MY_PORT/$PONTOON_MY_DB');" 2>&1)
echo "$out"
check "a wrong password: access denied" grep -q "Access denied" <<<"$out"
check "the wrong password is not in the message" bash -c '! grep -q "wrong-secret-9" <<<"$1"' _ "$out"
finish
