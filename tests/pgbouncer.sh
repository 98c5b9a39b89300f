#!/usr/bin/env bash
# Starts Debian's PgBouncer in transaction mode on 127.0.0.1:6439, in front of the local
# PostgreSQL (127.0.0.1:5432), for the tests that go through it. Installs it if missing; does
# nothing if it already answers. Its files live in /tmp/echos-pgbouncer (owned by postgres:
# PgBouncer refuses to run as root).
#
#   tests/pgbouncer.sh          # start
#   tests/pgbouncer.sh stop
set -euo pipefail
dir=/tmp/echos-pgbouncer
port=6439

if [ "${1:-}" = stop ]; then
  [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  exit 0
fi
if pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  exit 0
fi
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  # The package starts its own instance on 6432 where it can; ours is separate.
fi
mkdir -p "$dir"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = any
pool_mode = transaction
; A server connection is shared by turns: few, so that clients really do change servers.
default_pool_size = 6
max_client_conn = 400
; Tells the backends who came through the pooler (a test checks it).
application_name_add_host = 1
; sqlx sends these at start-up; PgBouncer 1.18 would refuse them otherwise.
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
chown -R postgres:postgres "$dir" 2>/dev/null || true
bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if [ "$(id -u)" = 0 ]; then
  "$bin" -d -u postgres "$dir/pgbouncer.ini"
else
  "$bin" -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$port" && exit 0
  sleep 0.1
done
echo "PgBouncer did not start; its log:" >&2
cat "$dir/pgbouncer.log" >&2 || true
exit 1
