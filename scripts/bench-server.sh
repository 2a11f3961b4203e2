#!/usr/bin/env bash
# Starts or stops the release server for load tests: loopback, port 9000 (DOJO_BENCH_PORT), bench
# rooms on, client message and REST rate limits lifted (publishers and cameras send hundreds of messages per
# second), no cap on connections per client address (tens of thousands come from loopback), the
# open-files limit at 20,000, a fresh SQLite file (or DOJO_DATABASE_URL when set).
# DOJO_BENCH_NODES=N starts N nodes of one platform on ports 9000…9000+N-1 (Postgres and Redis
# needed: DOJO_DATABASE_URL, DOJO_REDIS_URL). The PIDs go to $DOJO_BENCH_DIR/server.pid, one per
# line, for `dojo-loadtest --server-pid @…` (which sums their CPU and RSS).
set -euo pipefail
dir=${DOJO_BENCH_DIR:-${TMPDIR:-/tmp}/dojo-bench}
port=${DOJO_BENCH_PORT:-9000}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
nodes=${DOJO_BENCH_NODES:-1}
case "${1:-}" in
start)
    [ -x "$root/.build/release/dojopool" ] || (cd "$root" && swift build -c release --product dojopool)
    if [ "$nodes" -gt 1 ]; then
        # One platform of several nodes: they share Postgres and Redis, the signing keys and the
        # cluster's secret (one owner per actor, commands forwarded to it).
        [ -n "${DOJO_DATABASE_URL:-}" ] && [ -n "${DOJO_REDIS_URL:-}" ] || {
            echo "DOJO_BENCH_NODES=$nodes needs DOJO_DATABASE_URL (Postgres) and DOJO_REDIS_URL (scripts/services.sh start prints both)" >&2
            exit 2
        }
        export DOJO_CLUSTER_SECRET=${DOJO_CLUSTER_SECRET:-bench-cluster-secret-0123456789abcdef0123456789}
        export DOJO_CLUSTER_NAME=${DOJO_CLUSTER_NAME:-bench$$}
    fi
    rm -rf "$dir/server-data" && mkdir -p "$dir/server-data"
    : >"$dir/server.pid"
    for n in $(seq 0 $((nodes - 1))); do
        (
            cd "$dir/server-data"
            ulimit -n 20000
            export DOJO_HTTP_PORT=$((port + n)) DOJO_LOG_LEVEL=${DOJO_LOG_LEVEL:-warning} \
                DOJO_GATEWAY_BENCH_ENABLED=true DOJO_GATEWAY_MESSAGES_PER_SECOND=1000000 DOJO_GATEWAY_MESSAGES_BURST=1000000 \
                DOJO_GATEWAY_SUBSCRIPTIONS_MAX=1000 DOJO_AUTH_RATELIMIT_PER_MINUTE=100000 \
                DOJO_API_RATELIMIT_WRITE_PER_MINUTE=10000000 DOJO_API_RATELIMIT_READ_PER_MINUTE=10000000 \
                DOJO_HTTP_CONNECTIONS_PER_ADDRESS=0 \
                DOJO_AUTH_SERVICE_KEY=${DOJO_AUTH_SERVICE_KEY:-bench-service-key-0123456789abcdef0123}
            log="$dir/server.log"
            if [ "$nodes" -gt 1 ]; then
                export DOJO_CLUSTER_NODE_ID=node$n DOJO_AUTH_KEYS_PATH="$dir/server-data/keys.json"
                log="$dir/server-$n.log"
            fi
            exec "$root/.build/release/dojopool" serve >"$log" 2>&1
        ) &
        echo $! >>"$dir/server.pid"
        # The first node writes the signing keys the others read: wait for it before the next.
        ready=no
        for _ in $(seq 1 150); do
            curl -sf "http://127.0.0.1:$((port + n))/readyz" >/dev/null 2>&1 && { ready=yes; break; }
            sleep 0.1
        done
        [ $ready = yes ] || { echo "node on port $((port + n)) did not become ready; see $dir/server*.log" >&2; exit 1; }
    done
    echo "dojopool: $nodes node(s) on 127.0.0.1:$port…$((port + nodes - 1)), pids $(tr '\n' ' ' <"$dir/server.pid")"
    ;;
stop)
    if [ -f "$dir/server.pid" ]; then
        while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/server.pid"
        rm -f "$dir/server.pid"
    fi
    ;;
*)
    echo "usage: [DOJO_BENCH_NODES=N] $0 start|stop" >&2
    exit 2
    ;;
esac
