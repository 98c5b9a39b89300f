#!/usr/bin/env bash
# Benchmark (not a test): how long each kind of page takes with a region full of content.
# One region gets PER_KIND contributions of each kind (with tags, comments, likes, 40 members who
# follow each other), then every page is timed with wrk: one connection (the server's own time,
# request after request) and 16 connections (throughput).
#   tests/load/pages.sh 400           # needs wrk (apt-get install wrk)
# Uses its own database (echosciences_pages, recreated) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
PER_KIND=${1:-400}
DURATION=${DURATION:-10s}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_pages
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false
T=${CARGO_TARGET_DIR:-target}/release

echo "# pages with $PER_KIND contributions of each kind — $(date -u +%F) — $(nproc) cores, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_pages WITH (FORCE)" -c "CREATE DATABASE echosciences_pages"
"$T/echos" migrate >/dev/null
"$T/echos-bench" fill pages "$PER_KIND"
psql -q "$DATABASE_URL" -c "VACUUM ANALYZE"

one() { psql -At "$DATABASE_URL" -c "SELECT '/$1/' || id || '-' || slug FROM tenant_pages.contributions WHERE kind = '$2' AND status = 'published' ORDER BY id DESC LIMIT 1"; }
PAGES=(
  "/"
  "/articles"
  "/articles?page=5"
  "/articles?tag=climat"
  "/annonces?type_annonce=job"
  "$(one articles article)"
  "$(one veille link)"
  "$(one debats debate)"
  "$(one dossiers dossier)"
  "/recherche?q=glacier+neige"
  "/recherche?q=planetarium&type=article"
  "/flux.atom"
  "/membres/membre-7"
)

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done

HOST=pages.bench.localhost
summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{err=$NF} END{printf "%s req/s, p50 %s, p99 %s%s", rps, p50, p99, (err? ", non-2xx " err : "")}'; }
printf '| page | status | bytes | 1 connection | 16 connections |\n| --- | --- | --- | --- | --- |\n'
for path in "${PAGES[@]}"; do
  read -r status bytes < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' -H "Host: $HOST" "$URL$path")
  wrk -t1 -c1 -d2s -H "Host: $HOST" "$URL$path" >/dev/null
  single=$(wrk -t1 -c1 -d"$DURATION" --latency -H "Host: $HOST" "$URL$path" | summary)
  many=$(wrk -t2 -c16 -d"$DURATION" --latency -H "Host: $HOST" "$URL$path" | summary)
  printf '| `%s` | %s | %s | %s | %s |\n' "${path:0:48}" "$status" "$bytes" "$single" "$many"
done
