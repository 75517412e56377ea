#!/usr/bin/env bash
# ODBC reading has bounded memory whatever the driver: a 2,000,000-row scan
# touching every column peaks under 64 MiB through psqlODBC (streamed by a
# server cursor), the MariaDB ODBC driver (which keeps whole results: read
# in key-ordered pages) and the SQLite ODBC driver (stepped).  Also: the
# scan is complete (count and sums equal the server's own).
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
rows=${PONTOON_SCAN_ROWS:-2000000}
pg_sql -c "DROP TABLE IF EXISTS odbc_big; CREATE TABLE odbc_big (id int PRIMARY KEY, email text, name varchar(40), created timestamp, amount numeric(10,2));
  INSERT INTO odbc_big SELECT g, 'user' || g || '@example.com', md5(g::text), TIMESTAMP '2024-01-01' + g * INTERVAL '1 second', (g % 10000) / 100.0 FROM generate_series(1, $rows) g;"
my_sql -e "DROP TABLE IF EXISTS odbc_big; CREATE TABLE odbc_big (id int PRIMARY KEY, email varchar(60), name char(32), created datetime, amount decimal(10,2)) ENGINE=InnoDB;
  INSERT INTO odbc_big SELECT seq, CONCAT('user', seq, '@example.com'), md5(seq), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, (seq % 10000) / 100 FROM seq_1_to_$rows;"
rm -f "$PONTOON_ODBC_SQLITE_DB"
sqlite3 "$PONTOON_ODBC_SQLITE_DB" "CREATE TABLE odbc_big (id INTEGER PRIMARY KEY, email TEXT, name TEXT, created TIMESTAMP, amount REAL);
  WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < $rows)
  INSERT INTO odbc_big SELECT x, 'user' || x || '@example.com', hex(x), '2024-01-01 00:00:00', (x % 10000) / 100.0 FROM g;"
want="$rows|$(( rows * (rows + 1) / 2 ))"

scan() { # scan DSN: the scan through that data source, checked
  local sqlf outf
  sqlf=$(mktemp); outf=$(mktemp)
  cat >"$sqlf" <<SQL
.load $BUILD/pontoon
SELECT pontoon_connect('o', 'odbc:DSN=$1');
CREATE VIRTUAL TABLE big USING pontoon(o, odbc_big);
SELECT count(*), sum(id), sum(length(email)), sum(length(name)), count(created), sum(amount) > 0 FROM big;
SQL
  read -r _ rss < <(measure "$outf" sqlite3 -batch -init /dev/null :memory: ".read $sqlf")
  cat "$outf"
  check "$1: the scan read every row once" grep -q "^$want|" "$outf"
  check_rss "$1: " "$rss"
  rm -f "$sqlf" "$outf"
}
scan pontoon_pg
scan pontoon_my
scan pontoon_sqlite
pg_sql -c "DROP TABLE odbc_big"
my_sql -e "DROP TABLE odbc_big"
rm -f "$PONTOON_ODBC_SQLITE_DB"
finish
