#!/usr/bin/env bash
# The production services from Debian's packages, run on loopback as an unprivileged user.
# Used by `make run-prod` and `make test-prod` (through ops/prod), and by .ci/run.
#
#   ops/services.sh install            # apt-get install what is missing (as root), else say how
#   ops/services.sh account            # create the unprivileged system user; print its name
#   ops/services.sh initdb DATA_DIR    # a PostgreSQL 15 cluster of our own, owned by that user
#   ops/services.sh roles SOCKET_DIR PORT
#       # the database, its owner role (migrations) and the application role (data only);
#       # names and passwords from AGGLO_DB_NAME, AGGLO_DB_OWNER(_PASSWORD), AGGLO_DB_APP(_PASSWORD)
set -euo pipefail

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PACKAGES=(postgresql redis-server nginx supervisor)
SERVICE_USER=${AGGLO_SERVICE_USER:-agglo}
ROLES_SQL="$(dirname "$0")/roles.sql"

die() { echo "error: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# The user the services run as: a system user when we are root, else whoever runs us.
service_user() {
  if is_root; then echo "$SERVICE_USER"; else id -un; fi
}

as_service_user() {
  if is_root; then runuser -u "$SERVICE_USER" -- "$@"; else "$@"; fi
}

missing_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v supervisord >/dev/null || missing+=(supervisor)
  echo "${missing[@]:-}"
}

# As root the services run as $SERVICE_USER in the project directory: say now, before any test
# or start waits for them, when others cannot enter it (a clone in a 0700 directory).
warn_unreachable_project() {
  is_root || return 0
  local dir mode
  dir=$(cd "$(dirname "$0")/.." && pwd)
  while [ "$dir" != / ]; do
    mode=$(stat -c %A "$dir")
    case "${mode:9:1}" in
      x | t) ;;
      *)
        echo "warning: other users cannot enter $dir ($mode): PostgreSQL and Redis run as $SERVICE_USER" \
          "in the project directory (make run-prod, and make test's production-stack tests), and will not start." \
          "Run: chmod o+rx $dir, or clone the project under a directory that others can enter." >&2
        return 0
        ;;
    esac
    dir=$(dirname "$dir")
  done
}

cmd_install() {
  local missing
  warn_unreachable_project
  missing=$(missing_packages)
  if [ -z "$missing" ]; then
    echo "Services installed: PostgreSQL $PG_VERSION, redis-server, nginx, supervisor."
    return 0
  fi
  if ! is_root || ! command -v apt-get >/dev/null; then
    die "missing Debian packages: $missing. Install them as root: apt-get install -y ${PACKAGES[*]}"
  fi
  echo "==> Installing Debian's $missing (apt-get install -y)"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's packages start their system-wide services; ours are started on loopback by
  # supervisord instead, so a policy keeps the package scripts from starting anything.
  if ! apt-get install -y -q $missing; then
    apt-get update -q
    apt-get install -y -q $missing
  fi
  [ -z "$(missing_packages)" ] || die "still missing after apt-get install: $(missing_packages)"
}

cmd_account() {
  if is_root && ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
  fi
  service_user
}

cmd_initdb() {
  local data_dir=${1:?usage: initdb DATA_DIR}
  if [ -f "$data_dir/PG_VERSION" ]; then
    return 0
  fi
  mkdir -p "$data_dir"
  is_root && chown "$SERVICE_USER:" "$data_dir"
  chmod 700 "$data_dir"
  # Local (Unix socket) connections: only the service user, as the cluster's superuser.
  # TCP on loopback: password (SCRAM) for the application and migration roles.
  as_service_user "$PG_BIN/initdb" --pgdata "$data_dir" --encoding UTF8 --locale C.UTF-8 \
    --auth-local peer --auth-host scram-sha-256 >/dev/null
  echo "PostgreSQL cluster created in $data_dir"
}

cmd_roles() {
  local socket_dir=${1:?usage: roles SOCKET_DIR PORT} port=${2:?usage: roles SOCKET_DIR PORT}
  : "${AGGLO_DB_OWNER_PASSWORD:?AGGLO_DB_OWNER_PASSWORD is not set (see .env.example)}"
  : "${AGGLO_DB_APP_PASSWORD:?AGGLO_DB_APP_PASSWORD is not set (see .env.example)}"
  local db=${AGGLO_DB_NAME:-agglo} owner=${AGGLO_DB_OWNER:-agglo_owner} app=${AGGLO_DB_APP:-agglo_app}
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -d postgres)
  # Passwords go through psql variables (:'name' quotes them), never into the command line.
  as_service_user "${psql[@]}" -v db="$db" -v owner="$owner" -v app="$app" \
    -v owner_password="$AGGLO_DB_OWNER_PASSWORD" -v app_password="$AGGLO_DB_APP_PASSWORD" -f - <"$ROLES_SQL"
  echo "Database $db: owner role $owner (migrations), application role $app (SELECT, INSERT, UPDATE, DELETE)"
}

case "${1:-}" in
  install) cmd_install ;;
  account) cmd_account ;;
  initdb) shift; cmd_initdb "$@" ;;
  roles) shift; cmd_roles "$@" ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
