#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432: installs Debian's server if there is none,
# starts the cluster if it is stopped, and waits (up to 60 s) for a server that is still starting.
# A throw-away server for tests: no fsync (a crash loses only test data), more locks for the
# migrations' many schemas.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! ready; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  # "Cluster is already running" (exit 2) means it is starting or stopping: wait for it below.
  if ! pg_lsclusters -h "$version" main 2>/dev/null | grep -q online; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start -- \
      -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_locks_per_transaction=256" \
      || echo "pg_ctlcluster: exit $? (waiting for the server)"
  fi
  for _ in $(seq 1 60); do ready && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
