#!/usr/bin/env bash
# The demo migration, from nothing: installs what is missing, builds, starts
# throwaway servers, loads the old shop into MariaDB (database `shop`),
# starts the shop's writer (orders placed, paid, shipped, returned and
# purged on the old side, ~30 writes a second, until the freeze), and runs
# sql/demo_migration.sql in the sqlite3 shell to move the shop into
# PostgreSQL (database `shop_new`) while it keeps taking orders.
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
mariadb_() {
  env -u LD_PRELOAD mariadb --default-character-set=utf8mb4 -h "$PONTOON_MY_HOST" \
    -P "$PONTOON_MY_PORT" -u "$PONTOON_MY_USER" "$PONTOON_MY_DB" "$@"
}
tmp=$(mktemp -d)
writer_pid=
cleanup() {
  touch "$tmp/stop"
  if [ -n "$writer_pid" ]; then wait "$writer_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== loading the old shop into MariaDB, database $PONTOON_MY_DB"
mariadb_ <"$top/sql/demo_old_shop.my.sql" >/dev/null

# The shop's writer: one client session of the old shop placing orders
# (new ids from AUTO_INCREMENT, above the 50,000 of the seed), paying and
# shipping them, changing and returning older ones, and purging a few old
# ones, about 30 statements a second.  It stops when $tmp/stop exists, after
# its last statement; $tmp/writer.done then holds the client's exit status
# and what it sent.
orders_sql() {
  local i=0 placed=0 changed=0 purged=0 id
  while [ ! -e "$tmp/stop" ]; do
    i=$((i + 1))
    echo "INSERT INTO orders (user_id, total, status, placed_at) VALUES ($((RANDOM % 10000 + 1)), $((RANDOM % 50000)) / 100, 'new', now());"
    placed=$((placed + 1))
    echo "UPDATE orders SET status = 'paid' WHERE status = 'new' AND id > 50000 ORDER BY id LIMIT 1;"
    id=$(((RANDOM << 15 | RANDOM) % 50000 + 1))
    echo "UPDATE orders SET status = ELT(1 + $i % 3, 'paid', 'shipped', 'returned') WHERE id = $id;"
    changed=$((changed + 2))
    if [ $((i % 3)) = 0 ]; then
      echo "UPDATE orders SET status = 'shipped', note = 'shipped during the move' WHERE status = 'paid' AND id > 50000 ORDER BY id LIMIT 1;"
      changed=$((changed + 1))
    fi
    if [ $((i % 10)) = 0 ]; then
      echo "DELETE FROM orders WHERE id = $(((RANDOM << 15 | RANDOM) % 50000 + 1));"
      purged=$((purged + 1))
    fi
    sleep 0.1
  done
  echo "$placed $changed $purged" >"$tmp/writer.sent"
}
(
  set +e
  orders_sql | mariadb_ >/dev/null
  echo "$? $(cat "$tmp/writer.sent" 2>/dev/null)" >"$tmp/writer.tmp"
  mv "$tmp/writer.tmp" "$tmp/writer.done"
) &
writer_pid=$!
# what the migration script runs (.shell) to stop the writer before the freeze
cat >"$tmp/stop_writer" <<EOS
touch "$tmp/stop"
while [ ! -e "$tmp/writer.done" ]; do sleep 0.1; done
read -r status placed changed purged <"$tmp/writer.done"
echo "the writer stopped (exit status \$status): \$placed orders placed, \$changed changed, \$purged purged"
EOS
export PONTOON_DEMO_STOP_WRITER="sh $tmp/stop_writer"
echo "== the old shop takes orders meanwhile (a writer on MariaDB, about 30 writes a second)"

echo "== migrating MariaDB $PONTOON_MY_DB -> PostgreSQL $PONTOON_PG_DB2 through pontoon"
sqlite3 -batch -bail -init /dev/null \
  -cmd ".load $build/pontoon" \
  -cmd ".output /dev/null" \
  -cmd "SELECT pontoon_connect('old', 'mysql://$PONTOON_MY_USER@$PONTOON_MY_HOST:$PONTOON_MY_PORT/$PONTOON_MY_DB')" \
  -cmd "SELECT pontoon_connect('new', '$PONTOON_PG_URI2_NOPW')" \
  -cmd ".output stdout" \
  :memory: <"$top/sql/demo_migration.sql"
read -r status placed changed purged <"$tmp/writer.done"
[ "$status" = 0 ] || { echo "demo: the writer failed (exit status $status)" >&2; exit 1; }
