#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# with CTest (the tests start and stop their own PostgreSQL and MariaDB).
#   bash tests/run.sh            the whole suite
#   bash tests/run.sh -R pushdown   CTest arguments pass through
#   PONTOON_SANITIZE=1 bash tests/run.sh   the same under ASan + UBSan
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$("$top/tests/setup.sh" | tail -n 1)
ctest --test-dir "$build" --output-on-failure "$@"
