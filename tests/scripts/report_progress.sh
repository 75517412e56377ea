#!/usr/bin/env bash
# issue 16 item 2: progress, as docs/progress.md describes it.  copy, diff
# and sync draw one line on stderr, rewritten in place (\r ... ESC[K), the
# job's name first, ended by a newline; progress=1 forces it, progress=0
# stops it, and without the option it is drawn only when stderr is a
# terminal (script(1) gives the shell one).  pontoon_jobs in another shell
# shows a copy running in this one.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
work=$(mktemp -d)
bg=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$work"' EXIT

pg_sql -c "DROP TABLE IF EXISTS public.prg_items" \
  -c "CREATE TABLE public.prg_items (id int PRIMARY KEY, name text)" \
  -c "INSERT INTO public.prg_items SELECT g, 'i' || g FROM generate_series(1, 2000) g"
my_sql -e "DROP TABLE IF EXISTS prg_items_new, prg_slow_new;
  CREATE TABLE prg_items_new (id int PRIMARY KEY, name text);
  CREATE TABLE prg_slow_new (id int PRIMARY KEY, name text);"
for t in pontoon_chunk pontoon_sync_batch pontoon_job; do
  my_sql -e "DELETE FROM $t WHERE job IN ('prg', 'prg slow')" 2>/dev/null
done
pre=".output /dev/null
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
SELECT pontoon_connect('my', '$MY_URI_NOPW');
SELECT pontoon_import('pg', 'main', 'public', 'prg_%');
CREATE VIRTUAL TABLE items_new USING pontoon(my, prg_items_new);
CREATE VIRTUAL TABLE slow_new USING pontoon(my, prg_slow_new);
.output stdout"
run() { sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" :memory: "$@"; }

# progress=1: the three lines
run >"$work/out" 2>"$work/err" <<EOF
$pre
SELECT pontoon_capture('prg_items');
SELECT count(*) FROM pontoon_copy('prg_items', 'items_new', 'job=prg chunk=500 progress=1');
UPDATE prg_items SET name = 'changed' WHERE id <= 10;
SELECT count(*) FROM pontoon_sync('prg_items', 'items_new', 'job=prg until=empty progress=1');
SELECT count(*) FROM pontoon_diff('prg_items', 'items_new', 'job=prg progress=1');
SELECT pontoon_capture_stop('prg_items');
EOF
cat -v "$work/err"
tr '\r' '\n' <"$work/err" | sed 's/\x1b\[K$//' | grep . >"$work/lines"
check "copy draws rows done / total, percent, rows/s" \
  grep -qE '^prg: 2000 / 2000 rows \(100\.0%\), [0-9]+ rows/s$' "$work/lines"
check "copy's intermediate lines carry an ETA" \
  grep -qE '^prg: (500|1000|1500) / 2000 rows \([0-9.]+%\), [0-9]+ rows/s( ETA [0-9]+m[0-9]{2}s)?$' "$work/lines"
check "sync draws batches, pending, lag" grep -qE '^prg: [0-9]+ batches, 0 pending, lag [0-9.]+ s$' "$work/lines"
check "diff draws queries, segments, rows read, differences" \
  grep -qE '^prg: [0-9]+ queries, [0-9]+ segments to cut, [0-9]+ to fetch, [0-9]+ rows read, 0 differences, [0-9.]+ s$' \
  "$work/lines"
check "each line is rewritten in place (CR, erase to the end)" grep -q $'\r''prg: .*'$'\x1b''\[K' "$work/err"
check "each ends with a newline: three lines" [ "$(grep -c . "$work/err")" = 3 ]

# without the option, stderr not a terminal: nothing
for t in pontoon_chunk pontoon_job; do my_sql -e "DELETE FROM $t WHERE job = 'prg'"; done
my_sql -e "DELETE FROM prg_items_new"
run >"$work/out" 2>"$work/err" <<EOF
$pre
SELECT count(*) FROM pontoon_copy('prg_items', 'items_new', 'job=prg chunk=500');
SELECT count(*) FROM pontoon_diff('prg_items', 'items_new', 'job=prg');
EOF
check "not a terminal: no progress line" [ ! -s "$work/err" ]

# a terminal: drawn without the option, and progress=0 stops it
printf '%s\n' "$pre" "SELECT count(*) FROM pontoon_diff('prg_items', 'items_new', 'job=prg');" \
  ".print --" "SELECT count(*) FROM pontoon_diff('prg_items', 'items_new', 'job=prg progress=0');" \
  >"$work/tty.sql"
env -u LD_PRELOAD script -qec "env LD_PRELOAD='${LD_PRELOAD:-}' sqlite3 -batch -init /dev/null -cmd '.load $BUILD/pontoon' :memory: <'$work/tty.sql'" /dev/null \
  >"$work/tty" 2>&1
cat -v "$work/tty"
check "a terminal: the line is drawn without the option" \
  grep -qE '^prg: [0-9]+ queries' <(sed -n '1,/^--/p' "$work/tty" | tr '\r' '\n')
check "a terminal: progress=0 stops it" \
  bash -c "! sed -n '/^--/,\$p' '$work/tty' | grep -q queries"

# pontoon_jobs in another shell shows the copy this one is running
run >"$work/slow.out" 2>&1 <<EOF &
$pre
SELECT count(*) FROM pontoon_copy('prg_items', 'slow_new', 'job=''prg slow'' chunk=100 max_rate=400');
EOF
bg=$!
seen=
for _ in $(seq 1 50); do
  got=$(run <<EOF
$pre
SELECT state, rows_done, rows_total FROM pontoon_jobs WHERE job = 'prg slow' AND ledger = 'my';
EOF
  )
  if [[ "$got" =~ ^copying\|([0-9]+)\|2000$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    seen=$got
    break
  fi
  sleep 0.1
done
check "another shell's pontoon_jobs shows the running copy ($seen)" [ -n "$seen" ]
wait "$bg"
bg=
check "the copy ends ($(cat "$work/slow.out"))" grep -qx 20 "$work/slow.out"
got=$(run <<EOF
$pre
SELECT state, rows_done FROM pontoon_jobs WHERE job = 'prg slow' AND ledger = 'my';
EOF
)
check "then pontoon_jobs shows it copied ($got)" [ "$got" = "copied|2000" ]
finish
