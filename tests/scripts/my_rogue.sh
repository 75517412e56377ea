#!/usr/bin/env bash
# issue 10 item 10: a MySQL server can read any client file.  A rogue
# server (tests/scripts/my_rogue_server.py, on 127.0.0.1) answers pontoon's
# first queries with a LOAD DATA LOCAL INFILE request for a secret file of
# this machine: no byte of it may arrive, at pontoon_connect or later.  The
# same against the real server: pontoon_exec('LOAD DATA LOCAL INFILE ...')
# of a real file fails and uploads nothing, while pontoon's own INSERT
# path (LOAD DATA fed from memory) still works.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
tmp=$(mktemp -d)
rogue=
cleanup() { if [ -n "$rogue" ]; then kill "$rogue" 2>/dev/null; wait "$rogue" 2>/dev/null; fi; rm -rf "$tmp"; }
trap cleanup EXIT
secret="$tmp/secret.txt"
echo "pontoon-secret-$RANDOM-$RANDOM" >"$secret"

# start_rogue SKIP: a rogue server that answers the first SKIP queries of
# each connection with OK and every later one with the file request
start_rogue() {
  rm -f "$tmp/port"
  env -u LD_PRELOAD python3 "$(dirname "$0")/my_rogue_server.py" "$tmp/port" "$tmp/log" "$secret" "$1" &
  rogue=$!
  for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  port=$(cat "$tmp/port")
}
start_rogue 0
check "the rogue server listens" [ -n "$port" ]

# at connect: the session pinning query gets the file request
out=$(shell "SELECT pontoon_connect('rogue', 'mysql://app:pw@127.0.0.1:$port/shop');" 2>&1)
echo "pontoon_connect: $out"
cat "$tmp/log"
check "the rogue server asked for the file at connect" grep -q "^ASKED " "$tmp/log"
check "no file byte arrived at connect" bash -c '! grep -q "RECEIVED [1-9]" "$1" && ! grep -q "^CONTENT" "$1"' _ "$tmp/log"

# later: the connection gets through, then every query gets the request
kill "$rogue"; wait "$rogue" 2>/dev/null
: >"$tmp/log"
start_rogue 1
out=$(shell <<<"SELECT pontoon_connect('rogue', 'mysql://app:pw@127.0.0.1:$port/shop');
SELECT pontoon_exec('rogue', 'SELECT 1');
SELECT pontoon_exec('rogue', 'LOAD DATA LOCAL INFILE ''$secret'' INTO TABLE t');" 2>&1)
echo "$out"
cat "$tmp/log"
check "the secret is in no answer" bash -c '! grep -qF "$(cat "$1")" "$2"' _ "$secret" "$tmp/log"
check "the rogue server asked for the file later" [ "$(grep -c "^ASKED " "$tmp/log")" -ge 2 ]
check "no file byte arrived later" bash -c '! grep -q "RECEIVED [1-9]" "$1"' _ "$tmp/log"

# the real server: LOAD DATA LOCAL INFILE of a real file through pontoon_exec
my_sql -e "DROP TABLE IF EXISTS rogue_lines; CREATE TABLE rogue_lines (line text) ENGINE=InnoDB"
out=$(shell <<<"SELECT pontoon_connect('my', '$MY_URI_NOPW');
SELECT pontoon_exec('my', 'LOAD DATA LOCAL INFILE ''$secret'' INTO TABLE rogue_lines');
CREATE VIRTUAL TABLE l USING pontoon(my, rogue_lines);
INSERT INTO l VALUES ('from memory');" 2>&1)
echo "$out"
check "pontoon_exec LOAD DATA LOCAL INFILE fails" grep -q "LOAD DATA LOCAL INFILE is refused" <<<"$out"
check "nothing of the file was uploaded, the INSERT went in" \
  [ "$(my_sql -e "SELECT group_concat(line) FROM rogue_lines")" = "from memory" ]
finish
