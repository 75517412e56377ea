#!/usr/bin/env bash
# issue 11 item 9: fetch=N reads in batches of exactly N rows (the driver
# used to grow them fourfold after the first, fetch= or not); without it the
# batches grow toward about 4 MB.  Read from the PONTOON_TRACE log.
source "$(dirname "$0")/lib.bash" "$@"
pg_sql -c "DROP TABLE IF EXISTS public.fetch_t; CREATE TABLE public.fetch_t AS SELECT g AS id FROM generate_series(1, 5000) g" >/dev/null
run() { PONTOON_TRACE=1 shell "SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');" \
  "CREATE VIRTUAL TABLE t USING pontoon(pg, public.fetch_t$1);" "SELECT count(*), sum(id) FROM t;" 2>&1; }
fixed=$(run ", fetch=100")
check "fetch=100 reads every row" grep -qx "5000|12502500" <<<"$fixed"
sizes=$(grep -o "FETCH [0-9]* FROM" <<<"$fixed" | sort | uniq -c)
echo "fetch=100: $sizes"
check "fetch=100: every batch is 100 rows" [ "$(grep -c "FETCH 100 FROM" <<<"$fixed")" -ge 50 ]
check "fetch=100: no batch of another size" [ "$(grep "FETCH [0-9]* FROM" <<<"$fixed" | grep -vc "FETCH 100 FROM")" = 0 ]
adaptive=$(run "")
echo "adaptive: $(grep -o "FETCH [0-9]* FROM" <<<"$adaptive" | sort | uniq -c)"
check "without fetch=, the batches grow after the first" grep -q "FETCH 4000 FROM" <<<"$adaptive"
finish
