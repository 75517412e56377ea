#!/usr/bin/env bash
# issue 10 item 7: a database file from someone else must not reach a server.
# In SQLite 3.40.1 a CHECK constraint of a file ran pontoon_exec and
# pontoon_connect (SQLITE_DIRECTONLY did not stop it, nor trusted_schema=off).
# Hostile files are made here with the plain sqlite3 shell (pontoon not
# loaded; the schema is rewritten through writable_schema, as an attacker
# would), with the network functions in CHECK, generated columns (VIRTUAL and
# STORED), DEFAULT, views, triggers, partial-index WHERE and expression
# indexes.  Each is attached to a session with a registered server and
# triggered (INSERT, UPDATE, SELECT, PRAGMA integrity_check, REINDEX, VACUUM)
# with PRAGMA trusted_schema on and off: on the server no row may change,
# and the registered server must not be re-pointed.  Calls typed by the user
# still work.
source "$(dirname "$0")/lib.bash" "$@"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pg_sql -c "DROP TABLE IF EXISTS sec_hits; CREATE TABLE sec_hits(n int); INSERT INTO sec_hits VALUES (42)" >/dev/null
hits() { pg_sql -c "SELECT string_agg(n::text, ',' ORDER BY n) FROM sec_hits"; }

# the calls an attacker would plant: remote writes, re-pointing the server,
# dropping it, counting with a writing WHERE, importing
calls=(
  "pontoon_exec('pg','INSERT INTO sec_hits VALUES (1)')"
  "pontoon_exec('pg','DELETE FROM sec_hits')"
  "pontoon_connect('pg','postgresql://evil@127.0.0.1:1/x')"
  "pontoon_disconnect('pg')"
  "pontoon_count('r','true')"
  "pontoon_import('pg','main')"
)
# mk FILE DDL SETUP FUNCTION [PLACEHOLDER]: DDL written with a built-in
# function of the same arity (nullif, or abs for one argument) in place of
# the call, then the schema text rewritten to call FUNCTION
mk() {
  sqlite3 -batch -init /dev/null "$1" "$2" "$3" "PRAGMA writable_schema=ON" \
    "UPDATE sqlite_schema SET sql = replace(sql, '${5:-nullif}(', '$4(')" 2>&1 || echo "cannot make $1"
}
n=0
for call in "${calls[@]}"; do
  fn=${call%%(*}
  ph=nullif
  case $call in *"','"*) ;; *) ph=abs ;; esac
  x="$ph(${call#*(}"
  n=$((n + 1))
  mk "$dir/check$n.db" "CREATE TABLE t(a, CHECK (coalesce($x, 0) IS NOT NULL))" "INSERT INTO t VALUES (0)" "$fn" $ph
  mk "$dir/genv$n.db" "CREATE TABLE t(a, b AS (coalesce($x, 0)) VIRTUAL)" "INSERT INTO t(a) VALUES (0)" "$fn" $ph
  mk "$dir/gens$n.db" "CREATE TABLE t(a, b AS (coalesce($x, 0)) STORED)" "INSERT INTO t(a) VALUES (0)" "$fn" $ph
  mk "$dir/default$n.db" "CREATE TABLE t(a, b DEFAULT (coalesce($x, 0)))" "INSERT INTO t(a, b) VALUES (0, 0)" "$fn" $ph
  mk "$dir/view$n.db" "CREATE TABLE t(a); CREATE VIEW v AS SELECT coalesce($x, 0) AS x FROM t" "INSERT INTO t VALUES (0)" "$fn" $ph
  mk "$dir/trigger$n.db" "CREATE TABLE t(a); CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT coalesce($x, 0); END; CREATE TRIGGER gu AFTER UPDATE ON t BEGIN SELECT coalesce($x, 0); END" "SELECT 1" "$fn" $ph
  mk "$dir/partial$n.db" "CREATE TABLE t(a); CREATE INDEX i ON t(a) WHERE coalesce($x, 0) IS NOT NULL" "INSERT INTO t VALUES (0)" "$fn" $ph
  mk "$dir/expridx$n.db" "CREATE TABLE t(a); CREATE INDEX i ON t(coalesce($x, 0))" "INSERT INTO t VALUES (0)" "$fn" $ph
done

stmts=("INSERT INTO h.t(a) VALUES (1);" "UPDATE h.t SET a = a + 1;" "SELECT * FROM h.t;"
       "SELECT * FROM h.v;" "PRAGMA h.integrity_check;" "REINDEX h.t;" "VACUUM h;"
       "INSERT INTO h.t(a) SELECT 5 WHERE pontoon_exec('pg', 'SELECT 1') >= 0;")
pg_sql -c "DROP TABLE IF EXISTS sec_r; CREATE TABLE sec_r(a int)" >/dev/null
before=$(hits)
bad=0
total=0
for f in "$dir"/*.db; do
  for ts in 1 0; do
    cp "$f" "$dir/x.sqlite"
    # one session per file: every statement runs (the shell goes on after an error)
    out=$(shell 2>&1 <<SQL
PRAGMA trusted_schema=$ts;
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE r USING pontoon(pg, sec_r);
ATTACH '$dir/x.sqlite' AS h;
$(printf '%s\n' "${stmts[@]}")
DETACH h;
SELECT 'servers', name || ' ' || port || ' ' || database FROM pontoon_servers;
SELECT 'direct', pontoon_exec('pg', 'SELECT 1');
SQL
)
    total=$((total + ${#stmts[@]}))
    now=$(hits)
    if [ "$now" != "$before" ]; then
      bad=$((bad + 1)); echo "REACHED THE SERVER: $(basename "$f") trusted_schema=$ts"; echo "$out"
      pg_sql -c "DELETE FROM sec_hits; INSERT INTO sec_hits VALUES (42)" >/dev/null
    elif ! grep -qx "servers|pg $PONTOON_PG_PORT $PONTOON_PG_DB" <<<"$out" || ! grep -qx "direct|1" <<<"$out"; then
      bad=$((bad + 1)); echo "SERVER RE-POINTED OR DIRECT CALL BROKEN: $(basename "$f") trusted_schema=$ts"; echo "$out"
    fi
  done
done
echo "$total attempts"
check "no planted call reached the server or re-pointed it ($bad of $total did)" [ "$bad" -eq 0 ]

# the refusal itself, and its message
mk "$dir/plain.db" "CREATE TABLE t(a, CHECK (coalesce(nullif('pg','DELETE FROM sec_hits'), 0) IS NOT NULL))" "SELECT 1" pontoon_exec
out=$(shell "SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW')" "ATTACH '$dir/plain.db' AS h" \
  "INSERT INTO h.t VALUES (1)" 2>&1)
echo "$out"
check "a CHECK constraint's call is refused" grep -q "pontoon_exec: refused: only a statement that calls pontoon_exec itself" <<<"$out"
out=$(shell "SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW')" "ATTACH '$dir/plain.db' AS h" \
  "INSERT INTO h.t SELECT pontoon_exec('pg', 'SELECT 1')" 2>&1)
echo "$out"
check "...also from a statement that names the function: refused, naming the table" \
  grep -q "pontoon_exec: refused: h.t calls pontoon_exec in its definition" <<<"$out"
check "nothing was written locally either" [ "$(sqlite3 "$dir/plain.db" 'SELECT count(*) FROM t' 2>&1)" = 0 ]

# the file opened as the main database (the attacker's usual way)
cp "$dir/check1.db" "$dir/main.sqlite"
out=$(sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" "$dir/main.sqlite" \
  "SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW')" "INSERT INTO t VALUES (1)" "PRAGMA integrity_check" 2>&1)
echo "$out"
check "opened as main: nothing reaches the server" [ "$(hits)" = "$before" ]

# calls typed by the user work, and a temp trigger of the user's is not the user typing
out=$(shell 2>&1 <<SQL
SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');
CREATE VIRTUAL TABLE r USING pontoon(pg, sec_r);
SELECT pontoon_exec('pg', 'INSERT INTO sec_hits VALUES (\$1)', 7);
SELECT "PONTOON_EXEC" /* spaced */ ('pg', 'DELETE FROM sec_hits WHERE n = 7');
SELECT pontoon_count('r');
CREATE TEMP TABLE l(a);
CREATE TEMP TRIGGER lt AFTER INSERT ON l BEGIN SELECT pontoon_exec('pg', 'INSERT INTO sec_hits VALUES (8)'); END;
INSERT INTO l VALUES (1);
SELECT 'pontoon_exec(''pg'', ''x'')', pontoon_disconnect('pg');
SQL
)
echo "$out"
check "direct calls work" [ "$(head -n 4 <<<"$out" | tr '\n' ' ')" = "postgresql 1 1 0 " ]
check "a temp trigger's call is refused" grep -q "pontoon_exec: refused: only a statement that calls pontoon_exec itself" <<<"$out"
check "pontoon_disconnect typed by the user works" [ "$(tail -n 1 <<<"$out")" = "pontoon_exec('pg', 'x')|1" ]
check "server rows unchanged" [ "$(hits)" = "$before" ]
pg_sql -c "DROP TABLE sec_hits; DROP TABLE sec_r" >/dev/null
finish
