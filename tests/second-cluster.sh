#!/usr/bin/env bash
# Starts a echos_second local PostgreSQL cluster on 127.0.0.1:5434 (Debian's `pg_createcluster`, the
# same version as the first), for the tests of regions spread over several clusters. Creates it
# if missing; does nothing if it already answers. A throw-away server: trust on loopback, no fsync.
#
#   tests/second-cluster.sh          # start
#   tests/second-cluster.sh stop
set -euo pipefail
port=5434
version="$(ls /etc/postgresql | sort -V | tail -1)"

if [ "${1:-}" = stop ]; then
  pg_ctlcluster --skip-systemctl-redirect "$version" echos_second stop 2>/dev/null || true
  exit 0
fi
if pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  exit 0
fi
if [ ! -d "/etc/postgresql/$version/echos_second" ]; then
  pg_createcluster "$version" echos_second -p "$port" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "/etc/postgresql/$version/echos_second/pg_hba.conf"
fi
if ! pg_lsclusters -h "$version" echos_second 2>/dev/null | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect "$version" echos_second start -- \
    -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_locks_per_transaction=256" \
    || echo "pg_ctlcluster: exit $? (waiting for the server)"
fi
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
pg_isready -h 127.0.0.1 -p "$port"
