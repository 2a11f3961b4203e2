#!/usr/bin/env bash
# The REST contract against a live server, by tools nobody here wrote:
#   1. openapi-spec-validator on the document the server serves;
#   2. schemathesis over every operation (examples, coverage, fuzzing, and the stateful links
#      create → read), signed in as an ADMIN: no 5xx, every status documented, every answer
#      conforming to its schema, malformed input refused.
# Usage: scripts/openapi-check.sh [--url http://127.0.0.1:PORT --key SERVICE_KEY] [-- extra schemathesis options]
# Without --url it starts `.build/debug/dojopool serve` on a throw-away SQLite database (build first).
set -euo pipefail
cd "$(dirname "$0")/.."

url="" key="" max_examples="${DOJO_OPENAPI_EXAMPLES:-25}"
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "openapi-check: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in st openapi-spec-validator curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "openapi-check: $tool is missing (scripts/deps.sh --services installs it)" >&2; exit 2; }
done

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$url" ]; then
  [ -x .build/debug/dojopool ] || { echo "openapi-check: build first (swift build --product dojopool)" >&2; exit 2; }
  key="openapi-check-service-key-0123456789abcdef"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  DOJO_HTTP_PORT=$port DOJO_DATABASE_SQLITE_PATH="$work/dojo.sqlite" DOJO_AUTH_KEYS_PATH="$work/keys.json" \
    DOJO_AUTH_SERVICE_KEY="$key" DOJO_API_RATELIMIT_WRITE_PER_MINUTE=10000000 DOJO_API_RATELIMIT_READ_PER_MINUTE=10000000 \
    DOJO_AUTH_RATELIMIT_PER_MINUTE=100000 DOJO_LOG_LEVEL=warning DOJO_MAIL_TRANSPORT=log \
    .build/debug/dojopool serve >"$work/server.log" 2>&1 &
  server=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
fi

curl -fsS "$url/v1/openapi.json" -o "$work/openapi.json"
openapi-spec-validator "$work/openapi.json"

# An ADMIN to sign in as: registered, promoted by the service key, signed in.
service=(-H "Authorization: Bearer $key" -H "X-Dojo-User: openapi-admin" -H "X-Dojo-Role: ADMIN" -H "Content-Type: application/json")
session=$(curl -fsS -X POST "$url/v1/auth/register" -H "Content-Type: application/json" \
  -d '{"email":"openapi-admin@example.test","username":"openapi-admin","password":"openapi-check-password"}')
admin=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])' <<<"$session")
curl -fsS -X POST "$url/v1/admin/users/$admin/role" "${service[@]/openapi-admin/$admin}" -d '{"role":"ADMIN"}' >/dev/null
token=$(curl -fsS -X POST "$url/v1/auth/login" -H "Content-Type: application/json" \
  -d '{"login":"openapi-admin","password":"openapi-check-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
# Something to find: a venue with a table, a match on it.
curl -fsS -X POST "$url/v1/venues" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -d '{"id":"v1","name":"Hall","lat":51.5,"lng":-0.1}' >/dev/null
curl -fsS -X POST "$url/v1/venues/v1/tables" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -d '{"id":"t1","name":"Table 1"}' >/dev/null

# Tokens live 15 minutes: the run is bounded well under that.
st --config-file scripts/schemathesis.toml run "$work/openapi.json" --url "$url" -H "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance,ignored_auth,object_level_authorization,use_after_free \
  --max-examples "$max_examples" --seed "${DOJO_OPENAPI_SEED:-20261205}" --workers 1 \
  --max-failures 200 --continue-on-failure "$@"
