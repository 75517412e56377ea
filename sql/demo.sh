#!/usr/bin/env bash
# The demo migration, from nothing: installs what is missing, builds, starts
# throwaway servers, loads the old shop into MariaDB (database `shop`), and
# runs sql/demo_migration.sql in the sqlite3 shell to move it into
# PostgreSQL (database `shop_new`).
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
export MYSQL_PWD=$PONTOON_MY_PASSWORD
echo "== loading the old shop into MariaDB, database $PONTOON_MY_DB"
env -u LD_PRELOAD mariadb --default-character-set=utf8mb4 -h "$PONTOON_MY_HOST" -P "$PONTOON_MY_PORT" \
  -u "$PONTOON_MY_USER" "$PONTOON_MY_DB" <"$top/sql/demo_old_shop.my.sql" >/dev/null
echo "== migrating MariaDB $PONTOON_MY_DB -> PostgreSQL $PONTOON_PG_DB2 through pontoon"
sqlite3 -batch -bail -init /dev/null \
  -cmd ".load $build/pontoon" \
  -cmd ".output /dev/null" \
  -cmd "SELECT pontoon_connect('old', 'mysql://$PONTOON_MY_USER@$PONTOON_MY_HOST:$PONTOON_MY_PORT/$PONTOON_MY_DB')" \
  -cmd "SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW')" \
  -cmd ".output stdout" \
  :memory: <"$top/sql/demo_migration.sql"
