#!/usr/bin/env bash
# The project's test command (the README's): the whole suite, with the layering check on.
# Integration tests read DOJO_TEST_POSTGRES_URL and DOJO_TEST_REDIS_URL (see scripts/services.sh);
# with CI=true they fail when those are unset.
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift test --explicit-target-dependency-import-check error "$@"
