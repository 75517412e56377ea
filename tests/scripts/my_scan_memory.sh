#!/usr/bin/env bash
# MySQL/MariaDB reading streams with bounded memory: the sqlite3 process that
# scans a 2,000,000-row table, touching every column, peaks under 64 MiB.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
rows=${PONTOON_SCAN_ROWS:-2000000}
my_sql -e "DROP TABLE IF EXISTS scan_big;
  CREATE TABLE scan_big (id int PRIMARY KEY, email varchar(60), name char(32), created datetime, amount decimal(10,2), active tinyint(1)) ENGINE=InnoDB;
  INSERT INTO scan_big SELECT seq, CONCAT('user', seq, '@example.com'), md5(seq), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, (seq % 10000) / 100, seq % 2 FROM seq_1_to_$rows;"
sqlf=$(mktemp); outf=$(mktemp)
cat >"$sqlf" <<SQL
.load $BUILD/pontoon
SELECT pontoon_connect('my', '$MY_URI_NOPW');
CREATE VIRTUAL TABLE big USING pontoon(my, scan_big);
SELECT count(*), sum(length(email)), sum(length(name)), count(created), sum(amount), sum(active) FROM big;
SQL
read -r _ rss < <(measure "$outf" sqlite3 -batch -init /dev/null :memory: ".read $sqlf")
cat "$outf"
check "the scan read every row" grep -q "^$rows|" "$outf"
check_rss "" "$rss"
my_sql -e "DROP TABLE scan_big"
rm -f "$sqlf" "$outf"
finish
