#!/usr/bin/env bash
# Benchmark (not a test): N regions, then the server under load with requests spread over all of
# them, beside /healthz (the HTTP stack's ceiling) and pgbench running the page's own queries with
# the same region switching (the database's ceiling); memory; migrations.
#   tests/load/bench.sh 1000          # needs wrk (apt-get install wrk) and pgbench
# Uses its own database (echosciences_bench, recreated) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-16}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_bench
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
T=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "# $N regions — $(date -u +%F) — $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_bench WITH (FORCE)" -c "CREATE DATABASE echosciences_bench"
"$T/echos" migrate >/dev/null
"$T/echos-bench" provision "$N"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
kill -0 $SERVER

# Requests spread uniformly over every region (Host header chosen at random per request).
cat > "$WORK/spread.lua" <<LUA
local n = $N
request = function()
  return wrk.format("GET", "/", { Host = "b" .. math.random(1, n) .. ".bench.localhost" })
end
LUA
# Warm-up: touch every region once so every cache and backend has seen them.
for i in $(seq 1 "$N"); do echo "b$i.bench.localhost"; done | xargs -P 4 -I{} curl -s -o /dev/null -H "Host: {}" $URL/
wrk -t2 -c"$CONNS" -d5s -s "$WORK/spread.lua" $URL/ >/dev/null

summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{err=$NF} END{printf "%s req/s, p50 %s, p99 %s%s\n", rps, p50, p99, (err? ", non-2xx " err : "")}'; }
echo "healthz (HTTP ceiling):   $(wrk -t2 -c"$CONNS" -d"$DURATION" --latency $URL/healthz | summary)"
echo "region home, spread:      $(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$WORK/spread.lua" $URL/ | summary)"

server_rss=$(awk '/VmRSS/{print $2}' /proc/$SERVER/status)
backends=$(psql -At "$DATABASE_URL" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'echosciences'")
max_anon=0; sum_anon=0; count=0
for pid in $backends; do
  a=$(awk '/RssAnon/{print $2}' /proc/$pid/status 2>/dev/null || echo 0)
  sum_anon=$((sum_anon + a)); count=$((count + 1)); [ "$a" -gt "$max_anon" ] && max_anon=$a
done
echo "memory: server RSS $((server_rss / 1024)) MB; $count PostgreSQL backends, private memory max $((max_anon / 1024)) MB, total $((sum_anon / 1024)) MB"
kill $SERVER; wait $SERVER 2>/dev/null || true

# The database's ceiling: the page's own queries, same region switching, prepared.
cat > "$WORK/page.sql" <<SQL
\set n random(1, $N)
BEGIN;
SELECT set_config('search_path', '"tenant_b' || :n || '"', true);
SELECT key, value FROM settings ORDER BY key;
SELECT c.id, c.kind, c.slug, c.title, c.summary, c.status, c.author_id, m.display_name, m.handle, m.avatar_key, m.kind,
       coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                       WHERE ct.contribution_id = c.id ORDER BY t.name), '{}'),
       c.cover_key, c.link_url, c.announcement_kind, c.closes_on, p.status, p.title, p.description, p.image_url, p.site_name,
       (SELECT count(*) FROM comments k WHERE k.contribution_id = c.id AND k.status = 'visible'),
       (SELECT count(*) FROM likes l WHERE l.contribution_id = c.id),
       c.published_at, c.updated_at
  FROM contributions c JOIN members m ON m.id = c.author_id LEFT JOIN link_previews p ON p.contribution_id = c.id
 WHERE c.id IN (SELECT x.id FROM unnest('{article,link,debate,announcement,dossier}'::text[]) AS k(kind),
                       LATERAL (SELECT id FROM contributions
                                 WHERE kind = k.kind AND status = 'published'
                                   AND (closes_on IS NULL OR closes_on >= current_date)
                                 ORDER BY published_at DESC, id DESC LIMIT 4) x)
 ORDER BY c.published_at DESC, c.id DESC;
COMMIT;
SQL
echo "pgbench, page queries:    $(pgbench -n -M prepared -c "$CONNS" -j 2 -T "${DURATION%s}" -f "$WORK/page.sql" "$DATABASE_URL" 2>/dev/null | awk '/^tps/{tps=$3} /latency average/{avg=$4} END{printf "%.0f tps, avg %s ms", tps, avg}')"

start=$(date +%s.%N); "$T/echos" migrate >/dev/null; end=$(date +%s.%N)
echo "echos migrate, nothing to do: $(echo "($end - $start) * 1000" | bc | cut -d. -f1) ms"
"$T/echos-bench" migrate-column
