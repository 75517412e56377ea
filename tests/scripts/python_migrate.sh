#!/usr/bin/env bash
# issue 16 item 4: the migration driven from Python's sqlite3 in
# docs/python.md runs: the page's ```python block, exactly, against the
# test servers, must print the page's ```text block (load, connect, copy
# with progress rows, diff into a plain list).
source "$(dirname "$0")/lib.bash" "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
export MYSQL_PWD=$PONTOON_MY_PASSWORD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$top/docs/python.md" "$work" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
code = re.findall(r"```python\n(.*?)```", text, re.S)
out = re.findall(r"```text\n(.*?)```", text, re.S)
open(sys.argv[2] + "/migrate.py", "w", encoding="utf-8").write(code[0] if code else "")
open(sys.argv[2] + "/expected", "w", encoding="utf-8").write(out[0] if out else "")
PY
check "docs/python.md has the program and its output" [ -s "$work/migrate.py" ] && [ -s "$work/expected" ]
# a run before this one left the job in the target's ledger (absent on a first run)
for t in pontoon_chunk pontoon_job; do
  my_sql -e "DELETE FROM $t WHERE job = 'py_orders -> py_orders_new'" 2>/dev/null
done
(cd "$work" && PONTOON="$BUILD/pontoon" PG_URI="$PONTOON_PG_URI_NOPW" MY_URI="$MY_URI_NOPW" \
  /usr/bin/python3 migrate.py >"$work/actual" 2>&1)
rc=$?
cat "$work/actual"
check "the program runs to its end" [ "$rc" = 0 ]
check "it prints what the page shows" diff -u "$work/expected" "$work/actual"
got=$(my_sql -e "SELECT count(*), sum(total) FROM py_orders_new")
want=$(pg_sql -F $'\t' -c "SELECT count(*), sum(total) - 42 * 1.25 FROM public.py_orders")
check "the target holds the source's rows but the one changed ($got / $want)" [ "$got" = "$want" ]
finish
