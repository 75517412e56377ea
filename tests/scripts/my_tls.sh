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

# issue 17 item 1: the host name is checked by VERIFY_IDENTITY, not by
# VERIFY_CA: a certificate of the right CA naming another host, swapped in
# with FLUSH SSL
openssl_q req -newkey rsa:2048 -nodes -subj "/CN=wrong.invalid" -keyout wrong.key -out wrong.csr
printf 'subjectAltName=DNS:wrong.invalid\n' >wrong.ext
openssl_q x509 -req -in wrong.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile wrong.ext -out wrong.pem
cp server.pem good.pem
cp server.key good.key
swap() { # swap NAME: the server's certificate and key, reloaded
  cp "$1.pem" server.pem
  cp "$1.key" server.key
  if [ "$(id -u)" -eq 0 ]; then chown nobody: server.pem server.key; fi
  env -u LD_PRELOAD mariadb --no-defaults -h 127.0.0.1 -P "$port" -u x -e 'FLUSH SSL'
}
swap wrong
out=$(shell <<<"SELECT pontoon_connect('s', '$TLS_URI?ssl-mode=VERIFY_IDENTITY&ssl-ca=$tmp/ca.pem');" 2>&1)
echo "VERIFY_IDENTITY, a certificate for another host: $out"
check "ssl-mode=VERIFY_IDENTITY with a certificate naming another host: refused" \
  grep -Eq "cannot connect.*(mismatch|does not match|Validation of SSL server certificate failed)" <<<"$out"
# MariaDB Connector/C has no check of the CA alone: VERIFY_CA checks the
# host name too (stricter, never weaker; docs/mysql.md)
out=$(shell <<<"SELECT pontoon_connect('s', '$TLS_URI?ssl-mode=VERIFY_CA&ssl-ca=$tmp/ca.pem');" 2>&1)
echo "VERIFY_CA, a certificate for another host: $out"
check "ssl-mode=VERIFY_CA with a certificate naming another host: refused too" \
  grep -q "cannot connect.*Validation of SSL server certificate failed" <<<"$out"
swap good

# ODBC (MariaDB Connector/ODBC): verification on, with the CA and another
odbc="odbc:Driver={MariaDB};Server=127.0.0.1;Port=$port;Database=mysql;User=x"
out=$(shell <<<"SELECT pontoon_connect('s', '$odbc;SSLVERIFY=1;SSLCA=$tmp/ca.pem');
$cipher" 2>&1)
echo "ODBC, verified, right CA: $out"
check "ODBC with SSLVERIFY and its CA: connects with TLS" grep -Eq "^cipher:.+" <<<"$out"
out=$(shell <<<"SELECT pontoon_connect('s', '$odbc;SSLVERIFY=1;SSLCA=$tmp/other.pem');" 2>&1)
echo "ODBC, verified, another CA: $out"
check "ODBC with SSLVERIFY and another CA: refused" grep -q "cannot connect" <<<"$out"

# copy and diff over verified TLS, MariaDB to MariaDB
env -u LD_PRELOAD mariadb --no-defaults -h 127.0.0.1 -P "$port" -u x -e "CREATE DATABASE t; USE t;
  CREATE TABLE t.a (id int PRIMARY KEY, v varchar(20)); CREATE TABLE t.b (id int PRIMARY KEY, v varchar(20));
  INSERT INTO t.a SELECT seq, CONCAT('row ', seq) FROM seq_1_to_3000"
out=$(shell 2>&1 <<SQL
.output /dev/null
SELECT pontoon_connect('s', 'mysql://x@127.0.0.1:$port/t?ssl-mode=VERIFY_IDENTITY&ssl-ca=$tmp/ca.pem');
CREATE VIRTUAL TABLE a USING pontoon(s, a);
CREATE VIRTUAL TABLE b USING pontoon(s, b);
SELECT * FROM pontoon_copy('a', 'b', 'job=tls');
.output stdout
SELECT 'copied', count(*) FROM b;
SELECT 'diff', count(*) FROM pontoon_diff('a', 'b');
$cipher
SQL
)
echo "$out"
check "copy over verified TLS" grep -qx "copied|3000" <<<"$out"
check "diff over verified TLS" grep -qx "diff|0" <<<"$out"
check "... with TLS" grep -Eq "^cipher:.+" <<<"$out"
finish
