#!/usr/bin/env bash
# Benchmark (not a test): the regional console with a big region — MEMBERS members and
# CONTRIBUTIONS contributions over two years (comments, likes, page views, an audit log). Each
# console page is timed with wrk on one connection (the server's own time, request after
# request), signed in as the region's admin.
#   tests/load/console.sh                 # 10 000 members, 50 000 contributions; needs wrk
# Uses its own database (echosciences_console, recreated) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
MEMBERS=${MEMBERS:-10000}
CONTRIBUTIONS=${CONTRIBUTIONS:-50000}
DURATION=${DURATION:-10s}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_console
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false
T=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
trap 'kill ${SERVER:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "# console with $MEMBERS members and $CONTRIBUTIONS contributions — $(date -u +%F) — $(nproc) cores, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_console WITH (FORCE)" -c "CREATE DATABASE echosciences_console"
"$T/echos" migrate >/dev/null
"$T/echos-bench" fill-console console "$MEMBERS" "$CONTRIBUTIONS"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
HOST=console.bench.localhost
"$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done

# Sign in as the region's admin, as a browser would: the CSRF cookie, then the form.
JAR=$WORK/cookies
curl -s -o /dev/null -c "$JAR" -H "Host: $HOST" "$URL/connexion"
CSRF=$(awk '$6 == "csrf" {print $7}' "$JAR")
curl -s -o /dev/null -b "$JAR" -c "$JAR" -H "Host: $HOST" -H "Origin: http://$HOST" \
  --data-urlencode "email=admin@$HOST" --data-urlencode "password=echosciences-bench" --data-urlencode "csrf_token=$CSRF" "$URL/connexion"
COOKIE="csrf=$CSRF; session=$(awk '$6 == "session" {print $7}' "$JAR")"

PAGES=(
  /admin
  /admin/apparence
  /admin/reglages
  /admin/accueil
  /admin/pages
  /admin/domaines
  /admin/membres
  "/admin/membres?q=membre-42"
  "/admin/membres?kind=structure&confirme=non"
  "/admin/membres?page=150"
  /admin/membres/export.csv
  /admin/membres/5000
  /admin/participation
  "/admin/participation?du=2025-01-01&au=2026-12-31"
  /admin/participation/contributions.csv
  /admin/journal
  "/admin/journal?page=20"
  /admin/lettres
)
summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{err=$NF} END{printf "%s req/s, p50 %s, p99 %s%s", rps, p50, p99, (err? ", non-2xx " err : "")}'; }
printf '| page | status | bytes | 1 connection |\n| --- | --- | --- | --- |\n'
for path in "${PAGES[@]}"; do
  read -r status bytes < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' -H "Host: $HOST" -H "Cookie: $COOKIE" "$URL$path")
  wrk -t1 -c1 -d2s -H "Host: $HOST" -H "Cookie: $COOKIE" "$URL$path" >/dev/null
  single=$(wrk -t1 -c1 -d"$DURATION" --latency -H "Host: $HOST" -H "Cookie: $COOKIE" "$URL$path" | summary)
  printf '| `%s` | %s | %s | %s |\n' "${path:0:48}" "$status" "$bytes" "$single"
done
