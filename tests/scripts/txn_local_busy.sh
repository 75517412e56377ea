#!/usr/bin/env bash
# issue 10 item 2: a COMMIT that the local file makes SQLite retry.  A
# transaction writes a local table and a remote one while another
# connection reads the local file, so the local commit would be SQLITE_BUSY.
# Before the fix the remote part was committed anyway (and survived a
# ROLLBACK), and rows written before the retried COMMIT were never sent.
# Now nothing is committed on the server until the local file is written.
source "$(dirname "$0")/lib.bash" "$@"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pg_sql -c "DROP TABLE IF EXISTS public.busy_t; CREATE TABLE public.busy_t(id int PRIMARY KEY, v text)" >/dev/null
out=$(cd "$tmp" && /usr/bin/python3 - "$BUILD/pontoon" "$PONTOON_PG_URI_NOPW" <<'PY' 2>&1
import os, sqlite3, subprocess, sys
so, uri = sys.argv[1], sys.argv[2]
# psql runs without the sanitizer runtimes that the tests preload
env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
def psql(q):
    return subprocess.run(["psql", "-X", "-q", "-t", "-A", uri, "-c", q],
                          capture_output=True, text=True, env=env).stdout.strip()
def remote():
    return psql("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '-') FROM public.busy_t")
a = sqlite3.connect("local.db", isolation_level=None, timeout=0)
a.enable_load_extension(True); a.load_extension(so)
a.execute("CREATE TABLE loc(x)")
a.execute("SELECT pontoon_connect('pg', ?)", (uri,))
a.execute("CREATE VIRTUAL TABLE temp.r USING pontoon(pg, public.busy_t)")
b = sqlite3.connect("local.db", isolation_level=None, timeout=0)
def reader_on():
    b.execute("BEGIN"); b.execute("SELECT count(*) FROM loc").fetchall()
reader_on()
a.execute("BEGIN"); a.execute("INSERT INTO loc VALUES (1)"); a.execute("INSERT INTO r VALUES (1, 'one')")
try:
    a.execute("COMMIT"); print("commit 1: ok")
except sqlite3.OperationalError as e:
    print("commit 1 failed:", e)
print("remote after the busy commit:", remote())
a.execute("INSERT INTO r VALUES (2, 'two')")
b.execute("COMMIT")
a.execute("COMMIT")
print("after the retried commit: remote", remote(), "local", a.execute("SELECT count(*) FROM loc").fetchone()[0])
reader_on()
a.execute("BEGIN"); a.execute("INSERT INTO loc VALUES (2)"); a.execute("INSERT INTO r VALUES (3, 'three')")
try:
    a.execute("COMMIT")
except sqlite3.OperationalError as e:
    print("commit 3 failed:", e)
a.execute("ROLLBACK"); b.execute("COMMIT")
print("after ROLLBACK: remote", remote(), "local", a.execute("SELECT count(*) FROM loc").fetchone()[0])
a.execute("UPDATE r SET v = 'changed' WHERE id = 1")
a.execute("BEGIN"); a.execute("UPDATE r SET v = 'undone' WHERE id = 2"); a.execute("ROLLBACK")
print("later statements:", psql("SELECT string_agg(v, ',' ORDER BY id) FROM public.busy_t"))
PY
)
echo "$out"
check "the busy COMMIT says why and that nothing was committed" \
  grep -q "commit 1 failed: pontoon: COMMIT: the local database is locked by another connection, so nothing was committed" <<<"$out"
check "nothing reached the server before the local file could commit" grep -qx "remote after the busy commit: -" <<<"$out"
check "the retried COMMIT commits the rows written before and after it" grep -qx "after the retried commit: remote 1,2 local 1" <<<"$out"
check "ROLLBACK after a busy COMMIT leaves nothing on the server" grep -qx "after ROLLBACK: remote 1,2 local 1" <<<"$out"
check "later statements are transactions of their own again" grep -qx "later statements: changed,two" <<<"$out"
finish
