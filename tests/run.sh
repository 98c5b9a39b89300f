#!/usr/bin/env bash
# Every test, from a fresh machine: installs what the tests talk to (a local S3-compatible server,
# an SMTP server, Debian's PgBouncer, chromium and playwright-core), starts PostgreSQL and
# PgBouncer if they are not running, then runs the Rust tests, the integration tests again with
# the regions' connections through PgBouncer in transaction mode, and the browser tests. Safe to
# rerun: what is there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "PostgreSQL"
tests/postgres.sh

step "test tools"
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --locked --features binary
python3 -c "import aiosmtpd, feedparser, icalendar" 2>/dev/null || pip install -q aiosmtpd feedparser icalendar
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --silent)
tests/pgbouncer.sh
tests/second-cluster.sh

step "tests"
cargo nextest run --workspace

step "integration tests through PgBouncer (transaction mode)"
# Left out: the statement-cache test (sqlx's own cache is off through this PgBouncer), and the
# cancellation tests, which read a server session's state from pg_stat_activity — through a pooler
# in transaction mode that server is another client's as soon as a statement ends.
ECHOS_TEST_REGIONS_URL=postgres://postgres@127.0.0.1:6439/echosciences_test \
  cargo nextest run -p echos-tests -E 'not test(/statement_cache|tenancy::cancellation/)'

step "browser tests"
cargo build -q -p echos
tests/browser/run.sh
