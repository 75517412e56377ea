#!/usr/bin/env bash
# pontoon_diff between two PostgreSQL servers hashes its buckets with the
# engine's own row hash (hash_record_extended: no text made) instead of the
# canonical text's md5 (docs/diff.md, "Two PostgreSQL sides").  Shown here:
# it is used (PONTOON_TRACE shows the bucket queries), and it finds exactly
# what the canonical hash and the streaming merge find, where a raw hash
# and the canonical text disagree about equality: numeric 1.5 = 1.50,
# an unbounded bpchar's trailing space, interval '1 day' vs '24 hours',
# a case difference under a nondeterministic collation, a real beyond its
# 15 digits, jsonb key order, a column whose types differ (int, bigint),
# and one difference of each other kind.  Deep bisection (threshold=4).
source "$(dirname "$0")/lib.bash" "$@"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pg_sql -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS rh CASCADE; CREATE SCHEMA rh;
  CREATE COLLATION rh.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
  CREATE TABLE rh.a (id bigint PRIMARY KEY, n numeric, t text, bp bpchar, c char(3),
    iv interval, ts timestamptz, tm time, d date, b bytea, u uuid, j jsonb,
    r double precision, f boolean, ci text COLLATE rh.ci, x int);
  INSERT INTO rh.a SELECT g, g / 4.0, 'text ' || g, 'bp' || g, 'c' || (g % 10),
    (g % 3) * interval '1 day', timestamptz '2024-01-01 00:00:00+00' + g * interval '1.000001 second',
    time '00:00:00' + g * interval '1.5 second', date '2000-01-01' + g, decode(lpad(to_hex(g), 8, '0'), 'hex'),
    md5(g::text)::uuid, jsonb_build_object('a', g, 'b', 'x'), g / 7.0, g % 2 = 0, 'Word' || g, g
    FROM generate_series(1, 3000) g;
  CREATE TABLE rh.b (id bigint PRIMARY KEY, n numeric, t text, bp bpchar, c char(3),
    iv interval, ts timestamptz, tm time, d date, b bytea, u uuid, j jsonb,
    r double precision, f boolean, ci text COLLATE rh.ci, x bigint);
  INSERT INTO rh.b SELECT * FROM rh.a;
  -- equal as pontoon compares them: not differences
  UPDATE rh.b SET n = 2.50 WHERE id = 10;
  UPDATE rh.b SET j = '{\"b\": \"x\", \"a\": 200}' WHERE id = 200;
  UPDATE rh.b SET r = r + 1e-16 * r WHERE id = 300;
  -- differences
  UPDATE rh.b SET n = n + 0.001 WHERE id = 400;
  UPDATE rh.b SET t = 'Text 500' WHERE id = 500;
  UPDATE rh.a SET bp = 'q' WHERE id = 600; UPDATE rh.b SET bp = 'q ' WHERE id = 600;
  UPDATE rh.a SET iv = '1 day' WHERE id = 700; UPDATE rh.b SET iv = '24 hours' WHERE id = 700;
  UPDATE rh.b SET ts = ts + interval '1 microsecond' WHERE id = 800;
  UPDATE rh.b SET tm = tm + interval '1 microsecond' WHERE id = 900;
  UPDATE rh.b SET d = d + 1 WHERE id = 1000;
  UPDATE rh.b SET b = b || '\\x00'::bytea WHERE id = 1100;
  UPDATE rh.b SET u = md5('other')::uuid WHERE id = 1200;
  UPDATE rh.b SET ci = 'word1300' WHERE id = 1300;
  UPDATE rh.b SET f = NOT f WHERE id = 1400;
  UPDATE rh.b SET x = x + 1 WHERE id = 1500;
  UPDATE rh.b SET c = 'zz' WHERE id = 1600;
  UPDATE rh.b SET r = r + 1e-6 WHERE id = 1700;
  UPDATE rh.b SET n = NULL WHERE id = 1800;
  DELETE FROM rh.b WHERE id = 1900;
  INSERT INTO rh.b SELECT id + 5000, n, t, bp, c, iv, ts, tm, d, b, u, j, r, f, ci, x FROM rh.a WHERE id = 2000;" >/dev/null
want='[400]|~|["n"]
[500]|~|["t"]
[600]|~|["bp"]
[700]|~|["iv"]
[800]|~|["ts"]
[900]|~|["tm"]
[1000]|~|["d"]
[1100]|~|["b"]
[1200]|~|["u"]
[1300]|~|["ci"]
[1400]|~|["f"]
[1500]|~|["x"]
[1600]|~|["c"]
[1700]|~|["r"]
[1800]|~|["n"]
[1900]|-|[]
[7000]|+|[]'
run_diff() { # run_diff OPTIONS [URI]: the differences, one per line (rh.b through URI)
  local srv=pg
  [ -n "${2:-}" ] && srv=pg2
  sqlite3 -batch -bail -init /dev/null :memory: <<SQL
.load $BUILD/pontoon
.output /dev/null
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
SELECT pontoon_connect('pg2', '${2:-$PONTOON_PG_URI_NOPW}');
CREATE VIRTUAL TABLE a USING pontoon(pg, 'rh.a');
CREATE VIRTUAL TABLE b USING pontoon($srv, 'rh.b');
.output stdout
SELECT key, side, columns FROM pontoon_diff('a', 'b', '$1') ORDER BY key ->> 0;
SQL
}
pg_sql -c "ANALYZE rh.a" -c "ANALYZE rh.b" >/dev/null
fast=$(PONTOON_TRACE=1 run_diff 'threshold=4 factor=4' 2>"$TMP/trace")
check "the row hash finds exactly the planted differences" test "$fast" = "$want"
check "the buckets were hashed with hash_record_extended" grep -q "hash_record_extended" "$TMP/trace"
# docs/diff.md, "The start" and "Both servers on one host"
check "analyzed tables are not counted before the first scan (the server's estimate)" \
  bash -c "grep -q 'CASE WHEN min(\"id\") IS NULL' '$TMP/trace' && ! grep -q 'count(\*) FROM \"rh\"' '$TMP/trace'"
check "both sides on one host: each scans without parallel workers" \
  test "$(grep -c 'pg: SET LOCAL max_parallel_workers_per_gather = 0' "$TMP/trace")" = 2
uri_local=$(sed 's|@127\.0\.0\.1:|@localhost:|' <<<"$PONTOON_PG_URI_NOPW")
two=$(PONTOON_TRACE=1 run_diff 'threshold=4 factor=4' "$uri_local" 2>"$TMP/trace2")
check "two hosts (127.0.0.1 and localhost): the same differences" test "$two" = "$want"
check "... and each server keeps its parallel workers" \
  bash -c "! grep -q 'max_parallel_workers_per_gather' '$TMP/trace2'"
check "the canonical md5 was not used for buckets" bash -c "! grep -q 'GROUP BY 1' <(grep md5 '$TMP/trace')"
canon=$(PONTOON_TRACE=1 PONTOON_DIFF_ROW_HASH=0 run_diff 'threshold=4 factor=4' 2>"$TMP/trace0")
check "PONTOON_DIFF_ROW_HASH=0 finds the same" test "$canon" = "$want"
check "... hashing the canonical text" bash -c "! grep -q hash_record_extended '$TMP/trace0'"
merge=$(run_diff 'mode=merge')
check "the streaming merge finds the same" test "$merge" = "$want"
dflt=$(run_diff '')
check "the defaults find the same" test "$dflt" = "$want"
# a job verified by a row-hash diff gets pontoon_checksum's checksum
pg_sql -c "DELETE FROM rh.b; INSERT INTO rh.b SELECT * FROM rh.a" >/dev/null
out=$(sqlite3 -batch -bail -init /dev/null :memory: <<SQL 2>&1
.load $BUILD/pontoon
.output /dev/null
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE a USING pontoon(pg, 'rh.a');
CREATE VIRTUAL TABLE b USING pontoon(pg, 'rh.b');
SELECT * FROM pontoon_copy('a', 'b', 'job=rh-job mode=upsert');
.output stdout
SELECT count(*) FROM pontoon_diff('a', 'b', 'job=rh-job');
SELECT pontoon_checksum('b');
SQL
)
ledger=$(pg_sql -c "SELECT state || ' ' || checksum FROM pontoon.job WHERE job = 'rh-job'")
check "a row-hash diff finds nothing in equal tables" test "$(head -1 <<<"$out")" = 0
check "... and marks its job verified with pontoon_checksum's value" \
  test "$ledger" = "verified $(sed -n 2p <<<"$out")"
echo "ledger: $ledger"
echo "$out"
finish
