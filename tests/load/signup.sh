#!/usr/bin/env bash
# Benchmark (not a test): paid sign-ups against a local Stripe stand-in, timing the moment Stripe's
# webhook arrives to the moment the new region's home page answers 200 (the region opened from a
# warm spare schema by the worker inside `echos serve`).
#   tests/load/signup.sh [N]        # 20 sign-ups by default
# Uses its own database (echosciences_signup, recreated) and free ports. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_signup
T=${CARGO_TARGET_DIR:-target}/release
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
STRIPE=$(free_port)
export ECHOS_PLATFORM__DOMAIN=bench.localhost ECHOS_TELEMETRY__LOG=warn ECHOS_TENANCY__SPARES=$((N + 2))
export ECHOS_ACCOUNTS__RATE_LIMIT_SCALE=100 ECHOS_MAIL__OUTBOX_DIR=$(mktemp -d)
export ECHOS_BILLING__STRIPE_SECRET_KEY=sk_test_echosciences ECHOS_BILLING__STRIPE_WEBHOOK_SECRET=whsec_test_echosciences
export ECHOS_BILLING__STRIPE_API_BASE=http://127.0.0.1:$STRIPE/
trap 'kill ${SERVER:-} 2>/dev/null || true; rm -rf "$ECHOS_MAIL__OUTBOX_DIR"' EXIT

echo "# paid sign-ups — $(date -u +%F) — $(nproc) cores, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_signup WITH (FORCE)" -c "CREATE DATABASE echosciences_signup"
"$T/echos" migrate >/dev/null
"$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.2; done
# The spares the sign-ups will claim are made by `serve` on start; wait for them.
for _ in $(seq 100); do
  [ "$(psql -At "$DATABASE_URL" -c 'select count(*) from platform.spare_schemas')" -ge "$N" ] && break; sleep 0.5
done
"$T/echos-bench" signup-latency 127.0.0.1:$PORT "$STRIPE" "$N"
