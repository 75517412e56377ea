#!/usr/bin/env bash
# issue 10 item 5: lost updates, on MySQL (native) and PostgreSQL (native;
# both through ODBC are in odbc_defects.sh).  Two sqlite3 shells each run N
# autocommit `UPDATE t SET i = i + 1 ...` on the same remote rows at the same
# time.  SQLite computes i + 1 from the row pontoon read, so a read that
# neither saw the other shell's committed increment nor locked the row lost
# it silently (~40% of them before the fix).  Every increment must be
# either stored or reported: the final value equals the number of UPDATEs
# that succeeded, and those that failed said so (lock wait, deadlock).
# Needs the bridge to lock what a write transaction reads (xLockRows, MySQL
# " FOR UPDATE").
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
N=${PONTOON_CONCURRENCY_N:-150}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

my_sql -e "DROP TABLE IF EXISTS conc_one, conc_all;
  CREATE TABLE conc_one (id int PRIMARY KEY, i int NOT NULL) ENGINE=InnoDB;
  INSERT INTO conc_one VALUES (1, 0), (2, 0);
  CREATE TABLE conc_all (id int PRIMARY KEY, i int NOT NULL) ENGINE=InnoDB;
  INSERT INTO conc_all VALUES (1, 0), (2, 0), (3, 0);"

pg_sql -c "DROP TABLE IF EXISTS public.conc_one; CREATE TABLE public.conc_one (id int PRIMARY KEY, i int NOT NULL);
  INSERT INTO public.conc_one VALUES (1, 0), (2, 0);" >/dev/null

# race TABLE WHERE [URI]: two shells, N statements each; prints the number
# of statements that succeeded in both
race() {
  local table=$1 where=$2 uri=${3:-$MY_URI_NOPW} k
  for k in 1 2; do
    {
      echo "SELECT pontoon_connect('s', '$uri');"
      echo "CREATE VIRTUAL TABLE t USING pontoon(s, $table);"
      for ((j = 0; j < N; j++)); do echo "UPDATE t SET i = i + 1$where;"; done
    } >"$tmp/s$k.sql"
  done
  shell <"$tmp/s1.sql" >"$tmp/o1" 2>"$tmp/e1" &
  local p1=$!
  shell <"$tmp/s2.sql" >"$tmp/o2" 2>"$tmp/e2" &
  local p2=$!
  wait "$p1" "$p2"
  local failed
  failed=$(cat "$tmp/e1" "$tmp/e2" | grep -c "^Runtime error" || true)
  echo "$table: $((2 * N - failed)) of $((2 * N)) UPDATEs succeeded; errors:" >&2
  cat "$tmp/e1" "$tmp/e2" | sed 's/near line [0-9]*/near line N/' | sort | uniq -c >&2
  echo $((2 * N - failed))
}

ok_one=$(race conc_one " WHERE id = 1")
got=$(my_sql -e "SELECT i FROM conc_one WHERE id = 1")
echo "conc_one: i = $got"
check "one row: i ($got) equals the UPDATEs that succeeded ($ok_one)" [ "$got" = "$ok_one" ]
check "one row: most UPDATEs succeeded ($ok_one of $((2 * N)))" [ "$ok_one" -ge "$N" ]
check "one row: the other row is untouched" [ "$(my_sql -e "SELECT i FROM conc_one WHERE id = 2")" = 0 ]

ok_all=$(race conc_all "")
got=$(my_sql -e "SELECT group_concat(i ORDER BY id) FROM conc_all")
echo "conc_all: i = $got"
check "whole table: every row's i ($got) equals the UPDATEs that succeeded ($ok_all)" \
  [ "$got" = "$ok_all,$ok_all,$ok_all" ]
check "whole table: some UPDATEs succeeded ($ok_all of $((2 * N)))" [ "$ok_all" -ge 1 ]

# PostgreSQL: REPEATABLE READ refuses the second writer of a row (a
# serialization error), so increments fail but are never lost
ok_pg=$(race public.conc_one " WHERE id = 1" "$PONTOON_PG_URI_NOPW")
got=$(pg_sql -c "SELECT i FROM public.conc_one WHERE id = 1")
echo "PostgreSQL conc_one: i = $got"
check "PostgreSQL: i ($got) equals the UPDATEs that succeeded ($ok_pg)" [ "$got" = "$ok_pg" ]
check "PostgreSQL: some UPDATEs succeeded ($ok_pg of $((2 * N)))" [ "$ok_pg" -ge 1 ]
finish
