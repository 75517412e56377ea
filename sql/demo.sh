#!/usr/bin/env bash
# The demo migration, from nothing: installs what is missing, builds, starts
# throwaway servers, loads the old shop into the database `shop`, and runs
# sql/demo_migration.sql in the sqlite3 shell to move it into `shop_new`.
#   bash sql/demo.sh
# With the harness's environment already loaded (PONTOON_HARNESS_DIR set),
# it uses those servers instead of starting its own.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PONTOON_HARNESS_DIR:-}" ]; then
  build=$("$top/tests/setup.sh" | tail -n 1)
  exec "$top/tests/harness.sh" run -- env PONTOON_BUILD="$build" bash "$0" "$@"
fi
build=${PONTOON_BUILD:-$top/build}
export PGPASSFILE=$PONTOON_PG_PASSFILE
echo "== loading the old shop into database $PONTOON_PG_DB"
env -u LD_PRELOAD psql -X -q -v ON_ERROR_STOP=1 "$PONTOON_PG_URI_NOPW" -f "$top/sql/demo_old_shop.pg.sql"
echo "== migrating $PONTOON_PG_DB -> $PONTOON_PG_DB2 through pontoon"
sqlite3 -batch -bail -init /dev/null \
  -cmd ".load $build/pontoon" \
  -cmd ".output /dev/null" \
  -cmd "SELECT pontoon_connect('old', '$PONTOON_PG_URI_NOPW')" \
  -cmd "SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW')" \
  -cmd ".output stdout" \
  :memory: <"$top/sql/demo_migration.sql"
