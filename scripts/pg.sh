#!/usr/bin/env bash
# scripts/pg.sh — a project-local PostgreSQL cluster for development and tests.
#
#   scripts/pg.sh start    create (first time) and start the cluster, ensure role + database
#   scripts/pg.sh stop     stop it (pg_ctl stop -m fast)
#   scripts/pg.sh status   is it running? (exit 0 = running, 3 = not running)
#   scripts/pg.sh env      print DATABASE_URL=... (for: eval "export $(scripts/pg.sh env)")
#   scripts/pg.sh url      print just the URL
#   scripts/pg.sh psql     open psql as the ordergraph role (extra args go to psql)
#
# If DATABASE_URL is already set, `start` does nothing and `env`/`url`/`psql` use it.
#
# Layout (one cluster per checkout, so several clones can run side by side):
#   - not root: data dir $REPO/.data/pg, log + unix socket in $REPO/.data
#   - root:     initdb/postgres refuse to run as root, so the server runs as the `postgres` OS
#               user, and a checkout under /root is not reachable by it. The cluster lives in
#               /var/tmp/ordergraph-<hash of repo path>/pg (owned by postgres); the path is
#               written to $REPO/.data/pg-location.
#   - port: $PGPORT if set, else 54320 + (cksum of repo path mod 70).
#
# SECURITY: local development only. The cluster listens on 127.0.0.1 only and uses `trust`
# authentication (no passwords) — any local OS user can connect as any role, including the
# superuser `postgres`. Never point this at data you care about or expose the port.
#
# Overrides: PGPORT (port), PG_BINDIR (directory holding initdb/pg_ctl/psql).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DB_NAME=ordergraph
DB_OWNER=ordergraph
SUPERUSER=postgres
PG_OS_USER=postgres

die() { echo "pg.sh: error: $*" >&2; exit 1; }
is_root() { [[ $EUID -eq 0 ]]; }

# ---- paths and port (pure computation; no side effects) -------------------------------------
repo_hash() { printf '%s' "$REPO" | sha256sum | cut -c1-8; }

if is_root; then
  BASE="/var/tmp/ordergraph-$(repo_hash)"
else
  BASE="$REPO/.data"
fi
PGDATA_DIR="$BASE/pg"
LOGFILE="$BASE/postgres.log"
SOCKDIR="$BASE"

default_port() {
  local sum
  sum=$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)
  echo $((54320 + sum % 70))
}
WANT_PORT="${PGPORT:-$(default_port)}"
[[ $WANT_PORT =~ ^[0-9]+$ ]] && ((WANT_PORT > 0 && WANT_PORT < 65536)) || die "invalid PGPORT: $WANT_PORT"

# The port of the running cluster (from postmaster.pid), else the configured one.
current_port() {
  local p=""
  if [[ -r $PGDATA_DIR/postmaster.pid ]]; then
    p=$(sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
  fi
  if [[ $p =~ ^[0-9]+$ ]]; then echo "$p"; else echo "$WANT_PORT"; fi
}

local_url() { echo "postgres://$DB_OWNER@127.0.0.1:$(current_port)/$DB_NAME?sslmode=disable"; }
the_url() { if [[ -n ${DATABASE_URL:-} ]]; then echo "$DATABASE_URL"; else local_url; fi; }

# ---- running things as the postgres OS user when root ---------------------------------------
as_pg() {
  if is_root; then
    # cd / : the caller's cwd (e.g. under /root) may not be readable by postgres.
    if command -v runuser >/dev/null 2>&1; then
      (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
      (cd / && su -s /bin/sh "$PG_OS_USER" -c "$(printf '%q ' "$@")")
    fi
  else
    "$@"
  fi
}

# ---- binaries --------------------------------------------------------------------------------
BINDIR=""
find_bindir() {
  local d v
  # A cluster that already exists must be run by its own major version.
  if [[ -z ${PG_BINDIR:-} && -r $PGDATA_DIR/PG_VERSION ]]; then
    v=$(cat "$PGDATA_DIR/PG_VERSION")
    if [[ -x /usr/lib/postgresql/$v/bin/pg_ctl ]]; then echo "/usr/lib/postgresql/$v/bin"; return 0; fi
  fi
  for d in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)"; do
    if [[ -n $d && -x $d/initdb && -x $d/pg_ctl && -x $d/psql ]]; then echo "$d"; return 0; fi
  done
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return 0; fi
  return 1
}

install_postgres() {
  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL server binaries not found and not root (no sudo). Install the 'postgresql' package or set PG_BINDIR."
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL server binaries not found and apt-get is unavailable. Install PostgreSQL (15+) or set PG_BINDIR."
  echo "pg.sh: PostgreSQL not found; installing it with apt-get (log: /tmp/ordergraph-apt.log)..." >&2
  if ! { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >/tmp/ordergraph-apt.log 2>&1; then
    tail -n 20 /tmp/ordergraph-apt.log >&2 || true
    die "apt-get install postgresql failed (see /tmp/ordergraph-apt.log)"
  fi
}

need_binaries() {
  BINDIR=$(find_bindir) || { install_postgres; BINDIR=$(find_bindir) || die "PostgreSQL installed but initdb/pg_ctl not found"; }
  if [[ -r $PGDATA_DIR/PG_VERSION ]]; then
    local dv bv
    dv=$(cat "$PGDATA_DIR/PG_VERSION")
    bv=$("$BINDIR/pg_ctl" --version | grep -oE '[0-9]+' | head -1)
    [[ $dv == "$bv" ]] || die "cluster $PGDATA_DIR was created by PostgreSQL $dv but the binaries in $BINDIR are $bv. Stop it and remove $PGDATA_DIR to recreate it."
  fi
}

ensure_pg_user() {
  is_root || return 0
  id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash --user-group "$PG_OS_USER" \
    || die "could not create the '$PG_OS_USER' OS user"
}

# ---- directories ------------------------------------------------------------------------------
ensure_dirs() {
  mkdir -p "$REPO/.data"
  if is_root; then
    # /var/tmp is world-writable: refuse a pre-planted symlink or a directory owned by a stranger.
    if [[ -L $BASE ]]; then die "$BASE is a symlink; refusing to use it"; fi
    if [[ ! -d $BASE ]]; then
      mkdir -m 0700 "$BASE" 2>/dev/null || [[ -d $BASE && ! -L $BASE ]] || die "cannot create $BASE"
      chown "$PG_OS_USER:" "$BASE"
    fi
    local owner
    owner=$(stat -c %U "$BASE")
    if [[ $owner == root ]]; then chown "$PG_OS_USER:" "$BASE"
    elif [[ $owner != "$PG_OS_USER" ]]; then die "$BASE is owned by '$owner', expected '$PG_OS_USER'"; fi
    chmod 0700 "$BASE"
  fi
  local pointer="$REPO/.data/pg-location"
  if [[ ! -f $pointer || $(cat "$pointer" 2>/dev/null) != "$PGDATA_DIR" ]]; then
    echo "$PGDATA_DIR" >"$pointer"
  fi
}

# ---- configuration -------------------------------------------------------------------------------
run_quiet() { # run_quiet <what> <cmd...>: output to a temp file, shown only on failure
  local what=$1 out; shift
  out=$(mktemp)
  chmod 0644 "$out"
  if ! "$@" >"$out" 2>&1; then
    echo "pg.sh: $what failed:" >&2
    tail -n 30 "$out" >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
}

init_cluster() {
  [[ -f $PGDATA_DIR/PG_VERSION ]] && return 0
  if [[ -d $PGDATA_DIR ]] && [[ -n $(ls -A "$PGDATA_DIR") ]]; then
    die "$PGDATA_DIR exists, is not empty and is not a PostgreSQL cluster; remove it"
  fi
  run_quiet initdb as_pg "$BINDIR/initdb" -D "$PGDATA_DIR" -U "$SUPERUSER" --auth=trust -E UTF8 --locale=C
  echo "pg.sh: initialized a new cluster in $PGDATA_DIR"
}

# Rewrites the block between the markers at the end of postgresql.conf (later settings win).
# Done on every start so that e.g. a PGPORT override takes effect.
write_config() {
  local conf="$PGDATA_DIR/postgresql.conf" sockdir="$SOCKDIR" preload="" block rest
  # A unix socket path is limited to ~107 bytes; fall back to TCP only if the path is too long.
  if (( ${#sockdir} + 16 > 107 )); then sockdir=""; fi
  local pkglib
  pkglib=$("$BINDIR/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir 2>/dev/null || true)
  if [[ -n $pkglib && -f $pkglib/pg_stat_statements.so ]]; then
    preload="shared_preload_libraries = 'pg_stat_statements'"
  fi
  block="# BEGIN ordergraph (managed by scripts/pg.sh; rewritten on every start)
listen_addresses = '127.0.0.1'
port = $WANT_PORT
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 256MB
$preload
# END ordergraph"
  rest=$(awk '/^# BEGIN ordergraph/{skip=1} !skip{print} /^# END ordergraph/{skip=0}' "$conf")
  if [[ $(tail -n "$(wc -l <<<"$block")" "$conf") == "$block" ]]; then return 0; fi
  # Write through the existing file (as its owner) so ownership and mode are kept.
  printf '%s\n%s\n' "$rest" "$block" | as_pg tee "$conf" >/dev/null
}

# ---- state ----------------------------------------------------------------------------------
is_running() {
  [[ -f $PGDATA_DIR/PG_VERSION ]] || return 1
  as_pg "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

su_psql() { # psql as the superuser over TCP; quiet, stop on first error
  "$BINDIR/psql" "host=127.0.0.1 port=$(current_port) user=$SUPERUSER dbname=${PSQL_DB:-postgres} sslmode=disable" \
    -X -q -v ON_ERROR_STOP=1 "$@"
}

bootstrap_db() {
  run_quiet "creating role/database" su_psql <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_OWNER') THEN
    CREATE ROLE $DB_OWNER LOGIN NOSUPERUSER CREATEDB CREATEROLE;
  END IF;
END
\$\$;
ALTER ROLE $DB_OWNER LOGIN NOSUPERUSER CREATEDB CREATEROLE;
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_OWNER')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
ALTER DATABASE $DB_NAME OWNER TO $DB_OWNER;
SELECT 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'
WHERE current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' \gexec
SQL
}

lock() { # serialize concurrent start/stop (e.g. two `make test` at once)
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$REPO/.data/pg.lock"
  flock -w 120 9 || die "timed out waiting for $REPO/.data/pg.lock"
}

# ---- commands ---------------------------------------------------------------------------------
cmd_start() {
  if [[ -n ${DATABASE_URL:-} ]]; then
    echo "pg.sh: DATABASE_URL is set; using it (no local cluster started)"
    return 0
  fi
  mkdir -p "$REPO/.data"
  lock
  ensure_pg_user
  ensure_dirs
  need_binaries
  init_cluster
  write_config

  if is_running; then
    local port; port=$(current_port)
    [[ $port == "$WANT_PORT" ]] || echo "pg.sh: note: running cluster uses port $port, not $WANT_PORT; restart it (stop, start) to switch" >&2
    bootstrap_db
    echo "pg.sh: postgres already running on 127.0.0.1:$port (data: $PGDATA_DIR)"
    return 0
  fi

  if port_in_use "$WANT_PORT"; then
    die "port $WANT_PORT on 127.0.0.1 is already in use by another server; set PGPORT to a free port"
  fi
  local logsize=0
  [[ -f $LOGFILE ]] && logsize=$(stat -c %s "$LOGFILE")
  # 9>&- : the server must not inherit (and hold forever) the lock file descriptor.
  if ! as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$LOGFILE" -w -t 60 start >/dev/null 2>&1 9>&-; then
    echo "pg.sh: error: postgres failed to start (data: $PGDATA_DIR). From $LOGFILE:" >&2
    tail -c +$((logsize + 1)) "$LOGFILE" 2>/dev/null | tail -n 25 >&2 || true
    exit 1
  fi
  bootstrap_db
  echo "pg.sh: postgres started on 127.0.0.1:$(current_port) (data: $PGDATA_DIR)"
}

cmd_stop() {
  [[ -n ${DATABASE_URL:-} ]] && echo "pg.sh: note: DATABASE_URL is set; stopping the local cluster anyway" >&2
  if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
    echo "pg.sh: no local cluster (data: $PGDATA_DIR)"
    return 0
  fi
  mkdir -p "$REPO/.data"
  lock
  need_binaries
  if ! is_running; then
    echo "pg.sh: postgres not running (data: $PGDATA_DIR)"
    return 0
  fi
  local port; port=$(current_port)
  if ! as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null 2>&1; then
    echo "pg.sh: error: pg_ctl stop failed. Last lines of $LOGFILE:" >&2
    tail -n 25 "$LOGFILE" >&2 2>/dev/null || true
    exit 1
  fi
  echo "pg.sh: postgres stopped (was on 127.0.0.1:$port, data: $PGDATA_DIR)"
}

cmd_status() {
  [[ -n ${DATABASE_URL:-} ]] && echo "pg.sh: DATABASE_URL is set in the environment; the app uses it, not the local cluster"
  if [[ -f $PGDATA_DIR/PG_VERSION ]]; then
    need_binaries
    if is_running; then
      echo "pg.sh: running on 127.0.0.1:$(current_port) (pid $(head -1 "$PGDATA_DIR/postmaster.pid"), data: $PGDATA_DIR)"
      return 0
    fi
  fi
  echo "pg.sh: not running (port $WANT_PORT, data: $PGDATA_DIR)"
  return 3
}

cmd_env() {
  local url; url=$(the_url)
  # Plain when safe (so `cut -d= -f2-` works); shell-quoted otherwise (so `eval` is safe).
  if [[ $url =~ ^[A-Za-z0-9@%+=:,./?_-]*$ ]]; then
    echo "DATABASE_URL=$url"
  else
    printf 'DATABASE_URL=%q\n' "$url"
  fi
}

cmd_psql() {
  if [[ -z ${DATABASE_URL:-} ]]; then
    need_binaries
    is_running || die "postgres is not running; start it with: scripts/pg.sh start (or make db-start)"
    exec "$BINDIR/psql" "$(local_url)" "$@"
  fi
  local psql; psql="$(find_bindir 2>/dev/null || true)/psql"
  [[ -x $psql ]] || psql=$(command -v psql) || die "psql not found"
  exec "$psql" "$DATABASE_URL" "$@"
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  url) the_url ;;
  psql) shift; cmd_psql "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
