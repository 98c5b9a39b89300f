#!/usr/bin/env bash
# Load check (not a timed test): clients who hang up mid-request. ROUNDS runs of wrk, each one
# second at 64 connections over REGIONS regions; every run ends by closing its connections while
# requests are in flight, as a browser does when a visitor clicks away. A tenth of the requests
# are sign-ups (writes in a region's transaction and the control plane).
#
#   tests/load/hangups.sh            # ROUNDS=30 REGIONS=20 CONNS=64; needs wrk
#
# Then it checks, and fails unless: the server's log holds no "transaction in progress" warning
# at all, no connection of the server is left idle in a transaction, every region's pages answer
# 200, and every account that was created has its member row (no half-written sign-up).
# Uses its own database (echosciences_hangups, recreated) and a free port.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-30}
REGIONS=${REGIONS:-20}
CONNS=${CONNS:-64}
PROFILE=${PROFILE:-debug}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_hangups
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__RATE_LIMIT_SCALE=100000 ECHOS_ACCOUNTS__WORKER_IN_SERVE=false
T=${CARGO_TARGET_DIR:-target}/$PROFILE
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ "$PROFILE" = release ]; then flag=--release; else flag=; fi
SQLX_OFFLINE=true cargo build $flag -q -p echos -p echos-tests --bin echos --bin echos-bench
psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_hangups WITH (FORCE)" -c "CREATE DATABASE echosciences_hangups"
"$T/echos" migrate >/dev/null
"$T/echos-bench" provision "$REGIONS" >/dev/null

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$T/echos" serve --bind 127.0.0.1:$PORT >"$WORK/server.log" 2>&1 & SERVER=$!
for _ in $(seq 100); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
kill -0 $SERVER

# Pages of every kind, and sign-ups, spread over the regions.
CSRF=$(printf 'c%.0s' $(seq 43))
cat > "$WORK/mix.lua" <<LUA
local n, paths = $REGIONS, { "/", "/articles", "/veille", "/debats", "/annonces", "/recherche?q=science", "/flux.atom" }
math.randomseed(os.time())
request = function()
  local host = "b" .. math.random(1, n) .. ".bench.localhost"
  if math.random(1, 10) == 1 then
    local body = "display_name=Visiteur&kind=person&audience=&email=v" .. math.random(1, 1e9) .. "%40example.org"
      .. "&password=un-mot-de-passe-solide&csrf_token=$CSRF"
    return wrk.format("POST", "/inscription", { Host = host, Cookie = "csrf=$CSRF",
      ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
  end
  return wrk.format("GET", paths[math.random(1, #paths)], { Host = host })
end
LUA
for i in $(seq "$ROUNDS"); do
  wrk -t2 -c"$CONNS" -d1s -s "$WORK/mix.lua" $URL/ >/dev/null 2>&1 || true
done
sleep 2 # whatever was cut settles

fail=0
in_progress=$(grep -c "transaction in progress" "$WORK/server.log" || true)
echo "\"transaction in progress\" warnings in the server's log: $in_progress"
grep "transaction in progress" "$WORK/server.log" | sed 's/^.*\(there is [a-z ]*transaction in progress\).*$/  \1/' | sort | uniq -c || true
[ "$in_progress" -eq 0 ] || fail=1
idle=$(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM pg_stat_activity
  WHERE application_name = 'echosciences' AND state LIKE 'idle in transaction%'")
echo "server connections idle in a transaction: $idle"
[ "$idle" -eq 0 ] || fail=1
bad=0
for i in $(seq "$REGIONS"); do
  for p in / /articles /veille /debats /annonces /dossiers /flux.atom; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: b$i.bench.localhost" "$URL$p")
    [ "$code" = 200 ] || { echo "  b$i$p answered $code"; bad=$((bad + 1)); }
  done
done
echo "region pages not answering 200: $bad"
[ "$bad" -eq 0 ] || fail=1
accounts=$(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM platform.accounts")
orphans=0
for i in $(seq "$REGIONS"); do
  o=$(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM platform.memberships s
        JOIN platform.tenants t ON t.id = s.tenant_id AND t.slug = 'b$i'
        WHERE NOT EXISTS (SELECT 1 FROM tenant_b$i.members m WHERE m.account_id = s.account_id)")
  orphans=$((orphans + o))
done
echo "accounts created under load: $accounts; memberships without their member row: $orphans"
[ "$orphans" -eq 0 ] || fail=1
others=$(grep -c -E "WARN|ERROR" "$WORK/server.log" || true)
echo "other warnings and errors in the server's log: $others"
grep -E "WARN|ERROR" "$WORK/server.log" | grep -v "transaction in progress" | cut -c1-200 | sort | uniq -c | sort -rn | head -10 || true
exit $fail
