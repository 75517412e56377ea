# Shared by the script tests: load the harness's environment and give
# small assertion helpers.  Each test prints "N passed, N failed" at the end.
# Usage: source "$(dirname "$0")/lib.bash" "$@"   (args: BUILD_DIR STATE_DIR)
set -uo pipefail
BUILD=$(cd "$1" && pwd)
STATE=$2
# shellcheck disable=SC1091
source "$STATE/env"
unset PGPASSWORD PGSERVICE
export PGPASSFILE=$PONTOON_PG_PASSFILE
PT_PASS=0
PT_FAIL=0
ok()   { PT_PASS=$((PT_PASS + 1)); echo "ok - $*"; }
fail() { PT_FAIL=$((PT_FAIL + 1)); echo "not ok - $*"; }
check() { # check "description" command...
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
  echo "$PT_PASS passed, $PT_FAIL failed"
  [ "$PT_FAIL" -eq 0 ]
}
pg_sql() { env -u LD_PRELOAD psql -X -q -t -A -v ON_ERROR_STOP=1 "$PONTOON_PG_URI_NOPW" "$@"; }
shell() { sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" :memory: "$@"; }
my_sql() { env -u LD_PRELOAD MYSQL_PWD=$PONTOON_MY_PASSWORD mariadb --default-character-set=utf8mb4 -N -B \
  -h "$PONTOON_MY_HOST" -P "$PONTOON_MY_PORT" -u "$PONTOON_MY_USER" "$PONTOON_MY_DB" "$@"; }
MY_URI_NOPW="mysql://$PONTOON_MY_USER@$PONTOON_MY_HOST:$PONTOON_MY_PORT/$PONTOON_MY_DB"
# measure OUTFILE CMD...: run CMD (its output to OUTFILE); prints
# "seconds peak_rss_kib" of it
measure() {
  /usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
out = open(sys.argv[1], "w")
t = time.monotonic()
subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT, check=False)
print("%.3f %d" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}
# check_rss WHAT KIB: peak RSS under 64 MiB (not compared under the
# sanitizer, whose shadow memory dominates)
check_rss() {
  if [ -n "${PONTOON_SANITIZED:-}" ]; then
    echo "(peak RSS is not compared under the sanitizer: its shadow memory dominates)"
  else
    check "$1peak RSS under 64 MiB ($(($2 / 1024)) MiB)" [ "$2" -lt 65536 ]
  fi
}
