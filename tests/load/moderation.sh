#!/usr/bin/env bash
# Benchmark (not a test): the public lists of a big region before and after 10 000 reports. The
# region of console.sh (MEMBERS members, CONTRIBUTIONS contributions) gets 40 communities, then
# REPORTS reports on 4 000 contributions, a quarter of which are hidden as a threshold would; each
# page is timed with wrk on one connection before and after, anonymous.
#   tests/load/moderation.sh                 # 10 000 members, 50 000 contributions, 10 000 reports; needs wrk
# Uses its own database (echosciences_console, recreated) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
MEMBERS=${MEMBERS:-10000}
CONTRIBUTIONS=${CONTRIBUTIONS:-50000}
REPORTS=${REPORTS:-10000}
DURATION=${DURATION:-5s}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_console
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false
T=${CARGO_TARGET_DIR:-target}/release
trap 'kill ${SERVER:-} 2>/dev/null || true' EXIT

echo "# public lists with $CONTRIBUTIONS contributions, before and after $REPORTS reports — $(date -u +%F) — $(nproc) cores, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_console WITH (FORCE)" -c "CREATE DATABASE echosciences_console"
"$T/echos" migrate >/dev/null
"$T/echos-bench" fill-console console "$MEMBERS" "$CONTRIBUTIONS"
SCHEMA=$(psql -At "$DATABASE_URL" -c "SELECT schema_name FROM platform.tenants WHERE slug = 'console'")
psql -q "$DATABASE_URL" <<SQL
SET search_path TO $SCHEMA;
INSERT INTO communities (slug, name, kind, access, status, proposed_by)
SELECT 'communaute-' || g, 'Communauté ' || g, 'theme', 'open', 'active', g FROM generate_series(1, 40) g;
INSERT INTO community_members (community_id, member_id, role)
SELECT 1 + g % 40, g, CASE WHEN g <= 40 THEN 'owner' ELSE 'member' END FROM generate_series(1, 4000) g;
UPDATE contributions SET community_id = 1 + id % 40 WHERE id % 5 = 0;
VACUUM ANALYZE contributions;
SQL

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
HOST=console.bench.localhost
PAGES=(/ /articles "/articles?page=200" /veille /flux.atom /articles.atom "/recherche?q=contribution" /communautes /communautes/communaute-7 /membres/membre-7)
summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{err=$NF} END{printf "%s req/s, p50 %s, p99 %s%s", rps, p50, p99, (err? ", non-2xx " err : "")}'; }
measure() {
  "$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
  for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
  for path in "${PAGES[@]}"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" "$URL$path")
    wrk -t1 -c1 -d2s -H "Host: $HOST" "$URL$path" >/dev/null
    printf '%s\t%s\t%s\n' "$path" "$status" "$(wrk -t1 -c1 -d"$DURATION" --latency -H "Host: $HOST" "$URL$path" | summary)"
  done
  kill $SERVER; wait $SERVER 2>/dev/null || true
}
measure > /tmp/moderation-before.tsv
psql -q "$DATABASE_URL" <<SQL
SET search_path TO $SCHEMA;
INSERT INTO reports (target_kind, target_id, reporter_id, reason, weight, created_at)
SELECT 'contribution', 1 + (g * 37) % 4000 * 12, 1 + (g * 7919) % 9000, 'spam', 1, now() - make_interval(hours => g % 2000)
  FROM generate_series(1, $REPORTS) g
ON CONFLICT DO NOTHING;
UPDATE contributions SET status = 'hidden'
 WHERE id IN (SELECT target_id FROM reports WHERE target_kind = 'contribution' GROUP BY target_id HAVING count(*) >= 3);
VACUUM ANALYZE contributions, reports;
SQL
echo "reports: $(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM $SCHEMA.reports"), hidden contributions: $(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM $SCHEMA.contributions WHERE status = 'hidden'")"
measure > /tmp/moderation-after.tsv
printf '| page | before: status, 1 connection | after |\n| --- | --- | --- |\n'
paste /tmp/moderation-before.tsv /tmp/moderation-after.tsv | awk -F'\t' '{printf "| `%s` | %s %s | %s %s |\n", $1, $2, $3, $5, $6}'
