#!/usr/bin/env bash
# Starts (or stops) a throw-away PostgreSQL and Redis on 127.0.0.1 for the integration tests.
#
#   eval "$(scripts/services.sh start)"   # prints the export lines for DOJO_TEST_POSTGRES_URL / DOJO_TEST_REDIS_URL
#   scripts/services.sh stop
#
# Postgres gets its own initdb in a temporary folder (trust auth on loopback only), Redis runs
# without persistence. Ports: DOJO_PG_PORT (55432), DOJO_REDIS_PORT (56379). State lives in
# $DOJO_SERVICES_DIR (default /tmp/dojopool-services).
set -euo pipefail

PG_PORT=${DOJO_PG_PORT:-55432}
REDIS_PORT=${DOJO_REDIS_PORT:-56379}
DIR=${DOJO_SERVICES_DIR:-/tmp/dojopool-services}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  [ -n "$PG_BIN" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server not found" >&2; exit 1; }
  mkdir -p "$DIR"
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    rm -rf "$DIR/pg"; mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
    as_postgres "$PG_BIN/initdb" -D "$DIR/pg" -A trust -U dojo -E UTF8 >"$DIR/initdb.log" 2>&1
  fi
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" start >&2
  fi
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >&2
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export DOJO_TEST_POSTGRES_URL=postgres://dojo@127.0.0.1:$PG_PORT/postgres"
  echo "export DOJO_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

stop() {
  if [ -n "$PG_BIN" ] && [ -f "$DIR/pg/PG_VERSION" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >&2 || true
  fi
  if [ -f "$DIR/redis.pid" ]; then kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
