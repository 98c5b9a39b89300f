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
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  # A throw-away server for tests: no fsync (a crash loses only test data), more locks for the
  # migrations' many schemas.
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start -- \
    -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_locks_per_transaction=256"
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

step "test tools"
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --locked --features binary
python3 -c "import aiosmtpd, feedparser, icalendar" 2>/dev/null || pip install -q aiosmtpd feedparser icalendar
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --silent)
tests/pgbouncer.sh

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
