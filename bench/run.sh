#!/usr/bin/env bash
# Measurements, side by side in one run on the same data (ratios, not
# absolute times: this is a shared machine).  Installs, builds, starts
# throwaway servers.  Not part of the test suite.
#   bash bench/run.sh            1,000,000 rows
#   PONTOON_BENCH_ROWS=N bash bench/run.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PONTOON_HARNESS_DIR:-}" ]; then
  build=$("$top/tests/setup.sh" | tail -n 1)
  exec "$top/tests/harness.sh" run -- env PONTOON_BUILD="$build" bash "$0" "$@"
fi
build=${PONTOON_BUILD:-$top/build}
rows=${PONTOON_BENCH_ROWS:-1000000}
rounds=${PONTOON_BENCH_ROUNDS:-3}
export PGPASSFILE=$PONTOON_PG_PASSFILE
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$PONTOON_PG_URI_NOPW" "$@"; }
echo "== data: $rows rows in public.bench_users"
psql_ -c "SET client_min_messages = warning; DROP TABLE IF EXISTS public.bench_users;
  CREATE TABLE public.bench_users AS
  SELECT g AS id, 'user' || g || '@example.com' AS email, md5(g::text) AS name,
         timestamptz '2024-01-01' + g * interval '1 second' AS created,
         (g % 10000) / 100.0 AS amount, g % 2 = 0 AS active
  FROM generate_series(1, $rows) g;
  ALTER TABLE public.bench_users ADD PRIMARY KEY (id);"
psql_ -c "VACUUM ANALYZE public.bench_users"

# run_timed OUT CMD...: prints "seconds peak_rss_kib" of CMD
run_timed() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT, check=True)
print("%.3f %d" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

scan_sql=$(mktemp)
cat >"$scan_sql" <<SQL
.load $build/pontoon
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(pg, public.bench_users);
SELECT count(*), sum(length(email)), sum(length(name)), count(created), sum(amount), sum(active) FROM t;
SQL
p_times=(); l_times=(); rss_max=0
for _ in $(seq "$rounds"); do
  read -r s r < <(run_timed /dev/null sqlite3 -batch -init /dev/null :memory: ".read $scan_sql")
  p_times+=("$s"); [ "$r" -gt "$rss_max" ] && rss_max=$r
  read -r s _ < <(run_timed /dev/null psql -X -q "$PONTOON_PG_URI_NOPW" -c "\\copy (select * from public.bench_users) to /dev/null")
  l_times+=("$s")
done
p=$(printf '%s\n' "${p_times[@]}" | median)
l=$(printf '%s\n' "${l_times[@]}" | median)
echo
echo "== scan of $rows rows touching every column (median of $rounds)"
printf '%-44s %9s %9s\n' "run" "seconds" "ratio"
printf '%-44s %9s %9s\n' "psql \\copy (select ...) to /dev/null (limit)" "$l" "1.00"
printf '%-44s %9s %9.2f\n' "pontoon: SELECT sum(...) FROM t" "$p" "$(python3 -c "print($l / $p)")"
echo "peak RSS of the pontoon runs: $((rss_max / 1024)) MiB"
echo
echo "== copy of $rows rows PostgreSQL -> PostgreSQL (median of $rounds)"
psql -X -q -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2_NOPW" -c "SET client_min_messages = warning;
  DROP TABLE IF EXISTS public.bench_users;
  CREATE TABLE public.bench_users (id int PRIMARY KEY, email text, name text,
    created timestamptz, amount numeric, active bool)"
copy_sql=$(mktemp)
cat >"$copy_sql" <<SQL
.load $build/pontoon
SELECT pontoon_connect('old', '$PONTOON_PG_URI_NOPW');
SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW');
CREATE VIRTUAL TABLE o USING pontoon(old, public.bench_users);
CREATE VIRTUAL TABLE n USING pontoon(new, public.bench_users);
INSERT INTO n SELECT * FROM o;
SQL
truncate_new() { psql -X -q "$PONTOON_PG_URI2_NOPW" -c "TRUNCATE public.bench_users"; }
c_times=(); pipe_times=(); crss=0
for _ in $(seq "$rounds"); do
  truncate_new
  read -r s r < <(run_timed /dev/null sqlite3 -batch -bail -init /dev/null :memory: ".read $copy_sql")
  c_times+=("$s"); [ "$r" -gt "$crss" ] && crss=$r
  truncate_new
  read -r s _ < <(run_timed /dev/null bash -c "psql -X -q '$PONTOON_PG_URI_NOPW' -c 'COPY public.bench_users TO STDOUT' | psql -X -q '$PONTOON_PG_URI2_NOPW' -c 'COPY public.bench_users FROM STDIN'")
  pipe_times+=("$s")
done
n_copied=$(psql -X -q -t -A "$PONTOON_PG_URI2_NOPW" -c "SELECT count(*) FROM public.bench_users")
c=$(printf '%s\n' "${c_times[@]}" | median)
pp=$(printf '%s\n' "${pipe_times[@]}" | median)
printf '%-44s %9s %9s\n' "run" "seconds" "ratio"
printf '%-44s %9s %9s\n' "psql COPY TO | psql COPY FROM (limit)" "$pp" "1.00"
printf '%-44s %9s %9.2f\n' "pontoon: INSERT INTO new.t SELECT * FROM old.t" "$c" "$(python3 -c "print($pp / $c)")"
echo "rows in the target after the last run: $n_copied; peak RSS of the pontoon runs: $((crss / 1024)) MiB"
rm -f "$copy_sql"

echo
echo "== libpq read protocols on the same table (bench/pg_read_modes.c)"
"$build/pg_read_modes" "$PONTOON_PG_URI_NOPW" public.bench_users "$rounds"
rm -f "$scan_sql"
