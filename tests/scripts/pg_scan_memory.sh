#!/usr/bin/env bash
# Reading streams with bounded memory: the sqlite3 process that scans a
# 2,000,000-row table, touching every column, peaks under 64 MiB.  Also
# prints the scan rate against `psql \copy ... to /dev/null` on the same
# table (information, not a pass/fail: bench/ measures speed).
source "$(dirname "$0")/lib.bash" "$@"
rows=${PONTOON_SCAN_ROWS:-2000000}
pg_sql -c "DROP TABLE IF EXISTS public.scan_big;
  CREATE TABLE public.scan_big AS
  SELECT g AS id, 'user' || g || '@example.com' AS email, md5(g::text) AS name,
         timestamptz '2024-01-01' + g * interval '1 second' AS created,
         (g % 10000) / 100.0 AS amount, g % 2 = 0 AS active
  FROM generate_series(1, $rows) g;
  ALTER TABLE public.scan_big ADD PRIMARY KEY (id); ANALYZE public.scan_big;"

sqlf=$(mktemp); outf=$(mktemp)
cat >"$sqlf" <<SQL
.load $BUILD/pontoon
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE big USING pontoon(pg, public.scan_big);
SELECT count(*), sum(length(email)), sum(length(name)), count(created), sum(amount), sum(active) FROM big;
SQL
read -r secs rss < <(measure "$outf" sqlite3 -batch -init /dev/null :memory: ".read $sqlf")
cat "$outf"
check "the scan read every row" grep -q "^$rows|" "$outf"
echo "peak RSS of the sqlite3 process: $((rss / 1024)) MiB"
check_rss "" "$rss"
read -r psecs _ < <(measure /dev/null env -u LD_PRELOAD psql -X -q "$PONTOON_PG_URI_NOPW" -c "\\copy (select * from public.scan_big) to /dev/null")
/usr/bin/python3 -c "import sys; print('scan: pontoon %.2fs, psql \\\\copy %.2fs, ratio %.2f' % (float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[2]) / float(sys.argv[1])))" "$secs" "$psecs"
pg_sql -c "DROP TABLE public.scan_big"
rm -f "$sqlf" "$outf"
finish
