#!/usr/bin/env bash
# Installs what pontoon needs on Debian 12 (when run as root and something is
# missing) and builds it into build/.  Used by tests/run.sh, sql/demo.sh and
# bench/run.sh; safe to run again.
#   PONTOON_BUILD_TYPE   CMake build type (default RelWithDebInfo)
#   PONTOON_SANITIZE=1   build with AddressSanitizer and UBSan (build-asan/)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
packages=(build-essential cmake pkg-config sqlite3 libsqlite3-dev python3
          libpq-dev postgresql-15 postgresql-client-15 postgresql-contrib
          mariadb-server mariadb-client libmariadb-dev
          unixodbc unixodbc-dev odbc-postgresql odbc-mariadb libsqliteodbc openssl
          clang clang-format chromium fonts-dejavu-core dpkg-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # the packages' own services are not used (the harness starts its own
  # servers): keep apt from starting them, for this install only
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
build=build
flags=()
if [ "${PONTOON_SANITIZE:-0}" = 1 ]; then build=build-asan; flags+=(-DPONTOON_SANITIZE=ON); fi
cmake -S "$top" -B "$top/$build" -DCMAKE_BUILD_TYPE="${PONTOON_BUILD_TYPE:-RelWithDebInfo}" "${flags[@]}" >/dev/null
cmake --build "$top/$build" -j"$(nproc)" >/dev/null
echo "$top/$build"
