#!/usr/bin/env bash
# Faults: a backend terminated mid-scan gives a clean error naming the server
# and table, and the next statement reconnects; a server that never answers
# fails within the connect timeout.
source "$(dirname "$0")/lib.bash" "$@"
pg_sql -c "DROP TABLE IF EXISTS public.fault_scan; CREATE TABLE public.fault_scan AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g;"

# A slow scan: every remote row meets 3000 local ones.
script="
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(pg, public.fault_scan);
SELECT count(*) FROM t CROSS JOIN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x FROM c);
SELECT 'after:', count(*) FROM t;
SELECT 'connected:', connected FROM pontoon_servers;
"
# terminated once the scan is reading pages (its backend's last statement a
# FETCH): early, so that most pages are still to come whatever the speed
( for i in $(seq 200); do
    n=$(pg_sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pontoon' AND query LIKE 'FETCH%'")
    [ "${n:-0}" -gt 0 ] && break
    sleep 0.05
  done ) &
killer=$!
out=$(shell <<<"$script" 2>&1)
wait $killer
echo "$out"
check "the scan fails with the server and table named" grep -q "pontoon: server 'pg', table fault_scan: " <<<"$out"
check "the cause is the terminated connection" grep -Eqi "terminat|closed the connection" <<<"$out"
check "the next statement reconnects" grep -qx "after:|200000" <<<"$out"
check "the server shows as connected again" grep -qx "connected:|1" <<<"$out"

# A backend terminated in the middle of a big INSERT: nothing is written,
# the error is clean, the next statement reconnects.
pg_sql -c "DROP TABLE IF EXISTS public.fault_ins; CREATE TABLE public.fault_ins (id int PRIMARY KEY, v text)"
script="
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(pg, public.fault_ins);
INSERT INTO t WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000000) SELECT i, printf('%0200d', i) FROM g;
SELECT 'after:', count(*) FROM t;
INSERT INTO t VALUES (1, 'one');
SELECT 'then:', count(*) FROM t;
"
( sleep 2; pg_sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pontoon'" >/dev/null ) &
killer=$!
out=$(shell <<<"$script" 2>&1)
wait $killer
echo "$out"
check "the INSERT fails naming the server and table" grep -q "pontoon: server 'pg', table fault_ins: " <<<"$out"
check "nothing of it was written" grep -qx "after:|0" <<<"$out"
check "the next INSERT reconnects and works" grep -qx "then:|1" <<<"$out"

# The backend of an idle connection terminated (the server going away
# sends FATAL first, then closes): a copy that leases that connection, and
# a scan after it, take it for dead and connect again, instead of failing
# with "no connection to the server"
script="
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(pg, public.fault_scan, key=id);
CREATE TABLE loc (id INTEGER PRIMARY KEY, h TEXT);
SELECT 'before:', count(*) FROM t;
.system env -u LD_PRELOAD psql -X -q -t -A -w '$PONTOON_PG_URI_NOPW' -c \"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pontoon'\" </dev/null >/dev/null; sleep 0.5
SELECT 'copied:', sum(rows) FROM pontoon_copy('t', 'loc', 'job=idle-terminated');
SELECT 'scan:', count(*) FROM t;
"
out=$(shell <<<"$script" 2>&1)
echo "$out"
check "an idle connection terminated: the copy connects again and copies every row" grep -qx "copied:|200000" <<<"$out"
check "... and the next scan too" grep -qx "scan:|200000" <<<"$out"
check "the server holds exactly that row" [ "$(pg_sql -c 'SELECT count(*) FROM public.fault_ins')" = 1 ]

# The connection dies inside BEGIN ... COMMIT: the rest of the transaction
# must not go on in a new connection (it would commit only the rest).
pg_sql -c "TRUNCATE public.fault_ins"
script="
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE t USING pontoon(pg, public.fault_ins);
BEGIN;
INSERT INTO t VALUES (10, 'first');
SELECT 'flushed:', count(*) FROM t;
SELECT pontoon_connect('killer', '$PONTOON_PG_URI_NOPW');
SELECT pontoon_exec('killer', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ''pontoon'' AND pid <> pg_backend_pid() AND state = ''idle in transaction''');
SELECT 'mid:', count(*) FROM t;
INSERT INTO t VALUES (11, 'second');
COMMIT;
ROLLBACK;
SELECT 'after:', count(*) FROM t;
"
out=$(shell <<<"$script" 2>&1)
echo "$out"
check "the transaction does not go on in a new connection" grep -q "connection was lost inside this transaction" <<<"$out"
check "no read in it sees a half transaction" bash -c '! grep -q "^mid:" <<<"$1"' _ "$out"
check "the server holds none of the transaction" [ "$(pg_sql -c 'SELECT count(*) FROM public.fault_ins')" = 0 ]
check "after ROLLBACK the next statement works" grep -qx "after:|0" <<<"$out"

# A server that accepts TCP connections but never speaks.
port_file=$(mktemp)
/usr/bin/python3 - "$port_file" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(30)
PY
silent=$!
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file")
start=$(date +%s)
out=$(shell "SELECT pontoon_connect('mute', 'postgresql://x@127.0.0.1:$port/db?connect_timeout=2');" 2>&1)
took=$(( $(date +%s) - start ))
kill $silent 2>/dev/null; wait $silent 2>/dev/null; rm -f "$port_file"
echo "$out (after ${took}s)"
check "a silent server fails with an error" grep -q "server 'mute': cannot connect" <<<"$out"
check "within the connect timeout (${took}s)" [ "$took" -le 6 ]
finish
