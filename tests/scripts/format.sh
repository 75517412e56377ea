#!/usr/bin/env bash
# The C sources are formatted with the tree's .clang-format (clang-format
# from Debian, installed by tests/setup.sh): a file that is not fails the
# test with the lines clang-format would change.
source "$(dirname "$0")/lib.bash" "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
cf=$(command -v clang-format || command -v clang-format-14 || true)
check "clang-format is installed" [ -n "$cf" ]
if [ -n "$cf" ]; then
  bad=0
  for f in $(git ls-files 'vtab/*.c' 'vtab/*.h' 'loadable/*.c' 'tests/unit/*.c' 'tests/fuzz/*.c' 'tests/fuzz/*.h' 'bench/*.c' 2>/dev/null); do
    if ! "$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "not formatted: $f"
      "$cf" --style=file "$f" | diff "$f" - | head -10
      bad=$((bad + 1))
    fi
  done
  check "every C file is formatted with .clang-format ($bad are not)" [ "$bad" = 0 ]
fi
finish
