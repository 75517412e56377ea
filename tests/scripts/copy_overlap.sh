#!/usr/bin/env bash
# pontoon_copy's overlapping transactions (issue 12, performance): on a
# PostgreSQL target a worker holds two target connections and alternates
# between them, one claim ending (rows drained, ledger row, COMMIT) while
# the next is copied.  Exactly once still: 60,000 rows in 30 transactions
# into a target without a primary key end as the source's rows (count,
# distinct keys, md5 of every value); the rows_done each output row reports
# grows by that chunk's rows (the claim still ending is counted once);
# the worker used one source and two target connections
# (PONTOON_COPY_NO_OVERLAP=1: one).  A chunk the target refuses while the
# next claim is being copied on the other connection: the job stops failed
# at that chunk, the claim after it is rolled back (its chunks stay to do,
# none of its rows kept), the earlier ones stay; fixed, run again, exactly
# the source's rows.
source "$(dirname "$0")/lib.bash" "$@"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pg2() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2" "$@"; }

pg_sql -c "DROP TABLE IF EXISTS public.ov_src;
  CREATE TABLE public.ov_src (id int PRIMARY KEY, email text, n numeric(10,2));
  INSERT INTO public.ov_src SELECT g, 'user' || g || '@example.com', g / 7.0 FROM generate_series(1, 60000) g;" >/dev/null
pg2 -c "SET client_min_messages = warning;
  DROP TABLE IF EXISTS public.ov_dst, public.ov_dst2, public.ov_picky;
  CREATE TABLE public.ov_dst (id int, email text, n numeric(10,2));
  CREATE TABLE public.ov_dst2 (id int, email text, n numeric(10,2));
  CREATE TABLE public.ov_picky (id int CHECK (id <> 31000), email text, n numeric(10,2));
  CREATE SCHEMA IF NOT EXISTS pontoon;
  DO \$\$ BEGIN IF to_regclass('pontoon.job') IS NOT NULL THEN
    DELETE FROM pontoon.chunk WHERE job LIKE 'ov-%'; DELETE FROM pontoon.job WHERE job LIKE 'ov-%'; END IF; END \$\$;" >/dev/null
src_sum=$(pg_sql -c "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || md5(string_agg(id || ',' || email || ',' || n, ';' ORDER BY id)) FROM public.ov_src")
dst_sum() { pg2 -c "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || coalesce(md5(string_agg(id || ',' || email || ',' || n, ';' ORDER BY id)), '') FROM public.$1"; }

cat >"$tmp/setup.sql" <<EOF
.output /dev/null
SELECT pontoon_connect('old', '$PONTOON_PG_URI_NOPW');
SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW');
.output stdout
CREATE VIRTUAL TABLE temp.src USING pontoon(old, 'public.ov_src');
CREATE VIRTUAL TABLE temp.dst USING pontoon(new, 'public.ov_dst');
CREATE VIRTUAL TABLE temp.dst2 USING pontoon(new, 'public.ov_dst2');
CREATE VIRTUAL TABLE temp.picky USING pontoon(new, 'public.ov_picky');
EOF

# 30 transactions of one chunk each, overlapping
{ cat "$tmp/setup.sql"
  echo "SELECT chunk, rows, rows_done FROM pontoon_copy('temp.src', 'temp.dst', 'job=ov-a chunk=2000');"
  echo "SELECT 'pooled ' || name || ' ' || (pooled + connected) FROM pontoon_servers ORDER BY name;"
} >"$tmp/a.sql"
shell <"$tmp/a.sql" >"$tmp/a.out" 2>"$tmp/a.err"
check "copy with overlapping transactions: no error ($(head -c 300 "$tmp/a.err"))" [ ! -s "$tmp/a.err" ]
check "30 chunks reported" [ "$(grep -c '^[0-9]*|2000|' "$tmp/a.out")" = 30 ]
# rows_done: each row's is the one before plus its rows
bad=$(awk -F'|' '/^[0-9]+\|[0-9]+\|[0-9]+$/ { if ($3 != prev + $2) bad++; prev = $3 } END { print bad + 0 }' "$tmp/a.out")
check "rows_done grows by each chunk's rows ($bad rows where it does not)" [ "$bad" = 0 ]
check "the last rows_done is the source's rows" [ "$(grep '^[0-9]*|2000|' "$tmp/a.out" | tail -1 | cut -d'|' -f3)" = 60000 ]
got=$(dst_sum ov_dst)
check "the target has exactly the source's rows ($got)" [ "$got" = "$src_sum" ]
check "the ledger: 30 chunks done, each once, 60000 rows" \
  [ "$(pg2 -c "SELECT count(*) || ' ' || sum(rows_copied) FROM pontoon.chunk WHERE job = 'ov-a' AND state = 'done'")" = "30 60000" ]
# (pooled + connected: a copy leases the server's own connection when idle)
check "two target connections (pontoon_servers: $(grep pooled "$tmp/a.out" | tr '\n' ' '))" grep -qx 'pooled new 2' "$tmp/a.out"
check "one source connection" grep -qx 'pooled old 1' "$tmp/a.out"

# PONTOON_COPY_NO_OVERLAP=1: one target connection, the same rows
{ cat "$tmp/setup.sql"
  echo "SELECT sum(rows) FROM pontoon_copy('temp.src', 'temp.dst2', 'job=ov-b chunk=2000');"
  echo "SELECT 'pooled ' || name || ' ' || (pooled + connected) FROM pontoon_servers ORDER BY name;"
} >"$tmp/b.sql"
PONTOON_COPY_NO_OVERLAP=1 shell <"$tmp/b.sql" >"$tmp/b.out" 2>"$tmp/b.err"
check "PONTOON_COPY_NO_OVERLAP=1: one target connection ($(grep pooled "$tmp/b.out" | tr '\n' ' '))" grep -qx 'pooled new 1' "$tmp/b.out"
got=$(dst_sum ov_dst2)
check "PONTOON_COPY_NO_OVERLAP=1: exactly the source's rows ($got)" [ "$got" = "$src_sum" ]

# a refused chunk (id 31000 is in chunk 15) while chunk 16 is copied on
# the other connection
{ cat "$tmp/setup.sql"
  echo "SELECT chunk, rows, rows_done FROM pontoon_copy('temp.src', 'temp.picky', 'job=ov-c chunk=2000');"
} >"$tmp/c.sql"
shell <"$tmp/c.sql" >"$tmp/c.out" 2>"$tmp/c.err"
check "the refused chunk is the copy's error ($(head -c 200 "$tmp/c.err"))" grep -q "ov_picky_id_check" "$tmp/c.err"
states=$(pg2 -c "SELECT string_agg(chunk || ':' || state, ' ' ORDER BY chunk) FROM pontoon.chunk WHERE job = 'ov-c' AND chunk BETWEEN 14 AND 16")
echo "chunks 14-16: $states"
check "the ledger: chunk 15 failed, 16 still to do, 14 done ($states)" [ "$states" = "14:done 15:failed 16:todo" ]
check "the target keeps chunks 0-14 only (30000 rows, none above 30000)" \
  [ "$(pg2 -c "SELECT count(*) || ' ' || max(id) FROM public.ov_picky")" = "30000 30000" ]
check "the rows done in the ledger are the target's" \
  [ "$(pg2 -c "SELECT sum(rows_copied) FROM pontoon.chunk WHERE job = 'ov-c' AND state = 'done'")" = 30000 ]
pg2 -c "ALTER TABLE public.ov_picky DROP CONSTRAINT ov_picky_id_check" >/dev/null
shell <"$tmp/c.sql" >"$tmp/c2.out" 2>"$tmp/c2.err"
check "fixed, run again: no error" [ ! -s "$tmp/c2.err" ]
got=$(dst_sum ov_picky)
check "fixed, run again: exactly the source's rows ($got)" [ "$got" = "$src_sum" ]
finish
