#!/usr/bin/env bash
# Throwaway database servers for the tests, the demo and the benchmarks: a
# PostgreSQL 15 and a MariaDB 10.11 started from the Debian binaries in a
# private directory, listening on 127.0.0.1 only, on free TCP ports, with
# their unix sockets inside that directory.  The Debian services are never
# used.
#
#   tests/harness.sh start DIR          start the servers, state under DIR, and
#                                       write DIR/env (export VAR='value' lines);
#                                       nothing happens if DIR's servers are up
#   tests/harness.sh stop DIR           stop them (fast), kill leftovers by pid,
#                                       remove the data, DIR/env and DIR/pgpass
#                                       (the logs DIR/pg.log, DIR/my.log stay)
#   tests/harness.sh run -- CMD [ARG...]
#                                       start in a fresh temporary directory, run
#                                       CMD with DIR/env in its environment, stop,
#                                       and exit with CMD's status
#   tests/harness.sh env DIR            print DIR/env
#   tests/harness.sh restart-pg DIR     restart DIR's PostgreSQL (fast stop) on
#                                       the same port
#   tests/harness.sh restart-my DIR     restart DIR's MariaDB (clean shutdown)
#                                       on the same port
#
# PONTOON_HARNESS_ONLY=pg or =mysql starts only that server.
#
# DIR/env sets PONTOON_PG_{HOST,PORT,USER,PASSWORD,DB,DB2,URI,URI_NOPW,URI2},
# PONTOON_PG_PASSFILE (a libpq password file, mode 0600), PONTOON_PG_BIN,
# PGHOST, PGPORT, PGUSER, PGDATABASE (but never PGPASSWORD: the tests choose
# where the password comes from), PONTOON_MY_{HOST,PORT,USER,PASSWORD,DB,DB2,
# URI,URI2,SOCKET} and PONTOON_HARNESS_DIR.  Passwords are random per start.
# ODBC: DIR/odbc holds the harness's odbcinst.ini and odbc.ini (DSNs
# pontoon_pg, pontoon_my with their passwords, pontoon_sqlite on a database
# file); DIR/env sets ODBCSYSINI, ODBCINI and PONTOON_ODBC_SQLITE_DB.
#
# Run as root, the servers run as the unprivileged user `nobody` (PostgreSQL
# refuses to run as root); otherwise as the current user.
set -euo pipefail

PG_BIN=${PONTOON_PG_BIN:-/usr/lib/postgresql/15/bin}
MY_SERVER=/usr/sbin/mariadbd
MY_INSTALL_DB=/usr/bin/mariadb-install-db
MY_CLIENT=/usr/bin/mariadb
MY_ADMIN=/usr/bin/mariadb-admin
HOST=127.0.0.1
APP_USER=pontoon
APP_DB=shop
APP_DB2=shop_new
START_TIMEOUT=30   # seconds to wait for a server to accept connections
STOP_TIMEOUT=15    # seconds to wait for a server to exit before SIGKILL
PORT_TRIES=5       # startups tried on fresh ports after a port clash

note() { echo "harness: $*" >&2; }
die() { echo "harness: $*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: tests/harness.sh start DIR
       tests/harness.sh stop DIR
       tests/harness.sh run -- CMD [ARGS...]
       tests/harness.sh env DIR
(PONTOON_HARNESS_ONLY=pg|mysql starts only one server)
EOF
  exit 2
}

# Client settings from the caller's environment must not steer the
# harness's own connections.
unset_client_env() {
  unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE \
        PGSERVICE PGSERVICEFILE PGOPTIONS PGSSLMODE PGREQUIRESSL PGCONNECT_TIMEOUT \
        PGAPPNAME PGTARGETSESSIONATTRS PGDATA PGSYSCONFDIR PGLOCALEDIR \
        MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_PWD MYSQL_HOME \
        MARIADB_HOST MARIADB_TCP_PORT MARIADB_UNIX_PORT 2>/dev/null || true
}

# 'value' with embedded single quotes escaped: safe to source in any sh.
squote() { local s=$1 q="'\\''"; printf "'%s'" "${s//\'/$q}"; }

random_password() {
  local pw=""
  while [ "${#pw}" -lt 24 ]; do
    pw+=$(head -c 96 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
  done
  printf '%s' "${pw:0:24}"
}

# A TCP port nothing is bound to on 127.0.0.1, below the usual ephemeral
# range so that outgoing connections do not take it meanwhile.
free_port() {
  if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - <<'PY'
import random, socket
for _ in range(500):
    port = random.randint(20000, 32000)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
PY
    return
  fi
  local port _
  for _ in $(seq 500); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free TCP port found on $HOST"
}

# --- who runs the servers ------------------------------------------------

AS_SRV=()      # command prefix that runs a program as the server user
SRV_OWNER=""   # user:group to chown server directories to (root only)
setup_server_user() {
  if [ "$(id -u)" -ne 0 ]; then
    AS_SRV=()
    SRV_OWNER=""
    return
  fi
  local user=${PONTOON_HARNESS_USER:-nobody} uid gid
  uid=$(id -u "$user" 2>/dev/null) || die "running as root needs the unprivileged user '$user' to run the servers"
  gid=$(id -g "$user")
  command -v setpriv >/dev/null || die "setpriv (util-linux) is needed to drop root privileges"
  AS_SRV=(env "HOME=/nonexistent" setpriv "--reuid=$uid" "--regid=$gid" --clear-groups --)
  SRV_OWNER="$uid:$gid"
}

# A directory the server user owns (mode 0700).
make_srv_dir() {
  mkdir -p "$1"
  chmod 700 "$1"
  if [ -n "$SRV_OWNER" ]; then chown "$SRV_OWNER" "$1"; fi
}

# A file the server user may append to.
make_srv_file() {
  : >>"$1"
  chmod 600 "$1"
  if [ -n "$SRV_OWNER" ]; then chown "$SRV_OWNER" "$1"; fi
}

# Closes every file descriptor above 2 (in a subshell about to exec a
# server, so that the servers hold on to none of the caller's pipes).
close_fds() {
  local fd n
  for fd in /proc/"$BASHPID"/fd/*; do
    n=${fd##*/}
    if [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -gt 2 ]; then
      eval "exec $n>&-" 2>/dev/null || true
    fi
  done
}

# Runs a server program as the server user, from /, detached from the
# caller's terminal and session.
as_srv() { (cd / && close_fds && exec setsid -w "${AS_SRV[@]}" "$@"); }

# --- process helpers -----------------------------------------------------

# True if PID is alive and is the program NAME (guards against pid reuse).
pid_is() {
  local pid=$1 name=$2 comm
  [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null || return 1
  kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ] || return 1
  comm=$(ps -o comm= -p "$pid" 2>/dev/null) || return 1
  [ "$comm" = "$name" ]
}

# Waits up to SECONDS for all the given pids (of program NAME) to be gone.
wait_gone() {
  local name=$1 secs=$2 pid alive i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    alive=0
    for pid in "$@"; do
      if pid_is "$pid" "$name"; then alive=1; fi
    done
    [ "$alive" -eq 0 ] && return 0
    sleep 0.1
  done
  return 1
}

# The pids of a process's children that run program NAME.
children_of() {
  local pid=$1 name=$2 c
  for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
    if pid_is "$c" "$name"; then echo "$c"; fi
  done
}

# Last lines of a log, for a failure message.
show_log() {
  local log=$1 from=${2:-0}
  if [ -s "$log" ]; then
    echo "harness: --- last lines of $log ---" >&2
    tail -c +"$((from + 1))" "$log" | tail -n 30 | sed 's/^/harness:   /' >&2
  fi
}

# --- state ---------------------------------------------------------------
#
# DIR/state (sourceable) remembers, from the moment a server is started,
# where its files are and its pid, so that stop works even after a failed
# start or without DIR/env.

DIR=""   # the state directory (absolute)
SRV=""   # where the servers' files live: DIR, or a short path under /tmp

state_set() {  # state_set VAR VALUE
  printf '%s=%s\n' "$1" "$(squote "$2")" >>"$DIR/state"
}

load_state() {
  HARNESS_SRV="" PG_PID="" MY_PID=""
  if [ -f "$DIR/state" ]; then
    # shellcheck disable=SC1091
    source "$DIR/state"
  fi
}

resolve_dir() {
  [ -n "${1:-}" ] || usage
  mkdir -p -- "$1" || die "cannot create $1"
  DIR=$(cd -- "$1" && pwd -P) || die "cannot enter $1"
}

# --- PostgreSQL ----------------------------------------------------------

pg_paths() {
  PG_ROOT=$SRV/pg
  PG_DATA=$PG_ROOT/data
  PG_SOCK=$PG_ROOT          # unix_socket_directories
  PG_LOG=$SRV/pg.log
}

pg_alive() {  # pg_alive PORT
  local pid
  pg_paths
  [ -f "$PG_DATA/postmaster.pid" ] || return 1
  pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 1
  pid_is "$pid" postgres || return 1
  "$PG_BIN/pg_isready" -q -h "$HOST" -p "$1" -t 5 >/dev/null 2>&1
}

pg_start() {
  local pw=$1 locale port attempt from pid ok i
  pg_paths
  make_srv_dir "$PG_ROOT"
  make_srv_file "$PG_LOG"
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN"

  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; else locale=C; fi
  local superpw_file=$PG_ROOT/superuser.pw
  random_password >"$superpw_file"
  chmod 600 "$superpw_file"
  if [ -n "$SRV_OWNER" ]; then chown "$SRV_OWNER" "$superpw_file"; fi

  if ! as_srv "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$superpw_file" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 \
        --locale="$locale" --no-sync >>"$PG_LOG" 2>&1 </dev/null; then
    show_log "$PG_LOG"
    die "PostgreSQL initdb failed"
  fi

  cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- tests/harness.sh ---
listen_addresses = '$HOST'
unix_socket_directories = '$PG_SOCK'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_connections = 100
max_prepared_transactions = 10
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
include = 'harness_port.conf'
EOF
  cat >"$PG_DATA/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   $HOST/32  scram-sha-256
EOF

  ok=0
  for ((attempt = 1; attempt <= PORT_TRIES; attempt++)); do
    port=$(free_port)
    echo "port = $port" >"$PG_DATA/harness_port.conf"
    if [ -n "$SRV_OWNER" ]; then chown "$SRV_OWNER" "$PG_DATA/harness_port.conf"; fi
    from=$(stat -c %s "$PG_LOG")
    # shellcheck disable=SC2094
    if as_srv "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" -s start \
         </dev/null >/dev/null 2>>"$PG_LOG"; then
      pid=$(head -n 1 "$PG_DATA/postmaster.pid")
      state_set PG_PID "$pid"
      ok=1
      break
    fi
    # pg_ctl may give up while the postmaster still runs: stop it.
    if [ -f "$PG_DATA/postmaster.pid" ]; then
      pid=$(head -n 1 "$PG_DATA/postmaster.pid")
      state_set PG_PID "$pid"
      pg_stop
    fi
    if tail -c +"$((from + 1))" "$PG_LOG" | grep -qE 'Address already in use|could not bind'; then
      note "PostgreSQL: port $port is taken, trying another"
      continue
    fi
    show_log "$PG_LOG" "$from"
    die "PostgreSQL did not start"
  done
  [ "$ok" -eq 1 ] || { show_log "$PG_LOG"; die "PostgreSQL: no usable port after $PORT_TRIES tries"; }

  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    if "$PG_BIN/pg_isready" -q -h "$HOST" -p "$port" -t 2 >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  "$PG_BIN/pg_isready" -q -h "$HOST" -p "$port" -t 2 >/dev/null 2>&1 || {
    show_log "$PG_LOG"; die "PostgreSQL is not accepting connections on $HOST:$port"; }

  # Over the unix socket, as the superuser (trust).
  if ! "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$port" -U postgres -d postgres \
        >/dev/null 2>"$PG_ROOT/setup.err" <<EOF
CREATE ROLE $APP_USER LOGIN SUPERUSER PASSWORD '$pw';
CREATE DATABASE $APP_DB OWNER $APP_USER;
CREATE DATABASE $APP_DB2 OWNER $APP_USER;
EOF
  then
    sed 's/^/harness:   /' "$PG_ROOT/setup.err" >&2
    die "PostgreSQL: creating the role and databases failed"
  fi
  rm -f "$PG_ROOT/setup.err"

  # Over TCP with the password: proves scram authentication works.
  if ! PGPASSWORD=$pw PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -t -A \
        -h "$HOST" -p "$port" -U "$APP_USER" -d "$APP_DB" -c 'SELECT 1' >/dev/null 2>"$PG_ROOT/check.err"; then
    sed 's/^/harness:   /' "$PG_ROOT/check.err" >&2
    die "PostgreSQL: cannot log in as $APP_USER over TCP"
  fi
  rm -f "$PG_ROOT/check.err"
  PG_PORT=$port
}

pg_stop() {
  local pid="" pids=() c
  pg_paths
  load_state
  if [ -f "$PG_DATA/postmaster.pid" ]; then pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true); fi
  [ -n "$pid" ] || pid=${PG_PID:-}
  if [ -n "${PG_PID:-}" ] && [ "$PG_PID" != "$pid" ] && pid_is "$PG_PID" postgres; then
    pids+=("$PG_PID")
    for c in $(children_of "$PG_PID" postgres); do pids+=("$c"); done
  fi
  if pid_is "$pid" postgres; then
    pids+=("$pid")
    for c in $(children_of "$pid" postgres); do pids+=("$c"); done
  fi
  [ "${#pids[@]}" -gt 0 ] || return 0
  if [ -d "$PG_DATA" ]; then
    as_srv "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" -s stop \
      </dev/null >/dev/null 2>&1 || true
  fi
  for c in "${pids[@]}"; do
    if pid_is "$c" postgres; then kill -TERM "$c" 2>/dev/null || true; fi
  done
  if ! wait_gone postgres "$STOP_TIMEOUT" "${pids[@]}"; then
    note "PostgreSQL did not stop in ${STOP_TIMEOUT}s: killing it"
    for c in "${pids[@]}"; do
      if pid_is "$c" postgres; then kill -KILL "$c" 2>/dev/null || true; fi
    done
    wait_gone postgres 5 "${pids[@]}" || note "PostgreSQL processes still alive: ${pids[*]}"
  fi
}

# --- MariaDB -------------------------------------------------------------

my_paths() {
  MY_ROOT=$SRV/my
  MY_DATA=$MY_ROOT/data
  MY_SOCK=$MY_ROOT/mysqld.sock
  MY_PIDFILE=$MY_ROOT/mysqld.pid
  MY_TMP=$MY_ROOT/tmp
  MY_LOG=$SRV/my.log
}

my_ping() {
  "$MY_ADMIN" --no-defaults --protocol=socket --socket="$MY_SOCK" -uroot \
    --connect-timeout=2 ping >/dev/null 2>&1
}

my_alive() {
  local pid
  my_paths
  [ -f "$MY_PIDFILE" ] || return 1
  pid=$(cat "$MY_PIDFILE" 2>/dev/null) || return 1
  pid_is "$pid" mariadbd || return 1
  my_ping
}

# my_launch PORT: mariadbd on PORT with the harness's options, in the
# background; its pid in launched (my_start and restart-my share it)
my_launch() {
  (cd / && close_fds && exec setsid "${AS_SRV[@]}" "$MY_SERVER" --no-defaults \
      --datadir="$MY_DATA" --tmpdir="$MY_TMP" \
      --bind-address="$HOST" --port="$1" \
      --socket="$MY_SOCK" --pid-file="$MY_PIDFILE" --log-error="$MY_LOG" \
      --skip-name-resolve --innodb-buffer-pool-size=256M \
      --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
      --innodb-use-native-aio=0 --skip-log-bin \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --local-infile=1 --max-allowed-packet=64M) \
    </dev/null >>"$MY_LOG" 2>&1 &
  launched=$!
}

my_start() {
  local pw=$1 port attempt from pid ok i started
  my_paths
  make_srv_dir "$MY_ROOT"
  make_srv_dir "$MY_TMP"
  make_srv_file "$MY_LOG"
  [ -x "$MY_SERVER" ] || die "MariaDB server not found at $MY_SERVER"

  if ! as_srv "$MY_INSTALL_DB" --no-defaults --datadir="$MY_DATA" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        --tmpdir="$MY_TMP" >>"$MY_LOG" 2>&1 </dev/null; then
    show_log "$MY_LOG"
    die "mariadb-install-db failed"
  fi

  ok=0
  for ((attempt = 1; attempt <= PORT_TRIES; attempt++)); do
    port=$(free_port)
    from=$(stat -c %s "$MY_LOG")
    rm -f "$MY_PIDFILE"
    my_launch "$port"
    started=$launched
    state_set MY_PID "$started"
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
      if ! kill -0 "$started" 2>/dev/null; then break; fi
      if my_ping; then ok=1; break; fi
      sleep 0.1
    done
    if [ "$ok" -eq 1 ]; then
      pid=$(cat "$MY_PIDFILE" 2>/dev/null || echo "$started")
      if [ "$pid" != "$started" ]; then state_set MY_PID "$pid"; fi
      break
    fi
    wait "$started" 2>/dev/null || true
    if tail -c +"$((from + 1))" "$MY_LOG" | grep -qE 'Address already in use|Bind on TCP/IP port'; then
      note "MariaDB: port $port is taken, trying another"
      my_stop
      continue
    fi
    my_stop
    show_log "$MY_LOG" "$from"
    if [ "$i" -ge $((START_TIMEOUT * 10)) ]; then
      die "MariaDB did not accept connections within ${START_TIMEOUT}s"
    fi
    die "MariaDB exited during startup"
  done
  [ "$ok" -eq 1 ] || { show_log "$MY_LOG"; die "MariaDB: no usable port after $PORT_TRIES tries"; }

  # Over the unix socket as root.  mariadb-install-db made root users
  # without a password: only root@localhost stays, which is reachable only
  # through the socket, in a directory only the server user can enter.
  if ! "$MY_CLIENT" --no-defaults --protocol=socket --socket="$MY_SOCK" -uroot \
        >/dev/null 2>"$MY_ROOT/setup.err" <<EOF
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
FLUSH PRIVILEGES;
CREATE USER '$APP_USER'@'$HOST' IDENTIFIED BY '$pw';
CREATE USER '$APP_USER'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO '$APP_USER'@'$HOST' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$APP_USER'@'localhost' WITH GRANT OPTION;
CREATE DATABASE \`$APP_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE DATABASE \`$APP_DB2\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
FLUSH PRIVILEGES;
EOF
  then
    sed 's/^/harness:   /' "$MY_ROOT/setup.err" >&2
    die "MariaDB: creating the user and databases failed"
  fi
  rm -f "$MY_ROOT/setup.err"

  # Over TCP with the password.
  if ! MYSQL_PWD=$pw "$MY_CLIENT" --no-defaults --protocol=tcp -h "$HOST" -P "$port" \
        -u "$APP_USER" --connect-timeout=10 -e 'SELECT 1' "$APP_DB" >/dev/null 2>"$MY_ROOT/check.err"; then
    sed 's/^/harness:   /' "$MY_ROOT/check.err" >&2
    die "MariaDB: cannot log in as $APP_USER over TCP"
  fi
  rm -f "$MY_ROOT/check.err"
  MY_PORT=$port
}

my_stop() {
  local pid="" pids=() p
  my_paths
  load_state
  if [ -f "$MY_PIDFILE" ]; then pid=$(cat "$MY_PIDFILE" 2>/dev/null || true); fi
  for p in "$pid" "${MY_PID:-}"; do
    if pid_is "$p" mariadbd; then pids+=("$p"); fi
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  # SIGTERM makes mariadbd shut down cleanly.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  if ! wait_gone mariadbd "$STOP_TIMEOUT" "${pids[@]}"; then
    note "MariaDB did not stop in ${STOP_TIMEOUT}s: killing it"
    for p in "${pids[@]}"; do
      if pid_is "$p" mariadbd; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    wait_gone mariadbd 5 "${pids[@]}" || note "MariaDB processes still alive: ${pids[*]}"
  fi
}

# --- commands ------------------------------------------------------------

wanted_servers() {
  case "${PONTOON_HARNESS_ONLY:-}" in
    "") echo "pg mysql" ;;
    pg | postgres | postgresql) echo "pg" ;;
    mysql | mariadb | my) echo "mysql" ;;
    *) die "PONTOON_HARNESS_ONLY must be pg or mysql, not '$PONTOON_HARNESS_ONLY'" ;;
  esac
}

# True if DIR/env describes running servers that include the wanted ones.
already_running() {
  [ -f "$DIR/env" ] || return 1
  (env_alive "$1")
}

# (Run in a subshell: it sources DIR/env.)
env_alive() {
  local want=$1 s SRV
  set +u
  # shellcheck disable=SC1091
  source "$DIR/env" >/dev/null 2>&1 || return 1
  SRV=${PONTOON_HARNESS_SRV:-$DIR}
  for s in $want; do
    case " $PONTOON_HARNESS_SERVERS " in *" $s "*) ;; *) return 1 ;; esac
  done
  for s in $PONTOON_HARNESS_SERVERS; do
    case $s in
      pg) pg_alive "$PONTOON_PG_PORT" || return 1 ;;
      mysql) my_alive || return 1 ;;
    esac
  done
}

# ODBC: the harness's own odbcinst.ini and odbc.ini in DIR/odbc (the system
# files are never read or written): the drivers from Debian's packages, and
# a DSN per server with its password, plus a SQLite database file.
ODBC_LIB=/usr/lib/x86_64-linux-gnu/odbc
write_odbc() {
  local pg_pw=$1 my_pw=$2 d=$DIR/odbc
  mkdir -p "$d"
  chmod 700 "$d"
  (
    umask 077
    {
      echo "[PostgreSQL Unicode]"
      echo "Driver = $ODBC_LIB/psqlodbcw.so"
      echo "[MariaDB]"
      echo "Driver = $ODBC_LIB/libmaodbc.so"
      echo "[SQLite3]"
      echo "Driver = $ODBC_LIB/libsqlite3odbc.so"
    } >"$d/odbcinst.ini"
    {
      if [ -n "$pg_pw" ]; then
        printf '[pontoon_pg]\nDriver = PostgreSQL Unicode\nServername = %s\nPort = %s\nDatabase = %s\nUsername = %s\nPassword = %s\n' \
          "$HOST" "$PG_PORT" "$APP_DB" "$APP_USER" "$pg_pw"
      fi
      if [ -n "$my_pw" ]; then
        printf '[pontoon_my]\nDriver = MariaDB\nServer = %s\nPort = %s\nDatabase = %s\nUser = %s\nPassword = %s\n' \
          "$HOST" "$MY_PORT" "$APP_DB" "$APP_USER" "$my_pw"
      fi
      printf '[pontoon_sqlite]\nDriver = SQLite3\nDatabase = %s\n' "$d/pontoon.db"
    } >"$d/odbc.ini"
  )
  rm -f "$d/pontoon.db"
}

write_env() {
  local servers=$1 pg_pw=$2 my_pw=$3 tmp=$DIR/env.tmp
  {
    echo "# Written by tests/harness.sh start; removed by tests/harness.sh stop."
    printf 'export %s=%s\n' PONTOON_HARNESS_DIR "$(squote "$DIR")"
    printf 'export %s=%s\n' PONTOON_HARNESS_SRV "$(squote "$SRV")"
    printf 'export %s=%s\n' PONTOON_HARNESS_SERVERS "$(squote "$servers")"
    if [[ " $servers " == *" pg "* ]]; then
      local uri_host="$HOST:$PG_PORT"
      printf 'export %s=%s\n' \
        PONTOON_PG_BIN "$(squote "$PG_BIN")" \
        PONTOON_PG_HOST "$(squote "$HOST")" \
        PONTOON_PG_PORT "$(squote "$PG_PORT")" \
        PONTOON_PG_USER "$(squote "$APP_USER")" \
        PONTOON_PG_PASSWORD "$(squote "$pg_pw")" \
        PONTOON_PG_DB "$(squote "$APP_DB")" \
        PONTOON_PG_DB2 "$(squote "$APP_DB2")" \
        PONTOON_PG_URI "$(squote "postgresql://$APP_USER:$pg_pw@$uri_host/$APP_DB")" \
        PONTOON_PG_URI_NOPW "$(squote "postgresql://$APP_USER@$uri_host/$APP_DB")" \
        PONTOON_PG_URI2 "$(squote "postgresql://$APP_USER:$pg_pw@$uri_host/$APP_DB2")" \
        PONTOON_PG_URI2_NOPW "$(squote "postgresql://$APP_USER@$uri_host/$APP_DB2")" \
        PONTOON_PG_PASSFILE "$(squote "$DIR/pgpass")" \
        PONTOON_PG_LOG "$(squote "$DIR/pg.log")" \
        PGHOST "$(squote "$HOST")" \
        PGPORT "$(squote "$PG_PORT")" \
        PGUSER "$(squote "$APP_USER")" \
        PGDATABASE "$(squote "$APP_DB")"
    fi
    if [[ " $servers " == *" mysql "* ]]; then
      printf 'export %s=%s\n' \
        PONTOON_MY_HOST "$(squote "$HOST")" \
        PONTOON_MY_PORT "$(squote "$MY_PORT")" \
        PONTOON_MY_USER "$(squote "$APP_USER")" \
        PONTOON_MY_PASSWORD "$(squote "$my_pw")" \
        PONTOON_MY_DB "$(squote "$APP_DB")" \
        PONTOON_MY_DB2 "$(squote "$APP_DB2")" \
        PONTOON_MY_URI "$(squote "mysql://$APP_USER:$my_pw@$HOST:$MY_PORT/$APP_DB")" \
        PONTOON_MY_URI2 "$(squote "mysql://$APP_USER:$my_pw@$HOST:$MY_PORT/$APP_DB2")" \
        PONTOON_MY_SOCKET "$(squote "$MY_SOCK")" \
        PONTOON_MY_LOG "$(squote "$DIR/my.log")"
    fi
    if [ -d "$DIR/odbc" ]; then
      printf 'export %s=%s\n' \
        ODBCSYSINI "$(squote "$DIR/odbc")" \
        ODBCINI "$(squote "$DIR/odbc/odbc.ini")" \
        PONTOON_ODBC_SQLITE_DB "$(squote "$DIR/odbc/pontoon.db")"
    fi
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$DIR/env"
}

# Logs live next to the servers' files; when those are elsewhere, DIR gets
# links to them while running and copies after stop.
link_logs() {
  local f
  [ "$SRV" = "$DIR" ] && return 0
  for f in pg.log my.log; do
    if [ -e "$SRV/$f" ]; then ln -sfn "$SRV/$f" "$DIR/$f"; fi
  done
}

start_failed() {
  if [ "$1" -ne 0 ]; then
    note "start failed; stopping what was started"
    stop_all quiet
  fi
}

cmd_start() {
  resolve_dir "$1"
  local want pg_pw="" my_pw="" s
  want=$(wanted_servers)
  setup_server_user

  if already_running "$want"; then
    return 0
  fi
  # Leftovers of an earlier run in DIR: clear them first.
  if [ -f "$DIR/state" ] || [ -f "$DIR/env" ] || [ -d "$DIR/pg" ] || [ -d "$DIR/my" ]; then
    stop_all quiet
  fi
  rm -f "$DIR/state"

  # The server user must reach DIR; unix socket paths must stay short.
  SRV=$DIR
  if [ -n "$SRV_OWNER" ]; then chmod 755 "$DIR"; fi
  if [ "${#DIR}" -gt 80 ] || ! "${AS_SRV[@]}" test -x "$DIR" -a -r "$DIR" 2>/dev/null; then
    SRV=$(mktemp -d /tmp/pontoon-harness.XXXXXX)
    chmod 755 "$SRV"
  fi
  state_set HARNESS_SRV "$SRV"

  # From here on a failure stops whatever was started.
  trap 'start_failed $?' EXIT

  for s in $want; do
    case $s in
      pg)
        pg_pw=$(random_password)
        pg_start "$pg_pw"
        ;;
      mysql)
        my_pw=$(random_password)
        my_start "$my_pw"
        ;;
    esac
  done

  if [ -n "$pg_pw" ]; then
    (
      umask 077
      printf '%s:%s:*:%s:%s\n' "$HOST" "$PG_PORT" "$APP_USER" "$pg_pw" \
        localhost "$PG_PORT" "$APP_USER" "$pg_pw" >"$DIR/pgpass.tmp"
    )
    chmod 600 "$DIR/pgpass.tmp"
    mv -f "$DIR/pgpass.tmp" "$DIR/pgpass"
  fi
  link_logs
  if [ -d "$ODBC_LIB" ]; then write_odbc "$pg_pw" "$my_pw"; fi
  write_env "$want" "$pg_pw" "$my_pw"
  trap - EXIT

  local msg=""
  [ -n "$pg_pw" ] && msg+="PostgreSQL on $HOST:$PG_PORT"
  [ -n "$my_pw" ] && msg+="${msg:+, }MariaDB on $HOST:$MY_PORT"
  note "$msg (state in $DIR)"
}

# Stops both servers of DIR and removes their data.
stop_all() {
  local quiet=${1:-} f
  load_state
  SRV=${HARNESS_SRV:-$DIR}
  setup_server_user
  pg_stop
  my_stop
  # Keep the logs in DIR.
  for f in pg.log my.log; do
    if [ -L "$DIR/$f" ]; then
      if [ -f "$SRV/$f" ]; then cp -f --remove-destination "$SRV/$f" "$DIR/$f"; else rm -f "$DIR/$f"; fi
    fi
  done
  rm -rf -- "$DIR/env" "$DIR/env.tmp" "$DIR/pgpass" "$DIR/pgpass.tmp" "$DIR/odbc"
  rm -rf -- "$SRV/pg" "$SRV/my"
  if [ "$SRV" != "$DIR" ]; then
    case $SRV in /tmp/pontoon-harness.*) rm -rf -- "$SRV" ;; esac
  fi
  rm -f -- "$DIR/state"
  [ -n "$quiet" ] || note "stopped (state in $DIR)"
}

cmd_stop() {
  [ -n "${1:-}" ] || usage
  if [ ! -d "$1" ]; then return 0; fi
  DIR=$(cd -- "$1" && pwd -P)
  stop_all
}

# Restart DIR's PostgreSQL (fast stop: sessions are cut, open transactions
# roll back) on the same port, for tests of a server restarted mid-work.
cmd_restart_pg() {
  [ -n "${1:-}" ] || usage
  DIR=$(cd -- "$1" && pwd -P)
  load_state
  SRV=${HARNESS_SRV:-$DIR}
  setup_server_user
  pg_paths
  as_srv "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t "$START_TIMEOUT" -s restart \
    </dev/null >/dev/null 2>>"$PG_LOG" || die "PostgreSQL did not restart"
  state_set PG_PID "$(head -n 1 "$PG_DATA/postmaster.pid")"
}

# Restart DIR's MariaDB (SIGTERM: a clean shutdown that cuts every session
# and rolls back open transactions) on the same port, with the same options
# as my_start, for tests of a server restarted mid-work.
cmd_restart_my() {
  local port pid started i
  [ -n "${1:-}" ] || usage
  DIR=$(cd -- "$1" && pwd -P)
  load_state
  SRV=${HARNESS_SRV:-$DIR}
  setup_server_user
  my_paths
  port=$(sed -n "s/^export PONTOON_MY_PORT='\(.*\)'$/\1/p" "$DIR/env")
  [ -n "$port" ] || die "no MariaDB port in $DIR/env"
  my_stop
  rm -f "$MY_PIDFILE"
  my_launch "$port"
  started=$launched
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    kill -0 "$started" 2>/dev/null || die "MariaDB exited while restarting"
    if my_ping; then
      pid=$(cat "$MY_PIDFILE" 2>/dev/null || echo "$started")
      state_set MY_PID "$pid"
      return 0
    fi
    sleep 0.1
  done
  die "MariaDB did not restart within ${START_TIMEOUT}s"
}

cmd_env() {
  [ -n "${1:-}" ] || usage
  [ -f "$1/env" ] || die "no servers started in $1 (no $1/env)"
  cat "$1/env"
}

RUN_DIR=""
RUN_CHILD=""
run_cleanup() {
  local i
  if [ -n "$RUN_CHILD" ] && kill -0 "$RUN_CHILD" 2>/dev/null; then
    kill -TERM "$RUN_CHILD" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$RUN_CHILD" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$RUN_CHILD" 2>/dev/null || true
    wait "$RUN_CHILD" 2>/dev/null || true
  fi
  RUN_CHILD=""
  if [ -n "$RUN_DIR" ]; then
    bash "$0" stop "$RUN_DIR" || true
    rm -rf -- "$RUN_DIR"
    RUN_DIR=""
  fi
}

cmd_run() {
  if [ "${1:-}" = "--" ]; then shift; fi
  [ "$#" -gt 0 ] || usage
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pontoon-harness-run.XXXXXX")
  trap 'run_cleanup' EXIT
  trap 'run_cleanup; trap - INT; kill -INT $$' INT
  trap 'run_cleanup; trap - TERM; kill -TERM $$' TERM
  bash "$0" start "$RUN_DIR" || exit 1
  local status=0
  # CMD runs in the background so that a signal to the harness is handled at
  # once; it keeps the harness's standard input.
  exec 3<&0
  (
    set +eu
    # shellcheck disable=SC1091
    source "$RUN_DIR/env"
    exec "$@" <&3 3<&-
  ) &
  RUN_CHILD=$!
  exec 3<&-
  wait "$RUN_CHILD" || status=$?
  RUN_CHILD=""
  exit "$status"
}

case "${1:-}" in
  start) [ "$#" -eq 2 ] || usage; unset_client_env; cmd_start "$2" ;;
  stop) [ "$#" -eq 2 ] || usage; unset_client_env; cmd_stop "$2" ;;
  env) [ "$#" -eq 2 ] || usage; cmd_env "$2" ;;
  restart-pg) [ "$#" -eq 2 ] || usage; unset_client_env; unset LD_PRELOAD; cmd_restart_pg "$2" ;;
  restart-my) [ "$#" -eq 2 ] || usage; unset_client_env; unset LD_PRELOAD; cmd_restart_my "$2" ;;
  run) shift; cmd_run "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
