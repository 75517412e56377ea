#!/usr/bin/env bash
# sql/cutover.sql, the cut-over runbook (issue 15 items 5 and 6), runs from
# its start to its end on the old shop (sql/demo_old_shop.my.sql): capture,
# stage copies with writes between them, syncs, freeze, the final sync, an
# empty diff, sequences, the switch, and the way back; then the servers' own
# queries find the two orders tables equal.
source "$(dirname "$0")/lib.bash" "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
export MYSQL_PWD=$PONTOON_MY_PASSWORD
pg2() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2" "$@"; }
my_sql -e "DROP TABLE IF EXISTS pontoon_changes, pontoon_captures"
my_sql <"$top/sql/demo_old_shop.my.sql"
out=$(sqlite3 -batch -bail -init /dev/null -cmd ".load $BUILD/pontoon" -cmd ".output /dev/null" \
  -cmd "SELECT pontoon_connect('old', '$MY_URI_NOPW')" \
  -cmd "SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW')" -cmd ".output stdout" \
  :memory: <"$top/sql/cutover.sql" 2>&1)
echo "$out" >"$BUILD/tests/out/sync_cutover.log"; echo "$out" | tail -12
check "the runbook runs to its end" grep -q "cut-over done" <<<"$out"
check "the diffs after the final sync are empty" \
  [ "$(echo "$out" | grep -A2 -E '^(users|orders)_differ *$' | grep -cE '^0 *$')" = 2 ]
check "both jobs switched" [ "$(echo "$out" | grep -cE '\bswitched\b')" = 2 ]
check "the way back: the diff is empty" \
  [ "$(echo "$out" | grep -A2 'orders_differ_after_the_way_back' | tail -1 | tr -d ' ')" = 0 ]
got=$(pg2 -c "SELECT count(*), md5(string_agg(id || '|' || user_id || '|' || total || '|' || status || '|' || coalesce(note, '~'), ',' ORDER BY id)) FROM public.orders")
want=$(my_sql -e "SET SESSION group_concat_max_len = 1073741824; SELECT count(*), md5(group_concat(concat(id, '|', user_id, '|', total, '|', status, '|', coalesce(note, '~')) ORDER BY id SEPARATOR ',')) FROM orders" | tr '\t' '|')
check "old and new orders equal by the servers' own md5 ($got / $want)" [ "$got" = "$want" ]
left=$(my_sql -e "SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = database()")
check "no trigger left on the old side ($left)" [ "$left" = 0 ]
finish
