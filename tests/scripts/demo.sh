#!/usr/bin/env bash
# The README's demo migration runs to the end against the harness's servers,
# and every validation in it finds the two sides equal.
source "$(dirname "$0")/lib.bash" "$@"
out=$(PONTOON_BUILD=$BUILD bash "$(dirname "$0")/../../sql/demo.sh" 2>&1)
status=$?
echo "$out"
check "the demo exits cleanly" [ "$status" -eq 0 ]
check "users copied: 10000 on both sides" grep -Eq '^10000 +10000 *$' <<<"$out"
check "orders copied: 50000 on both sides" grep -Eq '^50000 +50000 *$' <<<"$out"
check "no row differs, no order without its user" bash -c '[ "$(grep -A2 -E "^(users_differ|orders_differ|orders_without_user)" <<<"$1" | grep -cE "^0 *$")" -eq 3 ]' _ "$out"
check "equal checksums" bash -c '[ "$(grep -A2 -E "^users_same_checksum" <<<"$1" | grep -cE "^1 *$")" -eq 1 ]' _ "$out"
check "the indexes exist on the new side" grep -q "orders_user_id" <<<"$out"
check "pontoon_jobs: both stages copied" bash -c '[ "$(grep -cE "^[12] +old\.(users|orders) -> new\.(users|orders) +verified" <<<"$1")" -eq 2 ]' _ "$out"
check "the demo reaches its end" grep -q "migration done" <<<"$out"
finish
