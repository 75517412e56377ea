#!/usr/bin/env bash
# The examples in docs/ run: every ```sql block of a page, in order, in one
# sqlite3 session per page, must print exactly the ```output block that
# follows it.  Before a page runs, the extension is loaded and the servers
# `pg` (PostgreSQL, database shop) and `my` (MariaDB, database shop) are
# registered; tests/fixtures/docs.pg.sql and docs.my.sql hold their data.
# In a block, @PG_URI@ and @MY_URI@ stand for the servers' URIs (without
# password: it comes from the password file and MYSQL_PWD).
# PONTOON_ACCEPT=1 rewrites the output blocks from what the examples print.
source "$(dirname "$0")/lib.bash" "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
export MYSQL_PWD=$PONTOON_MY_PASSWORD
pg_sql -f "$top/tests/fixtures/docs.pg.sql" >/dev/null
my_sql <"$top/tests/fixtures/docs.my.sql"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for page in "$top"/docs/*.md; do
  name=$(basename "$page" .md)
  # split the page: blocks/N.sql, blocks/N.expected
  rm -rf "$work/b"; mkdir -p "$work/b"
  python3 - "$page" "$work/b" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"```sql\n(.*?)```\s*```output\n(.*?)```", text, re.S)
for i, (sql, out) in enumerate(blocks):
    open(f"{sys.argv[2]}/{i:03d}.sql", "w", encoding="utf-8").write(sql)
    open(f"{sys.argv[2]}/{i:03d}.expected", "w", encoding="utf-8").write(out)
PY
  n=$(ls "$work/b" | grep -c '\.sql$' || true)
  [ "$n" -gt 0 ] || continue
  # one session: preamble, then each block followed by a marker
  {
    echo ".output /dev/null"
    echo "SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');"
    echo "SELECT pontoon_connect('my', '$MY_URI_NOPW');"
    echo ".output stdout"
    echo ".mode list"
    echo ".headers on"
    for f in "$work"/b/*.sql; do
      sed -e "s|@PG_URI@|$PONTOON_PG_URI_NOPW|g" -e "s|@MY_URI@|$MY_URI_NOPW|g" "$f"
      echo ".print --8<--"
    done
  } >"$work/page.sql"
  (cd "$work" && stdbuf -o0 -e0 sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" :memory: \
     <"$work/page.sql" >"$work/page.out" 2>&1) || true
  python3 - "$work/page.out" "$work/b" "$PONTOON_PG_PORT" "$PONTOON_MY_PORT" <<'PY'
import re, sys
out = open(sys.argv[1], encoding="utf-8").read()
parts = out.split("--8<--\n")
for i, part in enumerate(parts[:-1]):
    part = re.sub(r"near line \d+", "near line N", part)
    part = part.replace(":" + sys.argv[3], ":PGPORT").replace(":" + sys.argv[4], ":MYPORT")
    part = part.replace('port ' + sys.argv[3], 'port PGPORT')
    open(f"{sys.argv[2]}/{i:03d}.actual", "w", encoding="utf-8").write(part)
PY
  if [ "${PONTOON_ACCEPT:-}" = 1 ]; then
    python3 - "$page" "$work/b" <<'PY'
import os, re, sys
page, d = sys.argv[1], sys.argv[2]
text = open(page, encoding="utf-8").read()
i = 0
def repl(m):
    global i
    p = f"{d}/{i:03d}.actual"
    actual = open(p, encoding="utf-8").read() if os.path.exists(p) else ""
    i += 1
    return f"```sql\n{m.group(1)}```\n\n```output\n{actual}```"
text = re.sub(r"```sql\n(.*?)```\s*```output\n(.*?)```", repl, text, flags=re.S)
open(page, "w", encoding="utf-8").write(text)
PY
    echo "accepted $name"
    continue
  fi
  for f in "$work"/b/*.sql; do
    base=${f%.sql}
    if [ ! -f "$base.actual" ] || ! diff -u "$base.expected" "$base.actual" >"$work/diff"; then
      fail "docs/$name.md example $(basename "$base"): output differs"
      cat "$work/diff" 2>/dev/null || echo "(no output: the session stopped early)"
    else
      ok "docs/$name.md example $(basename "$base")"
    fi
  done
done
finish
