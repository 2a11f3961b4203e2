#!/usr/bin/env bash
# The README's run command: installs what the build needs when it is missing (scripts/deps.sh),
# then builds and serves on the embedded default (SQLite under ./data/, in-process presence and
# bus) at http://127.0.0.1:8080. Arguments go to `dojopool serve` (`--port 9090`, `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec swift run dojopool serve "$@"
