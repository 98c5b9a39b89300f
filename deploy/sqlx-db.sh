#!/usr/bin/env bash
# Builds the database that `sqlx::query!` checks against: the platform schema and a migrated
# `tenant_template` schema on the search path. Then, with `--prepare`, refreshes `.sqlx/`.
#   deploy/sqlx-db.sh            # (re)create the database only
#   deploy/sqlx-db.sh --prepare  # and run `cargo sqlx prepare --workspace`
#   deploy/sqlx-db.sh --check    # and run `cargo sqlx prepare --workspace --check`
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL=${SQLX_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=echosciences_sqlx
psql -q "$PGURL" -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
DBURL=${PGURL%/*}/$DB
{
  echo "CREATE SCHEMA platform;"
  echo "CREATE TABLE platform.schema_migrations (version bigint PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
  cat migrations/platform/*.sql
  echo "CREATE SCHEMA tenant_template; SET search_path TO tenant_template;"
  cat migrations/tenant/*.sql
} | psql -q "$DBURL" -v ON_ERROR_STOP=1 >/dev/null
export DATABASE_URL="$DBURL?options=-csearch_path%3Dtenant_template"
export SQLX_OFFLINE=false
case "${1:-}" in
  --prepare) cargo sqlx prepare --workspace -- --all-targets ;;
  --check) cargo sqlx prepare --workspace --check -- --all-targets ;;
  *) echo "DATABASE_URL=$DATABASE_URL" ;;
esac
