#!/usr/bin/env bash
# Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d): the same
# roles and grants as ops/services.sh roles, from ops/roles.sql.
set -euo pipefail
psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" -d postgres \
  -v db="${AGGLO_DB_NAME:-agglo}" -v owner="${AGGLO_DB_OWNER:-agglo_owner}" -v app="${AGGLO_DB_APP:-agglo_app}" \
  -v owner_password="$AGGLO_DB_OWNER_PASSWORD" -v app_password="$AGGLO_DB_APP_PASSWORD" \
  -f /docker-entrypoint-initdb.d/roles.sql.in
