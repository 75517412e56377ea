#!/usr/bin/env bash
# The extension loads in Python's sqlite3 module (Debian's python3), not only
# in the sqlite3 shell, and reads a remote table there.
source "$(dirname "$0")/lib.bash" "$@"
out=$(/usr/bin/python3 - "$BUILD/pontoon" "$PONTOON_PG_URI_NOPW" <<'PY' 2>&1
import sqlite3, sys
con = sqlite3.connect(":memory:")
con.enable_load_extension(True)
con.load_extension(sys.argv[1])
con.enable_load_extension(False)
print(con.execute("SELECT pontoon_connect('pg', ?)", (sys.argv[2],)).fetchone()[0])
con.execute("CREATE VIRTUAL TABLE nums USING pontoon(pg, query='SELECT g AS n, g * 2 AS twice FROM generate_series(1, 1000) AS g')")
print(con.execute("SELECT count(*), sum(twice) FROM nums WHERE n > 500").fetchone())
try:
    con.execute("SELECT * FROM nums2").fetchall()
except sqlite3.OperationalError as e:
    print("error:", e)
PY
)
echo "$out"
check "python loads the module and connects" grep -qx "postgresql" <<<"$out"
check "python reads a remote query" grep -qx "(500, 750500)" <<<"$out"
check "python sees SQLite errors" grep -q "error: no such table: nums2" <<<"$out"
finish
