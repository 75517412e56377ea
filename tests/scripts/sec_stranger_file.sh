#!/usr/bin/env bash
# issue 17 item 5: a database file made by someone else, holding pontoon
# tables that name the user's own server names, views and triggers over
# them and query= tables, opened in a shell with pontoon loaded and the
# user's servers registered, runs nothing remote on its own: no trigger
# writes through a pontoon table, no view reads one, no query= table of the
# file runs.  And a query= table cannot change data even when this session
# creates it: data-modifying CTEs, nextval/setval, SELECT ... INTO, several
# statements, a ')' that ends pontoon's own SELECT early; on MariaDB INTO
# OUTFILE / INTO DUMPFILE (before the fix, "SELECT 1) AS q INTO OUTFILE
# '...' #" wrote the file at CREATE: READ ONLY transactions do not stop
# it), FOR UPDATE, stored functions that write or take a sequence value.
# Each attempt and its refusal is printed ("attempt | result"); then the
# servers are checked: rows, sequences, a victim backend alive, no
# advisory lock held, no file written.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
dir=$(mktemp -d)
out_dir=$(mktemp -d) # where INTO OUTFILE would write (the server may run as another user)
chmod 777 "$out_dir"
victim=""
cleanup() {
  if [ -n "$victim" ]; then
    pg_sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'str_victim'" >/dev/null 2>&1
    kill "$victim" 2>/dev/null
    wait "$victim" 2>/dev/null
  fi
  rm -rf "$dir" "$out_dir"
}
trap cleanup EXIT

pg_sql >/dev/null <<'SQL'
DROP TABLE IF EXISTS str_t, str_new; DROP SEQUENCE IF EXISTS str_seq;
CREATE TABLE str_t (id int PRIMARY KEY, v text);
INSERT INTO str_t VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE SEQUENCE str_seq;
SELECT nextval('str_seq');
CREATE OR REPLACE FUNCTION str_bad() RETURNS int LANGUAGE plpgsql AS
  $$BEGIN DELETE FROM str_t; RETURN 1; END$$;
SQL
has_dblink=0
if pg_sql -c "CREATE EXTENSION IF NOT EXISTS dblink" >/dev/null 2>&1; then has_dblink=1; fi
my_sql <<'SQL'
DROP TABLE IF EXISTS str_t; DROP SEQUENCE IF EXISTS str_seq;
DROP FUNCTION IF EXISTS str_f; DROP FUNCTION IF EXISTS str_fseq;
CREATE TABLE str_t (id int PRIMARY KEY, v varchar(20)) ENGINE=InnoDB;
INSERT INTO str_t VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE SEQUENCE str_seq;
DELIMITER //
CREATE FUNCTION str_f() RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM str_t; RETURN 1; END//
CREATE FUNCTION str_fseq() RETURNS bigint MODIFIES SQL DATA RETURN nextval(str_seq)//
DELIMITER ;
SQL

# a backend the file would like to terminate
env -u LD_PRELOAD PGAPPNAME=str_victim psql -X -q "$PONTOON_PG_URI_NOPW" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 50); do
  [ "$(pg_sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'str_victim'")" -ge 1 ] && break
  sleep 0.1
done

state() { # what must not change on the servers
  pg_sql -c "SELECT (SELECT count(*) || ' ' || md5(string_agg(id || v, ',' ORDER BY id)) FROM str_t),
    (SELECT last_value FROM str_seq), (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'str_victim'),
    (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'), to_regclass('str_new') IS NULL"
  my_sql -e "SELECT (SELECT concat(count(*), ' ', md5(group_concat(id, v ORDER BY id))) FROM str_t),
    (SELECT next_not_cached_value FROM str_seq)"
  ls -A "$out_dir"
}
before=$(state)
echo "before: $(tr '\n' ' ' <<<"$before")"

# SQL of hostile query= tables: name|server|SQL.  OUT is replaced by a path
# in a directory the server can write to.
pg_q=(
  "data-modifying CTE|pg|WITH d AS (DELETE FROM str_t RETURNING *) SELECT * FROM d"
  "CTE after an early ')'|pg|SELECT 1) AS q, (WITH d AS (DELETE FROM str_t RETURNING *) SELECT * FROM d) AS z --"
  "nextval|pg|SELECT nextval('str_seq') AS x"
  "setval|pg|SELECT setval('str_seq', 1000) AS x"
  "writing function|pg|SELECT str_bad() AS x"
  "SELECT ... INTO|pg|SELECT 1 AS x INTO str_new"
  "SELECT ... INTO after ')'|pg|SELECT 1 AS x) AS q INTO str_new --"
  "several statements|pg|SELECT 1 AS x; DELETE FROM str_t"
  "COMMIT after ')'|pg|SELECT 1 AS x) AS q; COMMIT; DELETE FROM str_t; SELECT * FROM (SELECT 1 AS x"
  "set_config read-write|pg|SELECT set_config('transaction_read_only', 'off', false) AS x"
  "INTO OUTFILE after ')'|my|SELECT 1 AS x) AS q INTO OUTFILE 'OUT/f1' #"
  "INTO DUMPFILE after ')'|my|SELECT 1 AS x) AS q INTO DUMPFILE 'OUT/f2' #"
  "INTO OUTFILE in /*! */|my|SELECT 1 AS x /*!) AS q INTO OUTFILE 'OUT/f3' #*/"
  "INTO OUTFILE|my|SELECT 1 AS x INTO OUTFILE 'OUT/f4'"
  "several statements|my|SELECT 1 AS x; DELETE FROM str_t"
  "several after ')'|my|SELECT 1 AS x) AS q; DELETE FROM str_t; SELECT * FROM (SELECT 1 AS x"
  "FOR UPDATE|my|SELECT id FROM str_t FOR UPDATE"
  "nextval|my|SELECT nextval(str_seq) AS x"
  "setval|my|SELECT setval(str_seq, 1000) AS x"
  "writing function|my|SELECT str_f() AS x"
  "function taking nextval|my|SELECT str_fseq() AS x"
)
# only from the file (a session that creates them runs them: docs/security.md)
file_only_q=(
  "pg_terminate_backend|pg|SELECT pg_terminate_backend(pid) AS x FROM pg_stat_activity WHERE application_name = 'str_victim'"
  "pg_advisory_lock|pg|SELECT pg_advisory_lock(4242) AS x"
  "lo_import|pg|SELECT lo_import('/etc/hostname') AS x"
)
if [ "$has_dblink" = 1 ]; then
  file_only_q+=("dblink|pg|SELECT x FROM dblink('$PONTOON_PG_URI_NOPW', 'DELETE FROM str_t RETURNING 1') AS t(x int)")
fi
sql_str() { local q="'" s=${1//OUT/$out_dir}; printf "'%s'" "${s//$q/$q$q}"; }

# The stranger's file, made in the stranger's own session (servers of the
# same names; query= tables with columns= so that nothing runs there).
register="SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW') IS NULL, pontoon_connect('my', '$MY_URI_NOPW') IS NULL;"
{
  echo "$register"
  echo "CREATE VIRTUAL TABLE r_pg USING pontoon(pg, str_t);"
  echo "CREATE VIRTUAL TABLE r_my USING pontoon(my, str_t);"
  echo "CREATE TABLE loc(a);"
  echo "CREATE VIEW v_pg AS SELECT * FROM r_pg;"
  echo "CREATE VIEW v_my AS SELECT count(*) FROM r_my;"
  for s in pg my; do
    echo "CREATE TRIGGER ins_$s AFTER INSERT ON loc BEGIN INSERT INTO r_$s VALUES (new.a, 'x'); END;"
    echo "CREATE TRIGGER upd_$s AFTER UPDATE ON loc BEGIN UPDATE r_$s SET v = 'hacked'; END;"
    echo "CREATE TRIGGER del_$s AFTER DELETE ON loc BEGIN DELETE FROM r_$s; END;"
    echo "CREATE TRIGGER sel_$s BEFORE INSERT ON loc BEGIN SELECT count(*) FROM r_$s; END;"
  done
  i=0
  for a in "${pg_q[@]}" "${file_only_q[@]}"; do
    i=$((i + 1))
    IFS='|' read -r _ srv sql <<<"$a"
    echo "CREATE VIRTUAL TABLE q$i USING pontoon($srv, query=$(sql_str "$sql"), columns='x int');"
  done
  echo "INSERT INTO loc VALUES (0);"
} >"$dir/make.sql"
sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$dir/stranger.db" <"$dir/make.sql" >"$dir/make.out" 2>&1
check "the stranger's file is made" [ "$(sqlite3 "$dir/stranger.db" "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%pontoon(%'")" -ge 20 ]
# the file may hold what the stranger's session could not store itself
sqlite3 -batch -init /dev/null "$dir/stranger.db" "PRAGMA writable_schema=ON" \
  "INSERT INTO sqlite_schema VALUES ('trigger', 'raw_pg', 'loc', 0, 'CREATE TRIGGER raw_pg AFTER INSERT ON loc BEGIN DELETE FROM r_pg; INSERT INTO r_my VALUES (99, ''x''); END')" 2>&1

results=()
refused=0
attempts=0
first_error() { grep -m1 -iE 'error|refused|unsafe' <<<"$1" | sed -E 's/^(Parse|Runtime) error near line [0-9]+: //; s/^Error: (stepping, )?//' | cut -c1-150; }
# try NAME SQL: one statement in a fresh session with the file as its main
# database (trusted_schema on, the friendliest to the file); refused means
# an error and no row
try() {
  local name=$1 sql=$2 o
  for ts in 1 0; do
    cp "$dir/stranger.db" "$dir/x.db"
    o=$(sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$dir/x.db" 2>&1 <<SQL
PRAGMA trusted_schema=$ts;
$register
$sql
SQL
)
    o=$(tail -n +2 <<<"$o")
    attempts=$((attempts + 1))
    if grep -qiE 'error' <<<"$o" && ! grep -qvE 'error|^$' <<<"$o"; then
      refused=$((refused + 1))
      [ "$ts" = 1 ] && results+=("$name | $(first_error "$o")")
    else
      results+=("$name (trusted_schema=$ts) | GOT THROUGH: $(tr '\n' ' ' <<<"$o")")
    fi
  done
}
try "file: view over a PostgreSQL table" "SELECT * FROM v_pg;"
try "file: view over a MariaDB table" "SELECT * FROM v_my;"
try "file: triggers on INSERT (write, read, raw)" "INSERT INTO loc VALUES (7);"
try "file: trigger on UPDATE" "UPDATE loc SET a = 8;"
try "file: trigger on DELETE" "DELETE FROM loc;"
i=0
for a in "${pg_q[@]}" "${file_only_q[@]}"; do
  i=$((i + 1))
  IFS='|' read -r name srv _ <<<"$a"
  try "file: query= $srv $name" "SELECT * FROM q$i;"
done
try "file: pontoon_count of a file's query=" "SELECT pontoon_count('q3');"

# The same SQL in query= tables this session creates: the remote
# transaction is read-only, and pontoon refuses what it would not stop.
# (CREATE may succeed: describing a query runs nothing on PostgreSQL.)
for a in "${pg_q[@]}"; do
  IFS='|' read -r name srv sql <<<"$a"
  o=$(shell 2>&1 <<SQL
$register
CREATE VIRTUAL TABLE temp.q USING pontoon($srv, query=$(sql_str "$sql"));
SELECT * FROM q;
CREATE VIRTUAL TABLE temp.qc USING pontoon($srv, query=$(sql_str "$sql"), columns='x int');
SELECT * FROM qc;
SELECT pontoon_count('qc');
SQL
)
  o=$(tail -n +2 <<<"$o")
  attempts=$((attempts + 1))
  if [ "$(grep -ciE 'error' <<<"$o")" -ge 3 ] && ! grep -qvE 'error|^$' <<<"$o"; then
    refused=$((refused + 1))
    results+=("session: query= $srv $name | $(first_error "$o")")
  else
    results+=("session: query= $srv $name | GOT THROUGH: $(tr '\n' ' ' <<<"$o")")
  fi
done
# pontoon_count's where is remote SQL as well
for w in "1 INTO OUTFILE 'OUT/f5'" "1; DELETE FROM str_t" "id IN (SELECT str_f())"; do
  o=$(shell 2>&1 <<SQL
$register
CREATE VIRTUAL TABLE temp.r USING pontoon(my, str_t);
SELECT pontoon_count('r', $(sql_str "$w"));
SQL
)
  o=$(tail -n +2 <<<"$o")
  attempts=$((attempts + 1))
  if grep -qiE 'error' <<<"$o" && ! grep -qvE 'error|^$' <<<"$o"; then
    refused=$((refused + 1))
    results+=("session: pontoon_count where $w | $(first_error "$o")")
  else
    results+=("session: pontoon_count where $w | GOT THROUGH: $o")
  fi
done

echo
echo "attempt | result"
printf '%s\n' "${results[@]}"
echo
check "every attempt is refused ($refused of $attempts)" [ "$refused" -eq "$attempts" ]
after=$(state)
echo "after:  $(tr '\n' ' ' <<<"$after")"
check "nothing changed on the servers (rows, sequences, the victim backend, advisory locks, tables, files)" \
  [ "$after" = "$before" ]
check "the victim backend is alive" kill -0 "$victim"
check "no message shows a password" bash -c '! grep -qF -e "$1" -e "$2" <<<"$3"' _ \
  "$PONTOON_PG_PASSWORD" "$PONTOON_MY_PASSWORD" "${results[*]}"

# what the user types still works, against the same file
o=$(sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$dir/stranger.db" 2>&1 <<SQL
$register
SELECT 'pg', count(*) FROM r_pg;
SELECT 'my', count(*) FROM r_my;
CREATE VIRTUAL TABLE temp.ok USING pontoon(my, query='SELECT id, '');)'' AS s, (id) AS p FROM str_t /* ; ) */ WHERE id = 2');
SELECT 'query', * FROM ok;
SQL
)
echo "$o"
check "reads typed by the user work" [ "$(grep -cE '^(pg|my)\|3$' <<<"$o")" = 2 ]
check "a query= with ';' and ')' inside strings and comments works" grep -qx 'query|2|);)|2' <<<"$o"

pg_sql -c "DROP TABLE IF EXISTS str_t, str_new; DROP SEQUENCE str_seq; DROP FUNCTION str_bad()" >/dev/null
my_sql -e "DROP TABLE str_t; DROP SEQUENCE str_seq; DROP FUNCTION str_f; DROP FUNCTION str_fseq"
finish
