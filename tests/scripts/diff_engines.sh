#!/usr/bin/env bash
# pontoon_diff and pontoon_checksum across engines (issue 13): the same
# 100,000 rows (PONTOON_DIFF_ROWS) with every kind — integers, unsigned
# 64-bit, decimals, floats, booleans, text with 4-byte characters, trailing
# spaces, NULL and '', binary with zero bytes, dates, times, timestamps with
# microseconds, timestamptz, json — in PostgreSQL, MariaDB and a SQLite
# file, diffed pairwise in all six directions: no difference, and the three
# checksums equal.  Then differences planted in the MariaDB and SQLite
# copies, one of each kind, are each found exactly once, with the right
# side and columns, from both directions; max_diffs stops early;
# float_digits and time_precision hide what they should and nothing more.
source "$(dirname "$0")/lib.bash" "$@"
N=${PONTOON_DIFF_ROWS:-100000}
export MYSQL_PWD=$PONTOON_MY_PASSWORD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pg_sql -c "SET client_min_messages = warning;
  DROP TABLE IF EXISTS public.de_rows, public.de_words;
  CREATE TABLE public.de_rows (id bigint PRIMARY KEY, i int, u numeric(20,0), dec numeric(12,4),
    f double precision, b boolean, t text, bin bytea, d date, tm time(6), ts timestamp(6),
    tz timestamptz(6), j jsonb);
  INSERT INTO public.de_rows SELECT g,
    CASE WHEN g % 11 = 0 THEN NULL ELSE (g * 7919) % 200001 - 100000 END,
    CASE g % 4 WHEN 0 THEN 18446744073709551615 - g WHEN 1 THEN g ELSE 9223372036854775808 + g END,
    CASE WHEN g % 13 = 0 THEN NULL ELSE ((g % 2000) - 1000) / 8.0 END,
    CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN g / 3.0 WHEN 2 THEN -1.0 / g ELSE g * 1e10 + 0.25 END,
    CASE WHEN g % 7 = 0 THEN NULL ELSE g % 2 = 0 END,
    CASE g % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'trailing ' || g || '  '
      WHEN 3 THEN 'emoji 😀 ' || g WHEN 4 THEN 'Zoë | \\ \" ' || g ELSE 'text ' || g END,
    CASE WHEN g % 6 = 0 THEN NULL ELSE decode(lpad(to_hex(g), 12, '0'), 'hex') END,
    CASE WHEN g % 8 = 0 THEN NULL ELSE date '1990-01-01' + (g % 20000) END,
    CASE WHEN g % 10 = 0 THEN NULL ELSE time '00:00:00' + (g % 86400) * interval '1 second' + (g % 999999) * interval '1 microsecond' END,
    CASE WHEN g % 12 = 0 THEN NULL ELSE timestamp '2001-02-03 04:05:06' + g * interval '1.000123 second' END,
    CASE WHEN g % 14 = 0 THEN NULL ELSE timestamptz '2010-06-07 08:09:10+00' + g * interval '1.000007 second' END,
    CASE WHEN g % 15 = 0 THEN NULL ELSE jsonb_build_object('n', g, 'tag', 't' || (g % 10)) END
  FROM generate_series(1, $N) g;
  CREATE TABLE public.de_words (w text PRIMARY KEY, n int);
  INSERT INTO public.de_words SELECT 'word ' || g, g FROM generate_series(1, 2000) g;
  INSERT INTO public.de_words VALUES ('', 0), ('😀', -1), ('é', -2);" >/dev/null
my_sql -e "DROP TABLE IF EXISTS de_rows, de_words;
  CREATE TABLE de_rows (id bigint PRIMARY KEY, i int, u bigint unsigned, \`dec\` decimal(12,4),
    f double, b boolean, t text, bin blob, d date, tm time(6), ts datetime(6),
    tz datetime(6), j json) CHARACTER SET utf8mb4;
  CREATE TABLE de_words (w varchar(100) PRIMARY KEY, n int) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;"

cat >"$tmp/setup.sql" <<EOF
.output /dev/null
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
SELECT pontoon_connect('my', '$MY_URI_NOPW');
ATTACH '$tmp/de.db' AS f;
CREATE VIRTUAL TABLE temp.p USING pontoon(pg, 'public.de_rows');
CREATE VIRTUAL TABLE temp.m USING pontoon(my, de_rows);
CREATE VIRTUAL TABLE temp.pw USING pontoon(pg, 'public.de_words');
CREATE VIRTUAL TABLE temp.mw USING pontoon(my, de_words);
.output stdout
EOF
# the copies: PostgreSQL -> MariaDB, PostgreSQL -> the SQLite file
{ cat "$tmp/setup.sql"; cat <<'EOF'
CREATE TABLE f.de_rows (id INTEGER PRIMARY KEY, i INTEGER, u TEXT, "dec" NUMERIC, f REAL, b BOOLEAN,
  t TEXT, bin BLOB, d DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, j JSON);
CREATE TABLE f.de_words (w TEXT PRIMARY KEY, n INTEGER);
.output /dev/null
SELECT * FROM pontoon_copy('temp.p', 'temp.m', 'job=de-m-@RUN@');
SELECT * FROM pontoon_copy('temp.p', 'f.de_rows', 'job=de-f-@RUN@');
SELECT * FROM pontoon_copy('temp.pw', 'temp.mw', 'job=de-mw-@RUN@');
SELECT * FROM pontoon_copy('temp.pw', 'f.de_words', 'job=de-fw-@RUN@');
.output stdout
SELECT 'copied ' || (SELECT count(*) FROM temp.m) || ' ' || (SELECT count(*) FROM f.de_rows);
EOF
} >"$tmp/copy.sql"
# each run its own jobs: the ledgers outlive the tables
sed -i "s/@RUN@/$$-$RANDOM/" "$tmp/copy.sql"
out=$(shell <"$tmp/copy.sql" 2>&1)
check "copies made ($out)" [ "$out" = "copied $N $N" ]

# the same rows: no difference in any direction, equal checksums
{ cat "$tmp/setup.sql"; cat <<'EOF'
SELECT 'pg>my ' || count(*) FROM pontoon_diff('temp.p', 'temp.m');
SELECT 'my>pg ' || count(*) FROM pontoon_diff('temp.m', 'temp.p');
SELECT 'pg>sq ' || count(*) FROM pontoon_diff('temp.p', 'f.de_rows');
SELECT 'sq>pg ' || count(*) FROM pontoon_diff('f.de_rows', 'temp.p');
SELECT 'my>sq ' || count(*) FROM pontoon_diff('temp.m', 'f.de_rows');
SELECT 'sq>my ' || count(*) FROM pontoon_diff('f.de_rows', 'temp.m');
SELECT 'words ' || (SELECT count(*) FROM pontoon_diff('temp.pw', 'temp.mw')) || (SELECT count(*) FROM pontoon_diff('temp.mw', 'f.de_words'));
SELECT 'sums ' || (pontoon_checksum('temp.p') = pontoon_checksum('temp.m')) || (pontoon_checksum('temp.m') = pontoon_checksum('f.de_rows'))
  || ' ' || pontoon_checksum('temp.p');
SELECT key, side, columns, src, dst FROM pontoon_diff('temp.p', 'temp.m') LIMIT 3;
SELECT key, side, columns, src, dst FROM pontoon_diff('temp.p', 'f.de_rows') LIMIT 3;
EOF
} >"$tmp/same.sql"
shell <"$tmp/same.sql" >"$tmp/same.out" 2>&1
cat "$tmp/same.out" | cut -c1-300
for d in "pg>my" "my>pg" "pg>sq" "sq>pg" "my>sq" "sq>my"; do
  check "$d: no difference between equal rows" grep -qx "$d 0" "$tmp/same.out"
done
check "text keys: no difference" grep -qx "words 00" "$tmp/same.out"
check "the three checksums are equal" grep -q "^sums 11 $N:" "$tmp/same.out"

# planted, the same in MariaDB and in the SQLite file
my_sql -e "DELETE FROM de_rows WHERE id = 101;
  INSERT INTO de_rows (id, i, t) VALUES ($((N + 1)), 1, 'new');
  UPDATE de_rows SET t = NULL WHERE id = 10;
  UPDATE de_rows SET t = CONCAT(t, ' ') WHERE id = 16;
  UPDATE de_rows SET t = 'TEXT 17' WHERE id = 17;
  UPDATE de_rows SET \`dec\` = \`dec\` + 0.01 WHERE id = 201;
  UPDATE de_rows SET ts = ts + INTERVAL 1 MICROSECOND WHERE id = 301;
  UPDATE de_rows SET b = NOT b WHERE id = 402;
  UPDATE de_rows SET bin = UNHEX('000000000192') WHERE id = 403;
  UPDATE de_rows SET t = 'emoji 😁 3' WHERE id = 3;
  UPDATE de_rows SET f = f * (1 + 1e-12) WHERE id = 501;
  UPDATE de_rows SET tz = tz + INTERVAL 10 MICROSECOND WHERE id = 601;
  DELETE FROM de_words WHERE w = 'word 7';
  INSERT INTO de_words VALUES ('Word 7', 7);"
{ cat "$tmp/setup.sql"; cat <<EOF
DELETE FROM f.de_rows WHERE id = 101;
INSERT INTO f.de_rows (id, i, t) VALUES ($((N + 1)), 1, 'new');
UPDATE f.de_rows SET t = NULL WHERE id = 10;
UPDATE f.de_rows SET t = t || ' ' WHERE id = 16;
UPDATE f.de_rows SET t = 'TEXT 17' WHERE id = 17;
UPDATE f.de_rows SET "dec" = (SELECT "dec" FROM temp.m WHERE id = 201) WHERE id = 201;
UPDATE f.de_rows SET ts = (SELECT ts FROM temp.m WHERE id = 301) WHERE id = 301;
UPDATE f.de_rows SET b = NOT b WHERE id = 402;
UPDATE f.de_rows SET bin = x'000000000192' WHERE id = 403;
UPDATE f.de_rows SET t = 'emoji 😁 3' WHERE id = 3;
UPDATE f.de_rows SET f = (SELECT f FROM temp.m WHERE id = 501) WHERE id = 501;
UPDATE f.de_rows SET tz = (SELECT tz FROM temp.m WHERE id = 601) WHERE id = 601;
DELETE FROM f.de_words WHERE w = 'word 7';
INSERT INTO f.de_words VALUES ('Word 7', 7);
EOF
} >"$tmp/plant.sql"
shell <"$tmp/plant.sql" >/dev/null 2>&1
expected='[3]|~|["t"]
[10]|~|["t"]
[16]|~|["t"]
[17]|~|["t"]
[101]|-|[]
[201]|~|["dec"]
[301]|~|["ts"]
[402]|~|["b"]
[403]|~|["bin"]
[501]|~|["f"]
[601]|~|["tz"]
['$((N + 1))']|+|[]'
for pair in "temp.p temp.m" "temp.p f.de_rows" "temp.m f.de_rows"; do
  set -- $pair
  { cat "$tmp/setup.sql"; echo "SELECT key, side, columns FROM pontoon_diff('$1', '$2') ORDER BY key ->> 0;"; } >"$tmp/d.sql"
  got=$(shell <"$tmp/d.sql" 2>&1)
  if [ "$1 $2" = "temp.m f.de_rows" ]; then
    check "$1 -> $2: the same changes on both sides, nothing found" [ -z "$got" ]
  else
    check "$1 -> $2: each planted difference once, with its side and columns" [ "$got" = "$expected" ]
    [ "$got" = "$expected" ] || diff <(echo "$expected") <(echo "$got")
  fi
done
# the bucket hash of two engines writes a text column as its length, ':'
# and its text (docs/diff.md, "Other pairs"): rows whose texts would run
# together differ all the same, and equal rows with separators,
# backslashes, NULLs and '' agree
pg_sql -c "DROP TABLE IF EXISTS public.de_sep; CREATE TABLE public.de_sep (id int PRIMARY KEY, a text, b text);
  INSERT INTO public.de_sep VALUES (1, 'a|', 'b'), (2, '1:x', ''), (3, E'\\\\N', NULL), (4, '2:ab', 'c'),
    (5, E'x|y\\\\z', E'|\\\\'), (6, NULL, NULL), (7, '', 'q')" >/dev/null
my_sql -e "DROP TABLE IF EXISTS de_sep; CREATE TABLE de_sep (id int PRIMARY KEY, a text, b text) CHARACTER SET utf8mb4;
  INSERT INTO de_sep VALUES (1, 'a', '|b'), (2, '', '1:x'), (3, NULL, '\\\\N'), (4, '2', 'ab|1:c'),
    (5, 'x|y\\\\z', '|\\\\'), (6, NULL, NULL), (7, '', 'q')"
{ cat "$tmp/setup.sql"; cat <<'EOF'
CREATE VIRTUAL TABLE temp.ps USING pontoon(pg, 'public.de_sep');
CREATE VIRTUAL TABLE temp.ms USING pontoon(my, de_sep);
SELECT 'sep ' || group_concat(k, ' ') FROM (SELECT key ->> 0 AS k FROM pontoon_diff('temp.ps', 'temp.ms', 'threshold=1 factor=2') ORDER BY 1);
SELECT 'sepm ' || group_concat(k, ' ') FROM (SELECT key ->> 0 AS k FROM pontoon_diff('temp.ps', 'temp.ms', 'mode=merge') ORDER BY 1);
SELECT 'seq ' || a || ' ' || b FROM temp.ps WHERE id = 5;
SELECT 'seq ' || a || ' ' || b FROM temp.ms WHERE id = 5;
EOF
} >"$tmp/sep.sql"
got=$(PONTOON_TRACE=1 shell <"$tmp/sep.sql" 2>"$tmp/sep.trace")
check "separators: rows whose texts would run together differ, equal rows agree" grep -qx 'sep 1 2 3 4' <<<"$got"
check "... as the streaming merge finds" grep -qx 'sepm 1 2 3 4' <<<"$got"
check "... row 5 holds a backslash and separators on both sides" \
  test "$(grep -c '^seq x|y\\z |\\$' <<<"$got")" = 2
check "... the buckets hashed length-prefixed text on both servers" \
  bash -c "grep -q 'octet_length(' '$tmp/sep.trace' && grep -q 'CONCAT(LENGTH(' '$tmp/sep.trace'"
[ -n "$got" ] && echo "$got"
# the other way round: sides swap
{ cat "$tmp/setup.sql"; echo "SELECT key, side FROM pontoon_diff('temp.m', 'temp.p') WHERE side <> '~' ORDER BY key ->> 0;"; } >"$tmp/d.sql"
got=$(shell <"$tmp/d.sql" 2>&1)
check "temp.m -> temp.p: the sides swap" [ "$got" = "[101]|+
[$((N + 1))]|-" ]
# a text key on one side only, each direction, bisection and merge
{ cat "$tmp/setup.sql"; cat <<'EOF'
SELECT 'a ' || group_concat(key || side, ' ') FROM (SELECT * FROM pontoon_diff('temp.pw', 'temp.mw', 'threshold=50 factor=4') ORDER BY side);
SELECT 'b ' || group_concat(key || side, ' ') FROM (SELECT * FROM pontoon_diff('temp.mw', 'temp.pw') ORDER BY side);
SELECT 'c ' || group_concat(key || side, ' ') FROM (SELECT * FROM pontoon_diff('temp.pw', 'f.de_words') ORDER BY side);
EOF
} >"$tmp/w.sql"
got=$(shell <"$tmp/w.sql" 2>&1)
check "text keys, bisected: 'word 7' only in PostgreSQL, 'Word 7' only in MariaDB" grep -qx 'a \["Word 7"\]+ \["word 7"\]-' <<<"$got"
check "text keys, the other way" grep -qx 'b \["word 7"\]+ \["Word 7"\]-' <<<"$got"
check "text keys, against SQLite (merge)" grep -qx 'c \["Word 7"\]+ \["word 7"\]-' <<<"$got"
[ -n "$got" ] && echo "$got"

# the options
{ cat "$tmp/setup.sql"; cat <<'EOF'
SELECT 'max ' || count(*) FROM pontoon_diff('temp.p', 'temp.m', 'max_diffs=3');
SELECT 'fd ' || coalesce(group_concat(key, ' '), '') FROM pontoon_diff('temp.p', 'temp.m', 'float_digits=10') WHERE columns LIKE '%"f"%';
SELECT 'fd15 ' || group_concat(key, ' ') FROM pontoon_diff('temp.p', 'temp.m') WHERE columns LIKE '%"f"%';
SELECT 'tp ' || group_concat(key, ' ') FROM (SELECT key FROM pontoon_diff('temp.p', 'temp.m', 'time_precision=5') WHERE columns LIKE '%"t%' AND columns NOT LIKE '%"t"%' ORDER BY key ->> 0);
SELECT 'tp4 ' || coalesce(group_concat(key, ' '), '') FROM (SELECT key FROM pontoon_diff('temp.p', 'temp.m', 'time_precision=4') WHERE columns LIKE '%"t%' AND columns NOT LIKE '%"t"%' ORDER BY key ->> 0);
EOF
} >"$tmp/o.sql"
got=$(shell <"$tmp/o.sql" 2>&1)
echo "$got"
check "max_diffs=3 stops after three" grep -qx 'max 3' <<<"$got"
check "float_digits=10 hides a change in the 13th digit" grep -qx 'fd ' <<<"$got"
check "the default 15 digits show it" grep -qx 'fd15 \[501\]' <<<"$got"
check "time_precision=5 hides the microsecond, not the 10 microseconds" grep -qx 'tp \[601\]' <<<"$got"
check "time_precision=4 hides both" grep -qx 'tp4 ' <<<"$got"
# progress=1 draws the walk on stderr (a terminal gets it by default)
{ cat "$tmp/setup.sql"; echo "SELECT count(*) FROM pontoon_diff('temp.p', 'temp.m', 'progress=1');"; } >"$tmp/p.sql"
shell <"$tmp/p.sql" >/dev/null 2>"$tmp/progress.err"
check "progress=1: a progress line on stderr" grep -q "queries, .* rows read, 12 differences" "$tmp/progress.err"
shell <"$tmp/o.sql" >/dev/null 2>"$tmp/quiet.err"
check "without it, nothing on stderr when stderr is not a terminal" [ ! -s "$tmp/quiet.err" ]
finish
