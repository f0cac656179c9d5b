#!/usr/bin/env bash
# Throwaway local PostgreSQL 15 server for the test suite.
#   usage: scripts/pg.sh start|stop|url
# Env: LR_PG_DIR (data dir, default /tmp/lamin_registry_pg), LR_PG_PORT (default 54329).
# Trust auth, listens on 127.0.0.1 only, durability off: for tests, never for real data.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
DIR=${LR_PG_DIR:-/tmp/lamin_registry_pg}
PORT=${LR_PG_PORT:-54329}
DB=lamin_registry_test
URL="postgresql+psycopg://lamin:lamin@127.0.0.1:${PORT}/${DB}"

die() { echo "pg.sh: $*" >&2; exit 1; }

# Run a server binary as the data dir owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

install_pg() {
  [ -x "$PGBIN/pg_ctl" ] && return 0
  [ "$(id -u)" = 0 ] || die "$PGBIN/pg_ctl missing; run as root or: apt-get install -y postgresql"
  echo "pg.sh: installing PostgreSQL via apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql
  # On Debian 12 pg_trgm ships in postgresql-15; fall back to -contrib just in case.
  [ -f /usr/share/postgresql/15/extension/pg_trgm.control ] \
    || apt-get install -y -q --no-install-recommends postgresql-contrib
}

# Non-root callers can only manage a data dir they own.
check_owner() {
  if [ "$(id -u)" != 0 ] && [ -e "$DIR" ] && [ ! -O "$DIR" ]; then
    die "$DIR is not owned by $(id -un); run as root or set LR_PG_DIR"
  fi
}

is_running() { [ -f "$DIR/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; }

init_cluster() {
  if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
    die "$DIR exists, is not empty and is not a PostgreSQL data dir; remove it first"
  fi
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
  chmod 700 "$DIR"
  as_owner "$PGBIN/initdb" -D "$DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Appended settings win over the defaults initdb wrote above them.
  as_owner tee -a "$DIR/postgresql.conf" >/dev/null <<EOF

# --- lamin_registry test settings (scripts/pg.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

# Idempotent: roles, database, extension. Connects over TCP as the bootstrap superuser.
setup_db() {
  PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lamin') THEN CREATE ROLE lamin; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lamin_app') THEN CREATE ROLE lamin_app; END IF;
END $$;
ALTER ROLE lamin WITH LOGIN SUPERUSER PASSWORD 'lamin';
-- Plain application role (not superuser, not owner, subject to row-level security).
ALTER ROLE lamin_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD 'lamin_app';
SELECT 'CREATE DATABASE lamin_registry_test OWNER lamin'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'lamin_registry_test') \gexec
\c lamin_registry_test
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
}

start() {
  install_pg
  check_owner
  if is_running; then
    echo "pg.sh: already running ($DIR)"
  else
    [ -f "$DIR/PG_VERSION" ] || init_cluster
    as_owner "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -o "-p $PORT" -w -t 60 start >/dev/null \
      || { tail -n 20 "$DIR/server.log" >&2; die "server failed to start (log: $DIR/server.log)"; }
    echo "pg.sh: started on 127.0.0.1:$PORT ($DIR)"
  fi
  setup_db
}

stop() {
  check_owner
  if is_running; then
    as_owner "$PGBIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null
    echo "pg.sh: stopped"
  else
    echo "pg.sh: not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) die "usage: $0 start|stop|url" ;;
esac
