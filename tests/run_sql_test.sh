#!/usr/bin/env bash
# Runs one regression test the way pg_regress does: tests/sql/NAME.sql goes
# through the real sqlite3 shell with the extension loaded, and its output is
# compared with tests/expected/NAME.out; a difference is printed as a diff.
#
#   tests/run_sql_test.sh NAME BUILD_DIR HARNESS_STATE_DIR
#
# Before the script runs, tests/fixtures/NAME.pg.sql (if any) is loaded into
# the harness's PostgreSQL with psql, and tests/fixtures/NAME.my.sql into its
# MariaDB with the mariadb client.  @MY_URI_NOPW@ connects to MariaDB with
# the password from MYSQL_PWD.  In the script, @PG_URI@ (with the
# password), @PG_URI_NOPW@, @PG_HOST@, @PG_PORT@, @PG_DB@, @PG_USER@,
# @PG_PASSWORD@, @MY_PASSWORD@, @PG_URI2@, @BUILD@, @TESTS@ (this folder: for
# .read of a shared .inc file) and @TMP@ are replaced; scripts connect
# with @PG_URI_NOPW@ (the password comes from the harness's password file).  In the output,
# the harness's ports and temporary paths are replaced back by @PG_PORT@ and
# @TMP@ so the expected files are stable; the password never is: a test
# fails if the password appears anywhere in its output.
#
# PONTOON_ACCEPT=1 writes the actual output over the expected file.
set -euo pipefail
name=$1
build=$(cd "$2" && pwd)
state=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$state/env"

out_dir="$build/tests/out"
mkdir -p "$out_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Tests connect with @PG_URI_NOPW@ and libpq finds the password in the
# harness's password file; a test that puts the password in a URI turns
# .echo off around that statement.
unset PGPASSWORD PGSERVICE
export PGPASSFILE=${PONTOON_PG_PASSFILE:-/nonexistent}

if [ -f "$here/fixtures/$name.pg.sql" ]; then
  env -u LD_PRELOAD PGPASSWORD=$PONTOON_PG_PASSWORD psql -X -q -v ON_ERROR_STOP=1 \
    "$PONTOON_PG_URI_NOPW" -f "$here/fixtures/$name.pg.sql" >"$tmp/fixture.log" 2>&1 || {
      echo "fixture $name.pg.sql failed:"; cat "$tmp/fixture.log"; exit 1; }
fi

if [ -f "$here/fixtures/$name.my.sql" ]; then
  env -u LD_PRELOAD MYSQL_PWD=$PONTOON_MY_PASSWORD mariadb --default-character-set=utf8mb4 \
    -h "$PONTOON_MY_HOST" -P "$PONTOON_MY_PORT" -u "$PONTOON_MY_USER" "$PONTOON_MY_DB" \
    <"$here/fixtures/$name.my.sql" >"$tmp/fixture.log" 2>&1 || {
      echo "fixture $name.my.sql failed:"; cat "$tmp/fixture.log"; exit 1; }
fi
MY_URI_NOPW="mysql://$PONTOON_MY_USER@$PONTOON_MY_HOST:$PONTOON_MY_PORT/$PONTOON_MY_DB"

sed -e "s|@PG_URI_NOPW@|$PONTOON_PG_URI_NOPW|g" \
    -e "s|@MY_URI_NOPW@|$MY_URI_NOPW|g" \
    -e "s|@MY_URI@|$PONTOON_MY_URI|g" \
    -e "s|@MY_PORT@|$PONTOON_MY_PORT|g" \
    -e "s|@MY_PASSWORD@|$PONTOON_MY_PASSWORD|g" \
    -e "s|@PG_URI2@|$PONTOON_PG_URI2|g" \
    -e "s|@PG_URI@|$PONTOON_PG_URI|g" \
    -e "s|@PG_HOST@|$PONTOON_PG_HOST|g" \
    -e "s|@PG_PORT@|$PONTOON_PG_PORT|g" \
    -e "s|@PG_DB@|$PONTOON_PG_DB|g" \
    -e "s|@PG_USER@|$PONTOON_PG_USER|g" \
    -e "s|@PG_PASSWORD@|$PONTOON_PG_PASSWORD|g" \
    -e "s|@BUILD@|$build|g" \
    -e "s|@TESTS@|$here|g" \
    -e "s|@TMP@|$tmp|g" \
    "$here/sql/$name.sql" >"$tmp/test.sql"

(cd "$tmp" && MYSQL_PWD=$PONTOON_MY_PASSWORD PONTOON_TEST_TMP=$tmp stdbuf -o0 -e0 sqlite3 -batch -init /dev/null -cmd ".load $build/pontoon" \
    -cmd ".echo on" <"$tmp/test.sql") >"$tmp/raw.out" 2>&1 || true

for pw in "$PONTOON_PG_PASSWORD" "$PONTOON_MY_PASSWORD"; do
  if grep -qF -- "$pw" "$tmp/raw.out"; then
    echo "FAIL: a server password appears in the output of $name"
    grep -nF -- "$pw" "$tmp/raw.out" | sed "s|$pw|<password>|g"
    exit 1
  fi
done

sed -e "s|$tmp|@TMP@|g" -e "s|$build|@BUILD@|g" -e "s|$here|@TESTS@|g" \
    -e "s|port $PONTOON_PG_PORT|port @PG_PORT@|g" -e "s|:$PONTOON_PG_PORT|:@PG_PORT@|g" \
    -e "s|\b$PONTOON_PG_PORT\b|@PG_PORT@|g" \
    -e "s|:$PONTOON_MY_PORT|:@MY_PORT@|g" -e "s|\b$PONTOON_MY_PORT\b|@MY_PORT@|g" \
    "$tmp/raw.out" >"$out_dir/$name.out"

if [ "${PONTOON_ACCEPT:-}" = 1 ]; then
  cp "$out_dir/$name.out" "$here/expected/$name.out"
  echo "accepted $name"
  exit 0
fi
if ! diff -u "$here/expected/$name.out" "$out_dir/$name.out"; then
  echo "FAIL: $name (actual output in $out_dir/$name.out)"
  exit 1
fi
echo "ok: $name"
