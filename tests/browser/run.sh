#!/usr/bin/env bash
# Runs the browser tests against a real `echos serve`: a fresh database with two regions, a free
# port, an outbox of its own. Needs Debian's chromium (/usr/bin/chromium) and `npm ci` here.
#   tests/browser/run.sh [FILE.test.mjs…]   (after `cargo build -p echos`; all the tests without a file)
set -euo pipefail
cd "$(dirname "$0")"
ECHOS=${ECHOS_BIN:-${CARGO_TARGET_DIR:-../../target}/debug/echos}
export ECHOS_BIN=$(realpath "$ECHOS")
ADMIN=${ECHOS_BROWSER_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export DATABASE_URL=${ADMIN%/*}/echosciences_browser
export ECHOS_PLATFORM__DOMAIN=localhost ECHOS_TELEMETRY__LOG=warn ECHOS_TENANCY__SPARES=1
# Every person of every test signs up from 127.0.0.1, like a class behind one school's address:
# ten times the per-address allowances (the limits themselves are tested in Rust).
export ECHOS_ACCOUNTS__RATE_LIMIT_SCALE=10
# The curated-link test serves the page to preview on 127.0.0.2: let the preview fetcher reach it.
export ECHOS_LINKS__PREVIEW_ALLOW='["127.0.0.2/32"]'
WORK=$(mktemp -d)
export ECHOS_MAIL__OUTBOX_DIR=$WORK/outbox ECHOS_MEDIA__DIR=$WORK/media SHOTS_DIR=${SHOTS_DIR:-$WORK/shots}
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ECHOS_PLATFORM__PUBLIC_PORT=$PORT ECHOS_BASE_PORT=$PORT
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS echosciences_browser WITH (FORCE)" -c "CREATE DATABASE echosciences_browser"
"$ECHOS" migrate >/dev/null
"$ECHOS" tenant create alpes --name "Echosciences Alpes" --tagline "La culture scientifique en montagne" >/dev/null
"$ECHOS" tenant create littoral --name "Echosciences Littoral" --locale fr >/dev/null
"$ECHOS" serve --bind 127.0.0.1:$PORT & SERVER=$!
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.2; done
kill -0 $SERVER
node --test --test-reporter=spec "$@"
