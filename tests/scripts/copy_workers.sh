#!/usr/bin/env bash
# pontoon_copy with several workers and several shells on one job (issue 12
# item 4): three shells started together, each with workers=2, on one
# 1,000,000-row job (PONTOON_WORKER_ROWS) end with exactly the source's rows
# in a target without a primary key, and every chunk done once: the chunks
# the three shells report add up to the job's chunks, none twice.  While
# they run (each held to 80,000 rows/s by max_rate, so that it lasts a few
# seconds), pontoon_jobs from a fourth shell shows the job moving.
source "$(dirname "$0")/lib.bash" "$@"
N=${PONTOON_WORKER_ROWS:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pg2() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI2" "$@"; }
export PGPASSFILE=$PONTOON_PG_PASSFILE

pg_sql -c "DROP TABLE IF EXISTS public.wk_src;
  CREATE TABLE public.wk_src (id int PRIMARY KEY, email text, n int);
  INSERT INTO public.wk_src SELECT g, 'user' || g || '@example.com', g % 1000 FROM generate_series(1, $N) g;" >/dev/null
pg2 -c "SET client_min_messages = warning; DROP TABLE IF EXISTS public.wk_dst; CREATE TABLE public.wk_dst (id int, email text, n int);
  CREATE SCHEMA IF NOT EXISTS pontoon;
  DO \$\$ BEGIN IF to_regclass('pontoon.job') IS NOT NULL THEN
    DELETE FROM pontoon.chunk WHERE job = 'wk'; DELETE FROM pontoon.job WHERE job = 'wk'; END IF; END \$\$;" >/dev/null

cat >"$tmp/setup.sql" <<EOF
SELECT pontoon_connect('old', '$PONTOON_PG_URI_NOPW') IS NULL;
SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW') IS NULL;
CREATE VIRTUAL TABLE temp.src USING pontoon(old, 'public.wk_src');
CREATE VIRTUAL TABLE temp.dst USING pontoon(new, 'public.wk_dst');
EOF
{ cat "$tmp/setup.sql"; echo "SELECT 'chunk ' || chunk FROM pontoon_copy('temp.src', 'temp.dst', 'job=wk workers=2 chunk=20000 max_rate=80000');"; } >"$tmp/copy.sql"
{ cat "$tmp/setup.sql"; echo "SELECT rows_done || ' ' || chunks_done FROM pontoon_jobs WHERE job = 'wk';"; } >"$tmp/jobs.sql"

t0=$(date +%s%N)
for k in 1 2 3; do
  shell <"$tmp/copy.sql" >"$tmp/out$k" 2>"$tmp/err$k" &
  eval "pid$k=\$!"
done
# watch it from another shell while it runs
progress=""
while kill -0 "$pid1" 2>/dev/null || kill -0 "$pid2" 2>/dev/null || kill -0 "$pid3" 2>/dev/null; do
  progress="$progress|$(shell <"$tmp/jobs.sql" 2>/dev/null | tail -1)"
  sleep 0.3
done
fails=0
for k in 1 2 3; do
  eval "wait \$pid$k" || { fails=$((fails + 1)); echo "shell $k failed:"; cat "$tmp/err$k"; }
done
t1=$(date +%s%N)
echo "three shells, workers=2 each: $(( (t1 - t0) / 1000000 )) ms for $N rows"
echo "pontoon_jobs seen from a fourth shell (rows_done chunks_done):$progress" | cut -c1-400
check "the three shells finished without error" [ "$fails" = 0 ]

# the chunks each shell reported, one line each
total=$(pg2 -c "SELECT chunks_total FROM pontoon.job WHERE job = 'wk'")
cat "$tmp/out1" "$tmp/out2" "$tmp/out3" | grep '^chunk ' | sort >"$tmp/all"
reported=$(wc -l <"$tmp/all")
twice=$(uniq -d "$tmp/all" | wc -l)
by="" shared=0
for k in 1 2 3; do
  c=$(grep -c '^chunk ' "$tmp/out$k" || true)
  by="$by$c "
  [ "$c" -gt 0 ] && shared=$((shared + 1))
done
echo "chunks reported by each shell: $by(job: $total chunks)"
check "the shells' chunks add up to the job's ($reported of $total), none reported twice ($twice)" \
  [ "$reported" = "$total" ] && [ "$twice" = 0 ]
check "the work was shared: at least two shells copied chunks ($shared)" [ "$shared" -ge 2 ]
check "the ledger: every chunk done once" \
  [ "$(pg2 -c "SELECT count(*) || ' ' || count(DISTINCT chunk) || ' ' || sum(rows_copied) FROM pontoon.chunk WHERE job = 'wk' AND state = 'done'")" = "$total $total $N" ]
got=$(pg2 -c "SELECT count(*), count(DISTINCT id), md5(string_agg(id || email || n, ',' ORDER BY id)) FROM public.wk_dst")
want=$(pg_sql -c "SELECT count(*), count(DISTINCT id), md5(string_agg(id || email || n, ',' ORDER BY id)) FROM public.wk_src")
echo "target $got; source $want"
check "exactly the source's rows, none twice" [ "$got" = "$want" ]
moving=$(echo "$progress" | tr '|' '\n' | grep -E '^[0-9]+ [0-9]+$' | awk '$1 > 0 && $1 < '"$N"'' | wc -l)
check "pontoon_jobs from another shell showed the job part-way ($moving samples)" [ "$moving" -ge 1 ]
finish
