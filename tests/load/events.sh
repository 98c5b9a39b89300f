#!/usr/bin/env bash
# Benchmark (not a test): the agenda and the map of a region with EVENTS events (a fifth of them
# series of four dates) and PLACES places to visit spread over its territory, and 300 structures
# with an address. Each page is timed with wrk on one connection (the server's own time), anonymous;
# the GeoJSON's size is given raw and gzipped.
#   tests/load/events.sh                 # 5 000 events, 2 000 places; needs wrk
# Uses its own database (echosciences_events, recreated) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${EVENTS:-5000}
PLACES=${PLACES:-2000}
DURATION=${DURATION:-5s}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_events
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false
T=${CARGO_TARGET_DIR:-target}/release
trap 'kill ${SERVER:-} 2>/dev/null || true' EXIT

echo "# agenda and map with $EVENTS events and $PLACES places — $(date -u +%F) — $(nproc) cores, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos --bin echos
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_events WITH (FORCE)" -c "CREATE DATABASE echosciences_events"
"$T/echos" migrate >/dev/null
"$T/echos" tenant create carte --name "Réseau mesuré" >/dev/null
SCHEMA=$(psql -At "$DATABASE_URL" -c "SELECT schema_name FROM platform.tenants WHERE slug = 'carte'")
START=$(date +%s)
psql -q "$DATABASE_URL" <<SQL
SET search_path TO $SCHEMA;
INSERT INTO platform.accounts (id, email, password_hash, home_tenant_id, confirmed_at)
SELECT md5('e' || g)::uuid, 'membre' || g || '@carte.bench', 'x', (SELECT id FROM platform.tenants WHERE slug = 'carte'), now()
  FROM generate_series(1, 600) g;
INSERT INTO members (account_id, handle, display_name, kind, audience, address, lat, lon)
SELECT md5('e' || g)::uuid, 'membre-' || g, 'Membre ' || g,
       CASE WHEN g <= 300 THEN 'structure' ELSE 'person' END, CASE WHEN g > 300 THEN 'curious' END,
       CASE WHEN g <= 300 THEN g || ' rue des Sciences' END,
       CASE WHEN g <= 300 THEN 44.7 + (g * 7919 % 1000) / 1000.0 * 1.3 END,
       CASE WHEN g <= 300 THEN 4.8 + (g * 104729 % 1000) / 1000.0 * 2.0 END
  FROM generate_series(1, 600) g;
INSERT INTO contributions (kind, author_id, status, title, slug, summary, body_md, body_html, body_text, published_at,
                           event_kind, audience, place_name, address, lat, lon, price)
SELECT 'event', 1 + g % 600, 'published', 'Événement ' || g, 'evenement-' || g, 'Résumé ' || g, 'Texte', '<p>Texte</p>', 'Texte',
       now() - interval '10 days',
       (ARRAY['workshop','conference','exhibition','festival','visit','science_cafe','other'])[1 + g % 7],
       (ARRAY['everyone','children','families','schools','students','professionals'])[1 + g % 6],
       'Lieu ' || g, g || ' place de la Mairie',
       44.7 + (g * 7919 % 10000) / 10000.0 * 1.3, 4.8 + (g * 104729 % 10000) / 10000.0 * 2.0,
       CASE WHEN g % 4 = 0 THEN '5 €' END
  FROM generate_series(1, $EVENTS) g;
INSERT INTO event_occurrences (contribution_id, starts_at, ends_at)
SELECT c.id, s, s + interval '2 hours'
  FROM contributions c,
       LATERAL (SELECT date_trunc('hour', now()) + make_interval(days => (c.id * 37 % 400)::int - 30, hours => (c.id % 10)::int) + make_interval(weeks => w) AS s
                  FROM generate_series(0, CASE WHEN c.id % 5 = 0 THEN 3 ELSE 0 END) w) x
 WHERE c.kind = 'event';
INSERT INTO contributions (kind, author_id, status, title, slug, summary, body_md, body_html, body_text, published_at,
                           place_kind, address, lat, lon, opening_hours)
SELECT 'place', 1 + g % 300, 'published', 'Lieu à visiter ' || g, 'lieu-' || g, '', 'Texte', '<p>Texte</p>', 'Texte', now(),
       (ARRAY['museum','garden','observatory','lab','company','library','other'])[1 + g % 7], g || ' chemin du Musée',
       44.7 + (g * 3571 % 10000) / 10000.0 * 1.3, 4.8 + (g * 7727 % 10000) / 10000.0 * 2.0, 'Du mardi au dimanche'
  FROM generate_series(1, $PLACES) g;
VACUUM ANALYZE contributions, event_occurrences, members;
SQL
echo "written in $(( $(date +%s) - START )) s: $(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM $SCHEMA.event_occurrences") dates"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
HOST=carte.bench.localhost
"$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
MONTH=$(date -u +%F)
PAGES=(/carte.geojson "/carte.geojson?bbox=5.5,45.0,6.0,45.4" "/carte.geojson?couches=lieux" /carte /agenda "/agenda?vue=mois&date=$MONTH" "/agenda?vue=semaine&date=$MONTH" "/agenda?page=10" /agenda.ics /evenements/5-evenement-5)
summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{err=$NF} END{printf "%s req/s, p50 %s, p99 %s%s", rps, p50, p99, (err? ", non-2xx " err : "")}'; }
printf '| page | status | bytes | gzipped | 1 connection |\n| --- | --- | --- | --- | --- |\n'
for path in "${PAGES[@]}"; do
  curl -s -o /tmp/events-bench.body -w '%{http_code} %{size_download}\n' -H "Host: $HOST" "$URL$path" > /tmp/events-bench.meta
  read -r status bytes < /tmp/events-bench.meta
  gz=$(gzip -c /tmp/events-bench.body | wc -c)
  wrk -t1 -c1 -d2s -H "Host: $HOST" "$URL$path" >/dev/null
  printf '| `%s` | %s | %s | %s | %s |\n' "${path:0:48}" "$status" "$bytes" "$gz" "$(wrk -t1 -c1 -d"$DURATION" --latency -H "Host: $HOST" "$URL$path" | summary)"
done
