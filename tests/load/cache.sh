#!/usr/bin/env bash
# Benchmark (not a test): the anonymous pages, uncached and cached, over N regions that each hold
# a little of everything (members, four contributions of each kind, events on the map, places),
# every request to a region drawn at random; beside /healthz (the HTTP stack's ceiling) and the
# fair database ceiling: pgbench running the home page's own queries with the server's sub-pool
# affinity (client c touches only the regions of one sub-pool). Then the database round trips of
# each page, and memory (server, page cache, PostgreSQL backends).
#   tests/load/cache.sh 1000                          # needs wrk and pgbench
#   BASE=/path/to/older/echos tests/load/cache.sh 1000  # also the home page by an older build
#   ONLY=memory tests/load/cache.sh 5000               # only the backends' memory (every page, uncached)
#   ENCODING=identity tests/load/cache.sh 1000         # uncompressed answers (default: "br, gzip",
#                                                      # as every browser asks)
# Uses its own database (echosciences_cache_N, recreated unless REUSE=1) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10}
DURATION=${DURATION:-8s}
ENCODING=${ENCODING-br, gzip}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
DB=echosciences_cache_$N
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false
# Room for every region's pages and home data: what is measured is a hit, not an eviction (the
# defaults, 64 and 32 MiB, keep the most read; at 5 000 regions the home data alone is ~100 MB).
CACHE_BYTES=${CACHE_BYTES:-2147483648}
DATA_CACHE_BYTES=${DATA_CACHE_BYTES:-1073741824}
SUBPOOLS=${ECHOS_DATABASE__SUBPOOLS:-4}
T=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
export ENCODING
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "# $N regions — $(date -u +%F) — $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, PostgreSQL $(psql -At "$ADMIN" -c 'show server_version'), $SUBPOOLS sub-pools, Accept-Encoding: ${ENCODING:-none}"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
if [ -z "${REUSE:-}" ]; then # REUSE=1: the regions of the previous run with the same N
  psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$T/echos" migrate >/dev/null
  "$T/echos-bench" provision "$N" | sed -n 1p
  "$T/echos-bench" seed-each
  psql -q "$DATABASE_URL" -c "VACUUM ANALYZE"
fi

ARTICLE=$(psql -At "$DATABASE_URL" -c "SELECT '/articles/' || id || '-' || slug FROM tenant_b1.contributions WHERE kind = 'article' ORDER BY id LIMIT 1")
PAGES=("/" "/articles" "$ARTICLE" "/recherche?q=glaciers" "/carte.geojson" "/agenda")

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
start() { # BIN, then VAR=value… for the server
  local bin=$1; shift
  # This build's entries live as long as the run: what is measured is a hit (a write would still
  # retire them). An older build knows no such setting.
  [ "$bin" = "$T/echos" ] && set -- ECHOS_HTTP__PAGE_CACHE_TTL_SECS=3600 "$@"
  env "$@" "$bin" serve --bind 127.0.0.1:$PORT 2>"$WORK/server.log" & SERVER=$!
  for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
  kill -0 $SERVER || { grep -v '^ ' "$WORK/server.log" | tail -5 >&2; exit 1; }
}
stop() { kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=; }

# Each request to a region drawn at random; the page's path from the environment.
cat > "$WORK/spread.lua" <<LUA
local n = $N
local path = os.getenv("PAGE")
local encoding = os.getenv("ENCODING")
request = function()
  local headers = { Host = "b" .. math.random(1, n) .. ".bench.localhost" }
  if encoding ~= "" then headers["Accept-Encoding"] = encoding end
  return wrk.format("GET", path, headers)
end
LUA
summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{err=$NF} END{printf "%.0f req/s, p50 %s, p99 %s%s", rps, p50, p99, (err? ", non-2xx " err : "")}'; }
load() { # PAGE CONNS
  PAGE=$1 wrk -t2 -c"$2" -d"$DURATION" --latency -s "$WORK/spread.lua" $URL | summary
}
warm() { # every region once for every page, then a few seconds of load
  for page in "${PAGES[@]}"; do
    for i in $(seq 1 "$N"); do echo "b$i.bench.localhost"; done |
      xargs -P 4 -I{} curl -s -o /dev/null -H "Host: {}" "$URL$page"
  done
  PAGE=/ wrk -t2 -c16 -d3s -s "$WORK/spread.lua" $URL >/dev/null
}

if [ "${ONLY:-}" != memory ]; then
printf '\n| | 16 connections | 64 connections |\n| --- | --- | --- |\n'
start "$T/echos"
printf '| `/healthz` | %s | %s |\n' \
  "$(wrk -t2 -c16 -d"$DURATION" --latency -H "Accept-Encoding: $ENCODING" $URL/healthz | summary)" \
  "$(wrk -t2 -c64 -d"$DURATION" --latency -H "Accept-Encoding: $ENCODING" $URL/healthz | summary)"
stop
if [ -n "${BASE:-}" ]; then
  start "$BASE"
  warm
  printf '| `/`, the build before | %s | %s |\n' "$(load / 16)" "$(load / 64)"
  stop
fi
start "$T/echos" ECHOS_HTTP__PAGE_CACHE_BYTES=0 ECHOS_HTTP__DATA_CACHE_BYTES=0
warm
printf '| `/`, no cache at all | %s | %s |\n' "$(load / 16)" "$(load / 64)"
stop
start "$T/echos" ECHOS_HTTP__PAGE_CACHE_BYTES=0 ECHOS_HTTP__DATA_CACHE_BYTES="$DATA_CACHE_BYTES" ECHOS_TELEMETRY__LOG=warn,page_cache=info
warm
for page in "${PAGES[@]}"; do
  printf '| `%s`, uncached | %s | %s |\n' "${page:0:40}" "$(load "$page" 16)" "$(load "$page" 64)"
done
stop
grep -o 'home data cache.*' "$WORK/server.log" | tail -1 || true
start "$T/echos" ECHOS_HTTP__PAGE_CACHE_BYTES="$CACHE_BYTES" ECHOS_HTTP__DATA_CACHE_BYTES="$DATA_CACHE_BYTES" ECHOS_TELEMETRY__LOG=warn,page_cache=info
warm
for page in "${PAGES[@]}"; do
  printf '| `%s`, cached | %s | %s |\n' "${page:0:40}" "$(load "$page" 16)" "$(load "$page" 64)"
done
if [ -n "$ENCODING" ]; then # the same page to a client that takes no compression
  printf '| `/`, cached, uncompressed | %s | %s |\n' "$(ENCODING= load / 16)" "$(ENCODING= load / 64)"
fi
printf 'bytes of the home page: %s uncompressed, %s with Accept-Encoding "%s"\n' \
  "$(curl -s -H 'Host: b2.bench.localhost' "$URL/" | wc -c)" \
  "$(curl -s -H 'Host: b2.bench.localhost' -H "Accept-Encoding: $ENCODING" "$URL/" | wc -c)" "$ENCODING"
server_rss=$(awk '/VmRSS/{print $2}' /proc/$SERVER/status)
stop
grep -o 'page cache at.*' "$WORK/server.log" | tail -1 || true

# The fair ceiling: the home page's queries (its settings are cached), each pgbench client on the
# regions of one sub-pool, prepared, BEGIN and the schema in one round trip as the server sends them.
K=$SUBPOOLS
cat > "$WORK/page.sql" <<SQL
\set q random(0, $N / $K - 1)
\set n :q * $K + (:client_id % $K) + 1
BEGIN \; SELECT set_config('search_path', '"tenant_b' || :n || '"', true);
SELECT c.id, c.kind, c.slug, c.title, c.summary, '', '', c.status, c.author_id, m.display_name, m.handle, m.avatar_key, m.kind,
       coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                       WHERE ct.contribution_id = c.id ORDER BY t.name), '{}'),
       c.cover_key, c.cover_alt, c.community_id, c.link_url, c.announcement_kind, c.closes_on,
       p.status, p.title, p.description, p.image_url, p.site_name,
       (SELECT count(*) FROM comments k WHERE k.contribution_id = c.id AND k.status = 'visible'),
       c.like_count, c.featured_at IS NOT NULL, c.published_at, c.updated_at,
       CASE WHEN c.kind = 'project' THEN (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) END,
       CASE WHEN c.kind = 'project' THEN coalesce((SELECT k.closes_at FROM calls k WHERE k.id = c.call_id), c.vote_closes_at) END
  FROM contributions c JOIN members m ON m.id = c.author_id LEFT JOIN link_previews p ON p.contribution_id = c.id
 WHERE c.id IN (SELECT x.id FROM unnest('{article,link,debate,announcement,dossier,event,place,project}'::text[]) AS k(kind),
                       LATERAL (SELECT id FROM contributions
                                 WHERE kind = k.kind AND status = 'published'
                                   AND (closes_on IS NULL OR closes_on >= current_date)
                                 ORDER BY published_at DESC, id DESC LIMIT 4) x
                UNION ALL
                SELECT f.id FROM (SELECT id FROM contributions WHERE status = 'published' AND featured_at IS NOT NULL
                                   ORDER BY featured_at DESC LIMIT 4) f)
 ORDER BY c.featured_at DESC NULLS LAST, c.published_at DESC, c.id DESC;
COMMIT;
SQL
# The same with every statement prepared (BEGIN and the schema then take two round trips).
sed -e 's/^BEGIN \\; /BEGIN;\n/' "$WORK/page.sql" > "$WORK/page-prepared.sql"
for c in 16 64; do
  for mode in simple prepared; do
    f=$WORK/page.sql; [ $mode = prepared ] && f=$WORK/page-prepared.sql
    echo "pgbench ($mode), the home page's queries, $c clients: $(pgbench -n -M $mode -c "$c" -j 2 -T "${DURATION%s}" -f "$f" "$DATABASE_URL" 2>/dev/null | awk '/^tps/{tps=$3} /latency average/{avg=$4} END{printf "%.0f tps, avg %s ms", tps, avg}')"
  done
done

# Round trips: every statement the server sends for one request of each page (a warm region),
# from PostgreSQL's own log.
LOG=$(psql -At "$ADMIN" -c "SELECT coalesce(pg_current_logfile(), '')")
[ -n "$LOG" ] && [ "${LOG:0:1}" != / ] && LOG="$(psql -At "$ADMIN" -c 'show data_directory')/$LOG"
[ -z "$LOG" ] && LOG=$(ls -t /var/log/postgresql/postgresql-*-main.log | head -1)
psql -q "$ADMIN" -c "ALTER DATABASE $DB SET log_statement = 'all'"
count_round_trips() { # BIN, VAR=value…
  start "$@"
  for page in "${PAGES[@]}"; do curl -s -o /dev/null -H "Host: b2.bench.localhost" "$URL$page"; done
  for page in "${PAGES[@]}"; do
    local before after
    before=$(wc -l < "$LOG")
    curl -s -o /dev/null -H "Host: b2.bench.localhost" "$URL$page"
    sleep 0.3
    after=$(wc -l < "$LOG")
    printf '%s=%s ' "${page:0:24}" "$(tail -n +"$((before + 1))" "$LOG" | head -n "$((after - before))" |
      grep -E 'LOG: +(statement|execute)' | grep -vcE 'page_views|participation|spare' || true)"
  done
  echo
  stop
}
echo "round trips, this build (no cache): $(count_round_trips "$T/echos" ECHOS_HTTP__PAGE_CACHE_BYTES=0 ECHOS_HTTP__DATA_CACHE_BYTES=0)"
[ -n "${BASE:-}" ] && echo "round trips, the build before: $(count_round_trips "$BASE")"
psql -q "$ADMIN" -c "ALTER DATABASE $DB RESET log_statement"

echo "memory: server RSS after the cached runs $((server_rss / 1024)) MB"
fi
start "$T/echos" ECHOS_HTTP__PAGE_CACHE_BYTES=0
warm
for page in "${PAGES[@]}"; do load "$page" 16 >/dev/null; done
max_anon=0; sum_anon=0; count=0
for pid in $(psql -At "$DATABASE_URL" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'echosciences'"); do
  a=$(awk '/RssAnon/{print $2}' /proc/$pid/status 2>/dev/null || echo 0)
  sum_anon=$((sum_anon + a)); count=$((count + 1)); [ "$a" -gt "$max_anon" ] && max_anon=$a
done
stop
echo "PostgreSQL backends after every page uncached over $N regions: $count, private memory max $((max_anon / 1024)) MB, total $((sum_anon / 1024)) MB"
