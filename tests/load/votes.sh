#!/usr/bin/env bash
# Benchmark (not a test): votes on one project from VOTERS members at once. The region of
# console.sh (10 000 members) gets an open project; VOTERS confirmed members sign in, then wrk
# keeps VOTERS connections busy, each request a vote or a withdrawal (half and half) from one of
# them: every request is one statement in its transaction, against the same project's rows.
#   tests/load/votes.sh                 # 100 voters; needs wrk
# Uses its own database (echosciences_console, recreated) and a free port. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
VOTERS=${VOTERS:-100}
DURATION=${DURATION:-10s}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_console
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false ECHOS_ACCOUNTS__RATE_LIMIT_SCALE=100
T=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
trap 'kill ${SERVER:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "# $VOTERS voters on one project — $(date -u +%F) — $(nproc) cores, $(psql -At "$ADMIN" -c 'show server_version')"
SQLX_OFFLINE=true cargo build --release -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_console WITH (FORCE)" -c "CREATE DATABASE echosciences_console"
"$T/echos" migrate >/dev/null
"$T/echos-bench" fill-console console 2000 2000
SCHEMA=$(psql -At "$DATABASE_URL" -c "SELECT schema_name FROM platform.tenants WHERE slug = 'console'")
psql -q "$DATABASE_URL" -c "SET search_path TO $SCHEMA;
  INSERT INTO contributions (kind, author_id, status, title, slug, body_md, body_html, published_at, vote_closes_at)
  VALUES ('project', 1, 'published', 'Projet mesuré', 'projet-mesure', 'Texte', '<p>Texte</p>', now(), now() + interval '30 days')"
PROJECT=$(psql -At "$DATABASE_URL" -c "SELECT id FROM $SCHEMA.contributions WHERE slug = 'projet-mesure'")

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
HOST=console.bench.localhost
"$T/echos" serve --bind 127.0.0.1:$PORT & SERVER=$!
for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done

# Sign in VOTERS confirmed members (fill-console confirms those whose number is not a multiple of 4).
echo "local sessions = {" > "$WORK/sessions.lua"
n=0; g=1
while [ "$n" -lt "$VOTERS" ]; do
  if [ $((g % 4)) -ne 0 ]; then
    JAR=$WORK/jar$g
    curl -s -o /dev/null -c "$JAR" -H "Host: $HOST" "$URL/connexion"
    CSRF=$(awk '$6 == "csrf" {print $7}' "$JAR")
    curl -s -o /dev/null -b "$JAR" -c "$JAR" -H "Host: $HOST" -H "Origin: http://$HOST" \
      --data-urlencode "email=membre$g@$HOST" --data-urlencode "password=echosciences-bench" --data-urlencode "csrf_token=$CSRF" "$URL/connexion"
    SESSION=$(awk '$6 == "session" {print $7}' "$JAR")
    [ -n "$SESSION" ] || { echo "membre$g could not sign in"; exit 1; }
    echo "  {csrf = \"$CSRF\", session = \"$SESSION\"}," >> "$WORK/sessions.lua"
    n=$((n + 1))
  fi
  g=$((g + 1))
done
echo "}" >> "$WORK/sessions.lua"
cat "$WORK/sessions.lua" - > "$WORK/vote.lua" <<LUA
local count = 0
request = function()
  count = count + 1
  local s = sessions[math.random(#sessions)]
  local action = (count % 2 == 0) and "vote" or "withdraw"
  return wrk.format("POST", "/projets/$PROJECT/voter", {
    ["Host"] = "$HOST",
    ["Origin"] = "http://$HOST",
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrf=" .. s.csrf .. "; session=" .. s.session,
  }, "action=" .. action .. "&csrf_token=" .. s.csrf)
end
LUA
# Every answer is a 303 back to the project (wrk counts it as "non-2xx"); socket errors are shown.
summary() { awk '/Requests\/sec/{rps=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Socket errors/{err=$0} END{printf "%s req/s, p50 %s, p99 %s%s", rps, p50, p99, (err? ", " err : "")}'; }
wrk -t2 -c"$VOTERS" -d3s -s "$WORK/vote.lua" "$URL" >/dev/null
echo "| voters | 1 connection | $VOTERS connections |"
echo "| --- | --- | --- |"
ONE=$(wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/vote.lua" "$URL" | summary)
MANY=$(wrk -t2 -c"$VOTERS" -d"$DURATION" --latency -s "$WORK/vote.lua" "$URL" | summary)
echo "| $VOTERS | $ONE | $MANY |"
echo "stored votes: $(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM $SCHEMA.votes WHERE contribution_id = $PROJECT") (at most $VOTERS)"
