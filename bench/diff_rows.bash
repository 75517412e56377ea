# bench/diff_rows.bash — the pontoon_diff rows of bench/run.sh
# (PONTOON_BENCH_ONLY=diff), sourced by run.sh, which provides the servers,
# the data, timed, run_row, shell_sql, psql_, add, line and the URIs.
#
# The old database's bench_users is copied into the new one as
# dif.bench_users (and MariaDB's bench_users as dif.my_users), untimed, and
# ten rows are changed there: six updates (email, name, balance by 0.01,
# active, created_at by a microsecond, bio), two deletes, two inserts.
# Rows, each finding exactly those ten:
#   pdiff     pontoon_diff(old.bench_users, dif.bench_users)
#   pexcept   pontoon: SELECT * FROM o EXCEPT SELECT * FROM d, both ways (a full pull)
#   fdwjoin   postgres_fdw FULL JOIN in the new database, fetch_size 10000 (a full pull)
#   mydiff    pontoon_diff(my.bench_users, dif.my_users)
#   myexcept  pontoon EXCEPT both ways, MariaDB against PostgreSQL
#   psum      pontoon_checksum of old.bench_users: the server's hashing alone
# Each pontoon row also reports the bytes the servers sent to the sqlite3
# process (net_bytes: one more run through counting proxies).

diff_plant() { # diff_plant TABLE: the ten changes
  psql_ "$new_direct" -c "
    UPDATE $1 SET email = 'changed@example.com' WHERE id = 11;
    UPDATE $1 SET name = coalesce(name, '') || 'x' WHERE id = 2222;
    UPDATE $1 SET balance = balance + 0.01 WHERE id = 33333;
    UPDATE $1 SET active = NOT active WHERE id = 44444;
    UPDATE $1 SET created_at = created_at + interval '1 microsecond' WHERE id = $((users / 2));
    UPDATE $1 SET bio = 'new bio' WHERE id = $((users - 7));
    DELETE FROM $1 WHERE id IN (5, $((users - 1)));
    INSERT INTO $1 SELECT id + $users + 10, email, name, bio, country, balance, created_at, active
      FROM $1 WHERE id IN (100, 200);"
}

diff_setup() {
  echo "== diff: dif.bench_users in the new database, ten rows changed"
  psql_ "$new_direct" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS dif CASCADE; CREATE SCHEMA dif;
    CREATE TABLE dif.bench_users (LIKE fdw.bench_users);
    ALTER TABLE dif.bench_users ADD PRIMARY KEY (id);
    INSERT INTO dif.bench_users SELECT * FROM fdw.bench_users" -c "VACUUM ANALYZE dif.bench_users"
  diff_plant dif.bench_users
  psql_ "$new_direct" -c "CREATE TABLE dif.my_users (LIKE dif.bench_users INCLUDING ALL)"
  shell_sql "$tmp/dcopy.sql" <<'SQL'
CREATE VIRTUAL TABLE mu USING pontoon(my, bench_users);
CREATE VIRTUAL TABLE dm USING pontoon(new, dif.my_users);
.output /dev/null
SELECT * FROM pontoon_copy('mu', 'dm', 'workers=2 job=bench-diff-' || hex(randomblob(6)));
SQL
  sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/dcopy.sql"
  psql_ "$new_direct" -c "VACUUM ANALYZE dif.my_users"
  diff_plant dif.my_users
  shell_sql "$tmp/pdiff.sql" <<SQL
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE d USING pontoon(new, dif.bench_users);
SELECT count(*) FROM pontoon_diff('o', 'd');
SQL
  shell_sql "$tmp/pexcept.sql" <<SQL
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE d USING pontoon(new, dif.bench_users);
SELECT (SELECT count(*) FROM (SELECT * FROM o EXCEPT SELECT * FROM d)) + (SELECT count(*) FROM (SELECT * FROM d EXCEPT SELECT * FROM o));
SQL
  shell_sql "$tmp/mydiff.sql" <<SQL
CREATE VIRTUAL TABLE mu USING pontoon(my, bench_users);
CREATE VIRTUAL TABLE dm USING pontoon(new, dif.my_users);
SELECT count(*) FROM pontoon_diff('mu', 'dm');
SQL
  shell_sql "$tmp/myexcept.sql" <<SQL
CREATE VIRTUAL TABLE mu USING pontoon(my, bench_users);
CREATE VIRTUAL TABLE dm USING pontoon(new, dif.my_users);
SELECT (SELECT count(*) FROM (SELECT * FROM mu EXCEPT SELECT * FROM dm)) + (SELECT count(*) FROM (SELECT * FROM dm EXCEPT SELECT * FROM mu));
SQL
  shell_sql "$tmp/psum.sql" <<'SQL'
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
SELECT pontoon_checksum('o');
SQL
}

declare -A DIFF_FOUND DIFF_BYTES
# diff_run KEY SCRIPT: a pontoon row; what it found and the bytes it read
diff_run() {
  run_row "$1" sqlite3 -batch -bail -init /dev/null :memory: ".read $2"
  DIFF_FOUND[$1]=$(sed -n 1p "$tmp/out")
  [ -n "${DIFF_BYTES[$1]:-}" ] || DIFF_BYTES[$1]=$(net_bytes "$2")
}

diff_round() {
  diff_run pdiff "$tmp/pdiff.sql"
  diff_run pexcept "$tmp/pexcept.sql"
  run_row fdwjoin psql -X -q -t -A "$new" -c "SELECT count(*) FROM fdw.bench_users a FULL JOIN dif.bench_users b ON a.id = b.id WHERE ROW(a.*) IS DISTINCT FROM ROW(b.*)"
  DIFF_FOUND[fdwjoin]=$(sed -n 1p "$tmp/out")
  run_row psum sqlite3 -batch -bail -init /dev/null :memory: ".read $tmp/psum.sql"
  diff_run mydiff "$tmp/mydiff.sql"
  diff_run myexcept "$tmp/myexcept.sql"
}

# the fastest full pull of each pairing is the reference
diff_lines() {
  local ref=pexcept a b
  a=$(m pexcept); b=$(m fdwjoin)
  if [ -n "$a" ] && [ -n "$b" ] && python3 -c "import sys; sys.exit(0 if float('$b') < float('$a') else 1)"; then ref=fdwjoin; fi
  line "diff users, 10 rows changed: pontoon_diff" pdiff "the fastest full pull ($ref)" "$ref" "${RSS[pdiff]:-0}"
  line "diff users: pontoon EXCEPT both ways (a full pull)" pexcept "postgres_fdw FULL JOIN, fetch_size 10000" fdwjoin "${RSS[pexcept]:-0}"
  line "diff users: pontoon_diff" pdiff "pontoon_checksum of one side (the server hashing alone)" psum "${RSS[pdiff]:-0}"
  line "MySQL -> PostgreSQL diff, 10 rows changed: pontoon_diff" mydiff "pontoon EXCEPT both ways (a full pull)" myexcept "${RSS[mydiff]:-0}"
}

diff_notes() {
  echo "differences found: pontoon_diff ${DIFF_FOUND[pdiff]:-?}, EXCEPT ${DIFF_FOUND[pexcept]:-?}, postgres_fdw ${DIFF_FOUND[fdwjoin]:-?}; MySQL -> PostgreSQL: pontoon_diff ${DIFF_FOUND[mydiff]:-?}, EXCEPT ${DIFF_FOUND[myexcept]:-?} (of 10 changed rows: 6 updates, 2 deletes, 2 inserts)"
  local p=${DIFF_BYTES[pdiff]:-0} e=${DIFF_BYTES[pexcept]:-0}
  if [ "$e" != 0 ]; then
    echo "bytes the servers sent to the sqlite3 process (a counting proxy, one more run): pontoon_diff $p, EXCEPT $e ($(python3 -c "print('%.3f%%' % (100.0 * $p / $e))") of the full pull)"
  fi
  local mp=${DIFF_BYTES[mydiff]:-0} me=${DIFF_BYTES[myexcept]:-0}
  if [ "$me" != 0 ]; then
    echo "bytes sent, MySQL -> PostgreSQL: pontoon_diff $mp, EXCEPT $me ($(python3 -c "print('%.3f%%' % (100.0 * $mp / $me))"))"
  fi
}
