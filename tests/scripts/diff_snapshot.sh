#!/usr/bin/env bash
# pontoon_diff reads each side in one snapshot for the whole diff (issue 13
# item 5), and a side that goes away mid-diff ends it with a clear error
# (item 6).  Python's sqlite3 module steps the diff: the first difference
# comes after the first batch of small ranges is fetched (256 of them); the
# test then changes rows of both tables that lie in ranges not yet fetched,
# so that they agree, and reads on: every difference of the snapshot is
# still reported, none of the changes shows.  Then the diff's connections
# are terminated between two rows: the next row is an error naming the
# server and the table, and nothing is left open.
source "$(dirname "$0")/lib.bash" "$@"
pg_sql -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS sn CASCADE; CREATE SCHEMA sn;
  CREATE TABLE sn.a (id int PRIMARY KEY, v int);
  INSERT INTO sn.a SELECT g, g FROM generate_series(1, 20000) g;
  CREATE TABLE sn.b (LIKE sn.a INCLUDING ALL);
  INSERT INTO sn.b SELECT id, CASE WHEN id % 50 = 0 THEN -v ELSE v END FROM sn.a;" >/dev/null
out=$(/usr/bin/python3 - "$BUILD/pontoon" "$PONTOON_PG_URI_NOPW" <<'PY' 2>&1
import os, sqlite3, subprocess, sys
con = sqlite3.connect(":memory:")
con.enable_load_extension(True)
con.load_extension(sys.argv[1])
con.execute("SELECT pontoon_connect('pg', ?)", (sys.argv[2],))
con.execute("CREATE VIRTUAL TABLE a USING pontoon(pg, 'sn.a')")
con.execute("CREATE VIRTUAL TABLE b USING pontoon(pg, 'sn.b')")
def psql(sql):
    subprocess.run(["env", "-u", "LD_PRELOAD", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    sys.argv[2], "-c", sql], check=True, stdout=subprocess.DEVNULL)
cur = con.execute("SELECT key ->> 0 FROM pontoon_diff('a', 'b', 'threshold=10 factor=4')")
first = cur.fetchone()[0]
# rows in ranges not fetched yet: made equal on both sides, and a new one
psql("UPDATE sn.b SET v = 19950 WHERE id = 19950; UPDATE sn.a SET v = -19900 WHERE id = 19900;"
     " INSERT INTO sn.b VALUES (30000, 1)")
rest = [r[0] for r in cur.fetchall()]
keys = [first] + rest
print("found", len(keys), "differences;", "19950" if 19950 in keys else "-", "19900" if 19900 in keys else "-",
      "30000" if 30000 in keys else "-")
print("now", con.execute("SELECT count(*) FROM pontoon_diff('a', 'b', 'threshold=10 factor=4')").fetchone()[0])
# the diff's connections terminated between two rows
cur = con.execute("SELECT key FROM pontoon_diff('a', 'b', 'threshold=10 factor=4')")
cur.fetchone()
psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
     " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")
try:
    cur.fetchall()
    print("no error")
except sqlite3.OperationalError as e:
    print("error:", e)
cur.close()
print("after", con.execute("SELECT count(*) FROM pontoon_diff('a', 'b')").fetchone()[0])
PY
)
echo "$out"
check "the snapshot's differences, all 400 of them, and none of the changes made meanwhile" \
  grep -qx "found 400 differences; 19950 19900 -" <<<"$out"
check "a new diff sees the changes: two rows agree now, one more differs" grep -qx "now 399" <<<"$out"
check "a side gone mid-diff: an error naming the server and the table" \
  grep -q "^error: pontoon: server 'pg', table [ab]: .*" <<<"$out"
check "the next diff runs on fresh connections" grep -qx "after 399" <<<"$out"
finish
