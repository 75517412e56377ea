#!/usr/bin/env bash
# issue 10 item 11: ssl-mode=REQUIRED connected without TLS to a server that
# has none.  Required means refused without TLS.  Against the harness's
# MariaDB (TLS off) and a second, throwaway mariadbd started here with TLS
# on (a CA and a server certificate made with openssl in a temporary
# directory, 127.0.0.1 on a free port, stopped at the end).
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
tmp=$(mktemp -d)
chmod 755 "$tmp"
mypid=
cleanup() {
  if [ -n "$mypid" ]; then
    kill "$mypid" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$mypid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$mypid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# the server user: as harness.sh, never root
as_srv=()
if [ "$(id -u)" -eq 0 ]; then
  as_srv=(env HOME=/nonexistent setpriv "--reuid=$(id -u nobody)" "--regid=$(id -g nobody)" --clear-groups --)
fi

# a CA, a server certificate for 127.0.0.1 signed by it, and another CA
cd "$tmp"
openssl_q() { env -u LD_PRELOAD openssl "$@" >/dev/null 2>&1; }
openssl_q req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pontoon test CA" -keyout ca.key -out ca.pem
openssl_q req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout other.key -out other.pem
openssl_q req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl_q x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem
check "certificates made" [ -s server.pem ]
mkdir data run
if [ "$(id -u)" -eq 0 ]; then chown -R nobody: data run server.key server.pem ca.pem; fi
env -u LD_PRELOAD "${as_srv[@]}" mariadb-install-db --no-defaults --datadir="$tmp/data" --skip-test-db \
  --auth-root-authentication-method=normal >"$tmp/install.log" 2>&1 || cat "$tmp/install.log"
port=$(env -u LD_PRELOAD python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd / && exec env -u LD_PRELOAD "${as_srv[@]}" /usr/sbin/mariadbd --no-defaults --datadir="$tmp/data" \
  --bind-address=127.0.0.1 --port="$port" --socket="$tmp/run/sock" --pid-file="$tmp/run/pid" \
  --skip-grant-tables --skip-log-bin --innodb-buffer-pool-size=16M --innodb-log-file-size=8M \
  --ssl-ca="$tmp/ca.pem" --ssl-cert="$tmp/server.pem" --ssl-key="$tmp/server.key" \
  --log-error="$tmp/run/err.log") </dev/null >/dev/null 2>&1 &
mypid=$!
up=0
for _ in $(seq 300); do
  if env -u LD_PRELOAD mariadb --no-defaults -h 127.0.0.1 -P "$port" -u x -e 'SELECT 1' >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$mypid" 2>/dev/null || break
  sleep 0.1
done
check "a MariaDB with TLS is up on 127.0.0.1:$port" [ "$up" = 1 ]
[ "$up" = 1 ] || cat "$tmp/run/err.log"
TLS_URI="mysql://x@127.0.0.1:$port/mysql"
cipher="CREATE VIRTUAL TABLE c USING pontoon(s, query='SELECT VARIABLE_VALUE AS cipher FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = ''Ssl_cipher''');
SELECT 'cipher:' || cipher FROM c;"

# the harness's server has no TLS
for mode in REQUIRED VERIFY_CA VERIFY_IDENTITY; do
  out=$(shell <<<"SELECT pontoon_connect('s', '$MY_URI_NOPW?ssl-mode=$mode');" 2>&1)
  echo "$mode without TLS: $out"
  # (with verification the client library itself refuses, before the login)
  check "ssl-mode=$mode: a server without TLS is refused" \
    grep -Eq "ssl-mode requires TLS, but the server did not use it|SSL is required, but the server does not support it" <<<"$out"
done
out=$(shell <<<"SELECT pontoon_connect('s', '$MY_URI_NOPW?ssl-mode=DISABLED');" 2>&1)
check "ssl-mode=DISABLED connects to it" [ "$out" = mysql ]
out=$(shell <<<"SELECT pontoon_connect('s', '$MY_URI_NOPW?ssl-mode=required-ish');" 2>&1)
echo "$out"
check "an unknown ssl-mode is an error" grep -q "ssl-mode must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY" <<<"$out"

# the server with TLS
out=$(shell <<<"SELECT pontoon_connect('s', '$TLS_URI?ssl-mode=REQUIRED');
$cipher" 2>&1)
echo "REQUIRED with TLS: $out"
check "ssl-mode=REQUIRED: connects with TLS" grep -Eq "^cipher:.+" <<<"$out"
out=$(shell <<<"SELECT pontoon_connect('s', '$TLS_URI?ssl-mode=VERIFY_IDENTITY&ssl-ca=$tmp/ca.pem');
$cipher" 2>&1)
echo "VERIFY_IDENTITY, right CA: $out"
check "ssl-mode=VERIFY_IDENTITY with its CA: connects with TLS" grep -Eq "^cipher:.+" <<<"$out"
out=$(shell <<<"SELECT pontoon_connect('s', '$TLS_URI?ssl-mode=VERIFY_CA&ssl-ca=$tmp/other.pem');" 2>&1)
echo "VERIFY_CA, another CA: $out"
check "ssl-mode=VERIFY_CA with another CA: refused" grep -q "cannot connect" <<<"$out"
finish
