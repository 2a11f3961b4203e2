#!/usr/bin/env bash
# Starts or stops the release server for load tests: loopback, port 9000 (DOJO_BENCH_PORT), bench
# rooms on, client message and REST rate limits lifted (publishers and cameras send hundreds of messages per
# second), no cap on connections per client address (tens of thousands come from loopback), the
# open-files limit at 20,000, a fresh SQLite file (or DOJO_DATABASE_URL when set).
# Its PID goes to $DOJO_BENCH_DIR/server.pid for `dojo-loadtest --server-pid @…`.
set -euo pipefail
dir=${DOJO_BENCH_DIR:-${TMPDIR:-/tmp}/dojo-bench}
port=${DOJO_BENCH_PORT:-9000}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
case "${1:-}" in
start)
    [ -x "$root/.build/release/dojopool" ] || (cd "$root" && swift build -c release --product dojopool)
    rm -rf "$dir/server-data" && mkdir -p "$dir/server-data"
    (
        cd "$dir/server-data"
        ulimit -n 20000
        export DOJO_HTTP_PORT=$port DOJO_LOG_LEVEL=${DOJO_LOG_LEVEL:-warning} \
            DOJO_GATEWAY_BENCH_ENABLED=true DOJO_GATEWAY_MESSAGES_PER_SECOND=1000000 DOJO_GATEWAY_MESSAGES_BURST=1000000 \
            DOJO_GATEWAY_SUBSCRIPTIONS_MAX=1000 DOJO_AUTH_RATELIMIT_PER_MINUTE=100000 \
            DOJO_API_RATELIMIT_WRITE_PER_MINUTE=10000000 DOJO_API_RATELIMIT_READ_PER_MINUTE=10000000 \
            DOJO_HTTP_CONNECTIONS_PER_ADDRESS=0 \
            DOJO_AUTH_SERVICE_KEY=${DOJO_AUTH_SERVICE_KEY:-bench-service-key-0123456789abcdef0123}
        exec "$root/.build/release/dojopool" serve >"$dir/server.log" 2>&1
    ) &
    echo $! >"$dir/server.pid"
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && { echo "dojopool on 127.0.0.1:$port, pid $(cat "$dir/server.pid")"; exit 0; }
        sleep 0.1
    done
    echo "server did not become ready; see $dir/server.log" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/server.pid" ]; then kill "$(cat "$dir/server.pid")" 2>/dev/null || true; rm -f "$dir/server.pid"; fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
