#!/usr/bin/env bash
# pontoon_copy's progress display and throttle (issue 12 items 5, 6):
# progress=1 draws rows, rows/s and the end on stderr; without it, stderr
# that is not a terminal stays clean; max_rate=N keeps the copy at or below
# N rows per second; without chunk= the claim adapts (several chunks per
# transaction once chunks are quick).
source "$(dirname "$0")/lib.bash" "$@"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/local.db
sqlite3 "$db" "CREATE TABLE src (id INTEGER PRIMARY KEY, v TEXT);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 60000)
  INSERT INTO src SELECT i, 'value ' || i FROM g;
  CREATE TABLE d1 (id INTEGER, v TEXT); CREATE TABLE d2 (id INTEGER, v TEXT);
  CREATE TABLE d3 (id INTEGER, v TEXT); CREATE TABLE d4 (id INTEGER, v TEXT);"
run() { sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$db" "$@"; }

run "SELECT sum(rows) FROM pontoon_copy('src', 'd1', 'progress=1 chunk=5000');" >"$tmp/out1" 2>"$tmp/err1"
echo "stderr with progress=1: $(tr '\r' '\n' <"$tmp/err1" | tail -1)"
check "progress=1: a progress line on stderr" grep -q "rows/s" "$tmp/err1"
check "progress=1: it ends at 100%" bash -c "tr '\r' '\n' <'$tmp/err1' | tail -1 | grep -q '60000 / 60000 rows (100.0%)'"
check "progress=1: the result is unchanged" [ "$(cat "$tmp/out1")" = 60000 ]

run "SELECT count(*) FROM pontoon_copy('src', 'd2', 'chunk=5000');" >"$tmp/out2" 2>"$tmp/err2"
check "stderr not a terminal: no progress drawn" [ ! -s "$tmp/err2" ]
run "SELECT count(*) FROM pontoon_copy('src', 'd3', 'progress=0 chunk=5000');" >"$tmp/out3" 2>"$tmp/err3"
check "progress=0: nothing on stderr" [ ! -s "$tmp/err3" ]

t0=$(date +%s%N)
run "SELECT sum(rows) FROM pontoon_copy('src', 'd4', 'max_rate=20000 chunk=2000');" >"$tmp/out4" 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "max_rate=20000: 60000 rows in $ms ms"
check "max_rate=20000: all rows copied" [ "$(cat "$tmp/out4")" = 60000 ]
check "max_rate=20000: no faster than 20000 rows/s (60000 rows took $ms ms >= 2800)" [ "$ms" -ge 2800 ]

# without chunk=, each transaction claims more chunks while they are quick
n=$(run "CREATE TABLE d5 (id INTEGER, v TEXT);
  SELECT count(*) FROM pontoon_copy('src', 'd5');
  SELECT count(DISTINCT finished) FROM pontoon_chunk WHERE job = 'src -> d5';" 2>&1 | tail -1)
echo "six chunks of 10000 rows committed in $n transactions"
check "adaptive claim: fewer transactions than chunks ($n < 6)" [ "$n" -lt 6 ]
finish
