#!/usr/bin/env bash
# Proves that the README's two commands are the ones that work: takes them from the README's
# "The two commands" section, checks that .ci/run runs exactly the test command, then runs the run
# command as a new user would (its own data folder, a free port) and waits for /readyz.
set -euo pipefail
cd "$(dirname "$0")/.."
section=$(awk '/^## The two commands/{on=1; next} /^## /{on=0} on' README.md)
mapfile -t commands < <(printf '%s\n' "$section" | awk '/^```sh/{block=1; next} /^```/{block=0} block && NF {sub(/ +#.*/, ""); print}')
[ ${#commands[@]} -eq 2 ] || { echo "readme-check: expected two commands in the README's section, found: ${commands[*]}" >&2; exit 1; }
run=${commands[0]} test=${commands[1]}
echo "readme-check: run command '$run', test command '$test'"
grep -qxF "$test" .ci/run || { echo "readme-check: .ci/run does not run the README's test command '$test'" >&2; exit 1; }

work=$(mktemp -d /tmp/dojopool-readme.XXXXXX)
port=${DOJO_README_PORT:-18080}
log="$work/serve.log"
DOJO_HTTP_PORT=$port DOJO_DATABASE_SQLITE_PATH="$work/dojopool.sqlite" DOJO_AUTH_KEYS_PATH="$work/keys.json" \
  setsid bash -c "$run" >"$log" 2>&1 &
pid=$!
stop() { kill -TERM -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT
for _ in $(seq 1 600); do
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "readme-check: '$run' serves: $(curl -s "http://127.0.0.1:$port/v1")"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "readme-check: '$run' exited:" >&2; tail -20 "$log" >&2; exit 1; }
  sleep 1
done
echo "readme-check: '$run' did not become ready in 600 s:" >&2
tail -20 "$log" >&2
exit 1
