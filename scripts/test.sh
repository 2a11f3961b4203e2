#!/usr/bin/env bash
# The project's test command (the README's): the whole suite, with the layering check on.
# Installs what the build and the services need when it is missing (scripts/deps.sh --services).
# Integration tests read DOJO_TEST_POSTGRES_URL and DOJO_TEST_REDIS_URL; when they are not set, a
# throw-away Postgres and Redis are started on 127.0.0.1 for the run and stopped after it, so the
# whole suite runs, not a skipping one. With CI=true an unreachable service is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --services
if [ -z "${DOJO_TEST_POSTGRES_URL:-}" ] || [ -z "${DOJO_TEST_REDIS_URL:-}" ]; then
  export DOJO_SERVICES_DIR=${DOJO_SERVICES_DIR:-$(mktemp -d /tmp/dojopool-test-services.XXXXXX)}
  trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT
  # Captured first, so a service that cannot start fails the run here with its own message.
  services_env=$(scripts/services.sh start) || { echo "test: the throw-away services did not start (see $DOJO_SERVICES_DIR/*.log)" >&2; exit 1; }
  eval "$services_env"
  echo "test: postgres at $DOJO_TEST_POSTGRES_URL, redis at $DOJO_TEST_REDIS_URL (throw-away)" >&2
fi
swift test --explicit-target-dependency-import-check error "$@"
