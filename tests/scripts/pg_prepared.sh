#!/usr/bin/env bash
# issue 11 item 10: repeated remote statements are prepared once per
# connection.  1,000 lookups by key send their text once (PREPARE), then run
# by name; UPDATE by key in pipeline mode likewise.  What takes prepared
# statements away (DISCARD ALL, DEALLOCATE ALL through pontoon_exec, inside
# a transaction too) and ALTER TABLE (a column added, dropped, or changing
# type: "cached plan must not change result type") never fail a statement;
# the cache stays bounded (64).  Read from the PONTOON_TRACE log and from
# pg_prepared_statements of the same session (pontoon_exec returns the
# number of rows a SELECT gave).
source "$(dirname "$0")/lib.bash" "$@"
none() { ! grep -qi "$1" <<<"$2"; }   # none PATTERN TEXT
pg_sql -c "SET client_min_messages = warning; DROP TABLE IF EXISTS public.prep_t; CREATE TABLE public.prep_t (id int PRIMARY KEY, v text, w int);
  INSERT INTO public.prep_t SELECT g, 'v' || g, g FROM generate_series(1, 2000) g" >/dev/null
pg_sql -c "SET client_min_messages = warning" -c "DO \$\$ BEGIN FOR i IN 1..70 LOOP
  EXECUTE format('DROP TABLE IF EXISTS public.prep_b%s; CREATE TABLE public.prep_b%s (id int PRIMARY KEY, v int); INSERT INTO public.prep_b%s VALUES (1, %s)', i, i, i, i);
  END LOOP; END \$\$" >/dev/null

connect="SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');"
keys="CREATE TEMP TABLE k(id INTEGER); WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000) INSERT INTO k SELECT i FROM g;"
lookup="SELECT count(*), sum(length(t.v)), sum(t.w) FROM k CROSS JOIN t ON t.id = k.id;"
ours="SELECT pontoon_exec('pg', 'SELECT name FROM pg_prepared_statements WHERE name LIKE ''pt\\_s%''');"
run() { PONTOON_TRACE=1 shell "$connect" "CREATE VIRTUAL TABLE t USING pontoon(pg, public.prep_t);" "$keys" "$@" 2>&1; }

# 1,000 lookups: the text once, then by name
out=$(run "$lookup" "$ours")
echo "$out" | grep -v "^pontoon: pg: EXECUTE\|^server\|^xBestIndex\|^plan" | tail -n 8
check "1,000 lookups give the right answer" grep -qx "1000|3893|500500" <<<"$out"
check "the lookup's text is sent once (PREPARE)" [ "$(grep -c "^pontoon: pg: PREPARE pt_s[0-9]* AS SELECT .*prep_t" <<<"$out")" = 1 ]
check "no lookup sends its text unprepared" [ "$(grep -c "^pontoon: pg: SELECT .*prep_t" <<<"$out")" = 0 ]
check "the lookups run by name" [ "$(grep -c "^pontoon: pg: EXECUTE pt_s" <<<"$out")" -ge 1000 ]
check "the server holds the statement in this session" grep -qx "1" <<<"$out"

# DISCARD ALL and DEALLOCATE ALL between lookups
out=$(run "$lookup" "SELECT pontoon_exec('pg', 'DISCARD ALL');" "$ours" "$lookup" \
  "SELECT pontoon_exec('pg', 'deallocate all');" "$lookup" "$ours")
check "DISCARD ALL between lookups: right answers" [ "$(grep -cx "1000|3893|500500" <<<"$out")" = 3 ]
check "DISCARD ALL removed them" grep -qx "0" <<<"$out"
check "DISCARD ALL: the statement is prepared again" [ "$(grep -c "^pontoon: pg: PREPARE pt_s[0-9]* AS SELECT .*prep_t" <<<"$out")" = 3 ]
check "no error" none "error\|does not exist" "$out"

# a column added, dropped, changing type, between lookups (by this session
# and by another one)
pg_sql -c "SET client_min_messages = warning" -c "ALTER TABLE public.prep_t DROP COLUMN IF EXISTS extra" >/dev/null
out=$(run "$lookup" \
  "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t ADD COLUMN extra text');" "$lookup" \
  "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t DROP COLUMN extra');" "$lookup" \
  "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t ALTER COLUMN w TYPE bigint');" "$lookup" \
  "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t ALTER COLUMN w TYPE int');" "$lookup" \
  "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t ALTER COLUMN v TYPE varchar(20)');" "$lookup")
check "ALTER TABLE between lookups: right answers" [ "$(grep -cx "1000|3893|500500" <<<"$out")" = 6 ]
check "ALTER TABLE between lookups: no error" none "error\|cached plan" "$out"
pg_sql -c "ALTER TABLE public.prep_t ALTER COLUMN v TYPE text" >/dev/null

# a lookup whose statement the server refuses gets the server's error, and
# works again once the column is back
out=$(run "$lookup" "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t RENAME COLUMN v TO v2');" "$lookup")
check "a column renamed away: the server's error" grep -q 'column "v" does not exist' <<<"$out"
pg_sql -c "ALTER TABLE public.prep_t RENAME COLUMN v2 TO v" >/dev/null
out=$(run "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t RENAME COLUMN v TO v2');" "$lookup")
check "a column renamed away before the first lookup: the server's error" grep -q 'column "v" does not exist' <<<"$out"
check "tried once" [ "$(grep -c "^pontoon: pg: PREPARE" <<<"$out")" = 1 ]
pg_sql -c "ALTER TABLE public.prep_t RENAME COLUMN v2 TO v" >/dev/null
out=$(run "$lookup" "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t RENAME COLUMN v TO v2');" \
  "SELECT pontoon_exec('pg', 'ALTER TABLE public.prep_t RENAME COLUMN v2 TO v');" "$lookup")
check "renamed away and back: right answers" [ "$(grep -cx "1000|3893|500500" <<<"$out")" = 2 ]

# the same with another session altering the table
out=$(run "$lookup" ".shell env -u LD_PRELOAD psql -X -q '$PONTOON_PG_URI_NOPW' -c 'ALTER TABLE public.prep_t ALTER COLUMN w TYPE bigint'" \
  "$lookup" ".shell env -u LD_PRELOAD psql -X -q '$PONTOON_PG_URI_NOPW' -c 'ALTER TABLE public.prep_t ALTER COLUMN w TYPE int'" "$lookup")
check "ALTER TABLE by another session: right answers" [ "$(grep -cx "1000|3893|500500" <<<"$out")" = 3 ]
check "ALTER TABLE by another session: no error" none "error\|cached plan" "$out"

# UPDATE by key in pipeline mode: prepared once too; DEALLOCATE ALL in the
# middle of the transaction does not fail it
out=$(run "BEGIN;" "UPDATE t SET w = w + 1 WHERE id <= 300;" \
  "SELECT pontoon_exec('pg', 'DEALLOCATE ALL');" "UPDATE t SET w = w + 1 WHERE id <= 300;" "COMMIT;" \
  "$lookup")
check "UPDATE by key: the text is sent once per preparation" [ "$(grep -c "^pontoon: pg (queued): PREPARE pt_s[0-9]* AS UPDATE" <<<"$out")" = 2 ]
check "UPDATE by key: run by name" [ "$(grep -c "^pontoon: pg (queued): EXECUTE pt_s" <<<"$out")" = 600 ]
check "UPDATE by key: no error" none "error" "$out"
check "UPDATE by key, DEALLOCATE ALL in between: every row updated twice" \
  [ "$(pg_sql -c "SELECT sum(w) FROM public.prep_t WHERE id <= 300")" = "$((45150 + 600))" ]
check "the lookups see it" grep -qx "1000|3893|501100" <<<"$out"
pg_sql -c "UPDATE public.prep_t SET w = id" >/dev/null

# the cache is bounded: 70 distinct statements, at most 64 on the server
sqls=("$connect")
q="SELECT 0"
for i in $(seq 70); do
  sqls+=("CREATE VIRTUAL TABLE b$i USING pontoon(pg, public.prep_b$i);")
  q="$q + (SELECT v FROM b$i WHERE id = 1)"
done
sqls+=("$q;" "$ours" "$q;" "$ours")
out=$(shell "${sqls[@]}" 2>&1)
echo "$out"
check "70 distinct lookups: right answers" [ "$(grep -cx "2485" <<<"$out")" = 2 ]
n=$(grep -vx "2485\|postgresql" <<<"$out" | head -1)
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
check "70 distinct lookups: at most 64 prepared on the server ($n)" between "${n:-99}" 60 64
finish
