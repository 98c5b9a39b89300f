#!/usr/bin/env bash
# Benchmark (not a test): does a page cost more when there are more regions? A page (the home
# page by default), cached and uncached (the home page's data kept), over 10 regions and over N, in alternating rounds on the
# same build — this machine's spread from one minute to the next is larger than the difference
# looked for, so each figure is the median of ROUNDS runs, each on a freshly started server.
#   tests/load/scale.sh 5000          # after tests/load/cache.sh 10 and tests/load/cache.sh 5000
#   ROUNDS=7 DURATION=10s tests/load/scale.sh 1000
#   PAGE=/agenda MODES=cached tests/load/scale.sh 5000   # another page; cached and/or uncached
# Uses the regions that tests/load/cache.sh left (echosciences_cache_10 and echosciences_cache_N);
# the server's settings from the environment (ECHOS_DATABASE__SUBPOOLS…). Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-16}
PAGE=${PAGE:-/}
MODES=${MODES:-cached uncached}
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
export ECHOS_TENANCY__SPARES=0 ECHOS_TELEMETRY__LOG=warn ECHOS_PLATFORM__DOMAIN=bench.localhost
export ECHOS_ACCOUNTS__WORKER_IN_SERVE=false ECHOS_HTTP__PAGE_CACHE_TTL_SECS=3600
T=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for n in 10 "$N"; do
  psql -At "$ADMIN" -c "SELECT 1 FROM pg_database WHERE datname = 'echosciences_cache_$n'" | grep -q 1 ||
    { echo "no echosciences_cache_$n: run tests/load/cache.sh $n first" >&2; exit 1; }
done
SQLX_OFFLINE=true cargo build --release -q -p echos --bin echos
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT

run() { # REGIONS PAGE_CACHE_BYTES → req/s of the page, each request to a region at random
  local n=$1
  env DATABASE_URL=postgres://postgres@127.0.0.1:5432/echosciences_cache_$n ECHOS_HTTP__PAGE_CACHE_BYTES="$2" \
    ECHOS_HTTP__DATA_CACHE_BYTES=1073741824 "$T/echos" serve --bind 127.0.0.1:$PORT 2>"$WORK/server.log" & SERVER=$!
  for _ in $(seq 50); do curl -sf -o /dev/null $URL/healthz && break; sleep 0.2; done
  cat > "$WORK/spread.lua" <<LUA
request = function()
  return wrk.format("GET", "$PAGE", { Host = "b" .. math.random(1, $n) .. ".bench.localhost", ["Accept-Encoding"] = "br, gzip" })
end
LUA
  for i in $(seq 1 "$n"); do echo "b$i.bench.localhost"; done |
    xargs -P 4 -I{} curl -s -o /dev/null -H "Host: {}" -H "Accept-Encoding: br, gzip" "$URL$PAGE"
  wrk -t2 -c"$CONNS" -d3s -s "$WORK/spread.lua" $URL >/dev/null
  wrk -t2 -c"$CONNS" -d"$DURATION" -s "$WORK/spread.lua" $URL | awk '/Requests\/sec/{printf "%.0f", $2}'
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "# $PAGE at 10 and $N regions — $(date -u +%F) — $ROUNDS rounds of $DURATION, $CONNS connections, Accept-Encoding: br, gzip"
declare -A runs
for r in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    bytes=2147483648; [ $mode = uncached ] && bytes=0
    for n in 10 "$N"; do runs[$mode,$n]+="$(run "$n" "$bytes") "; done
  done
done
for mode in $MODES; do
  a=$(echo "${runs[$mode,10]}" | median); b=$(echo "${runs[$mode,$N]}" | median)
  echo "$PAGE, $mode: 10 regions ${runs[$mode,10]}→ median $a req/s; $N regions ${runs[$mode,$N]}→ median $b req/s; $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%+.1f %%", (b - a) * 100 / a}')"
done
