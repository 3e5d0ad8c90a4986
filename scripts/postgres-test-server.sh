#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the team-store tests and benchmarks (docs/team-store.md).
#
#   scripts/postgres-test-server.sh start DIR [PORT]   initdb in DIR/data, start on 127.0.0.1:PORT (a free port when
#                                                      none is given) and a unix socket in DIR; prints the port
#   scripts/postgres-test-server.sh stop DIR           stops the cluster (immediate) and removes DIR
#
# The cluster runs as the `postgres` user when this script runs as root (CI runs as root; postgres refuses to run as
# root), else as the calling user. Authentication is `trust`, on loopback and the socket only: a test server, never
# one to keep. The superuser is `postgres`. Needs postgresql-15 (scripts/install-deps.sh installs it, pinned).
#
# TLS (the sslmode test): with POSTGRES_TEST_SSL_CERT and POSTGRES_TEST_SSL_KEY naming PEM files, they are copied into
# DIR (the key 0600, owned by the cluster's user), the server starts with ssl=on, and loopback TCP accepts TLS
# connections only (hostssl): a connection without TLS is refused.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 64
fi

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$command" in
  start)
    if [ ! -x "$PG_BIN/initdb" ]; then
      echo "postgres-test-server: $PG_BIN/initdb not found: run scripts/install-deps.sh (postgresql-15)" >&2
      exit 69
    fi
    port="${3:-$(free_port)}"
    mkdir -p "$dir"
    if [ "$(id -u)" = "0" ]; then chown postgres: "$dir"; chmod 0700 "$dir"; fi
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      echo "postgres-test-server: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; exit 69; }
    ssl_options=""
    if [ -n "${POSTGRES_TEST_SSL_CERT:-}" ] && [ -n "${POSTGRES_TEST_SSL_KEY:-}" ]; then
      cp "$POSTGRES_TEST_SSL_CERT" "$dir/server.crt"
      cp "$POSTGRES_TEST_SSL_KEY" "$dir/server.key"
      chmod 0600 "$dir/server.key"
      if [ "$(id -u)" = "0" ]; then chown postgres: "$dir/server.crt" "$dir/server.key"; fi
      printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' >"$dir/pg_hba.conf"
      if [ "$(id -u)" = "0" ]; then chown postgres: "$dir/pg_hba.conf"; fi
      ssl_options="-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key -c hba_file=$dir/pg_hba.conf"
    fi
    # Small and fast: no fsync (a throwaway cluster: the OS cache survives an immediate stop, so commits do too; a
    # synchronous_commit=off would lose them, and the restart test would see it), a socket in DIR only, loopback only.
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=100 $ssl_options" \
      start >/dev/null || { echo "postgres-test-server: pg_ctl start failed:" >&2; tail -5 "$dir/server.log" >&2; exit 69; }
    echo "$port"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  restart)
    # Used by the test that restarts the server in the middle of a sync: same port, same data.
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w restart -l "$dir/server.log" >/dev/null
    ;;
  *)
    echo "usage: $0 start DIR [PORT] | stop DIR | restart DIR" >&2
    exit 64
    ;;
esac
