#!/usr/bin/env bash
# issue 10 items 5 and 6 through ODBC (psqlODBC and the MariaDB ODBC driver).
#   item 5: lost updates: two shells each run N autocommit
#     UPDATE t SET i = i + 1 WHERE id = 1 at once; the final value must equal
#     the statements that succeeded (errors are allowed and counted, lost
#     increments are not).  MySQL needs the bridge to lock what a write
#     transaction reads (driver.h xLockRows, " FOR UPDATE" for MySQL).
#   item 6: key= naming a non-unique column: a one-row DELETE deleted every
#     row with that value; it must fail and delete nothing, as must an
#     UPDATE.
source "$(dirname "$0")/lib.bash" "$@"
N=${ODBC_DEFECTS_N:-150}
pg_sql -c "DROP TABLE IF EXISTS odd_counter, odd_nonunique;
  CREATE TABLE odd_counter (id int PRIMARY KEY, i int NOT NULL);
  INSERT INTO odd_counter VALUES (1, 0), (2, 0);
  CREATE TABLE odd_nonunique (k int, v text);
  INSERT INTO odd_nonunique VALUES (1, 'a'), (1, 'b'), (2, 'c')"
my_sql -e "DROP TABLE IF EXISTS odd_counter, odd_nonunique;
  CREATE TABLE odd_counter (id int PRIMARY KEY, i int NOT NULL) ENGINE=InnoDB;
  INSERT INTO odd_counter VALUES (1, 0), (2, 0);
  CREATE TABLE odd_nonunique (k int, v text) ENGINE=InnoDB;
  INSERT INTO odd_nonunique VALUES (1, 'a'), (1, 'b'), (2, 'c')"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for dsn in pontoon_pg pontoon_my; do
  {
    echo "SELECT pontoon_connect('o', 'odbc:DSN=$dsn');"
    echo "CREATE VIRTUAL TABLE t USING pontoon(o, odd_counter);"
    for ((n = 0; n < N; n++)); do echo "UPDATE t SET i = i + 1 WHERE id = 1;"; done
  } >"$tmp/script.sql"
  shell <"$tmp/script.sql" >"$tmp/a.out" 2>&1 &
  a=$!
  shell <"$tmp/script.sql" >"$tmp/b.out" 2>&1 &
  b=$!
  wait $a $b
  errors=$(cat "$tmp/a.out" "$tmp/b.out" | grep -c "^Runtime error" || true)
  grep -m 3 "^Runtime error" "$tmp/a.out" "$tmp/b.out"
  if [ "$dsn" = pontoon_pg ]; then
    final=$(pg_sql -c "SELECT i FROM odd_counter WHERE id = 1")
  else
    final=$(my_sql -e "SELECT i FROM odd_counter WHERE id = 1")
  fi
  succeeded=$((2 * N - errors))
  echo "$dsn: $((2 * N)) statements, $errors failed, counter $final"
  check "$dsn: no increment lost (counter $final = $succeeded statements that succeeded)" [ "$final" = "$succeeded" ]
  check "$dsn: some increments went through" [ "$succeeded" -gt 0 ]

  out=$(shell 2>&1 <<SQL
SELECT pontoon_connect('o', 'odbc:DSN=$dsn');
CREATE VIRTUAL TABLE nu USING pontoon(o, odd_nonunique, key=k);
DELETE FROM nu WHERE v = 'a';
SELECT 'changes:', changes();
UPDATE nu SET v = 'x' WHERE v = 'b';
SELECT 'rows:', group_concat(k || v, ' ') FROM (SELECT * FROM nu ORDER BY k, v);
SQL
)
  echo "$out"
  check "$dsn: a DELETE by a key that matches two rows fails" grep -q "2 rows matched the key" <<<"$out"
  check "$dsn: nothing was deleted or updated" grep -qx "rows:|1a 1b 2c" <<<"$out"
done
pg_sql -c "DROP TABLE odd_counter, odd_nonunique"
my_sql -e "DROP TABLE odd_counter, odd_nonunique"
finish
