#!/usr/bin/env bash
# Makes sure the machine has what the build (and, with --services, the test suite) needs:
#   build:    pkg-config, libhiredis-dev, libsodium-dev (the C libraries the server links)
#   services: postgresql, redis-server (throw-away instances for the integration tests), curl,
#             chromium and Playwright for Python (the spectator pages in a real browser, from PyPI),
#             schemathesis and openapi-spec-validator (the REST contract, from PyPI),
#             python-socketio with its client extras (the Socket.IO server, from PyPI)
# Missing Debian packages are installed with apt-get when this runs as root (or with sudo that
# needs no password); otherwise the exact command is printed and the script exits with 2.
set -euo pipefail

need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists hiredis 2>/dev/null || need+=(libhiredis-dev)
  pkg-config --exists libsodium 2>/dev/null || need+=(libsodium-dev)
else
  need+=(libhiredis-dev libsodium-dev)
fi
if [ "${1:-}" = "--services" ]; then
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi

python_deps() {
  [ "${1:-}" = "--services" ] || return 0
  local wanted=()
  python3 -c "import playwright" >/dev/null 2>&1 || wanted+=(playwright)
  command -v st >/dev/null 2>&1 || wanted+=(schemathesis)
  command -v openapi-spec-validator >/dev/null 2>&1 || wanted+=(openapi-spec-validator)
  python3 -c "import socketio, websocket, requests" >/dev/null 2>&1 || wanted+=("python-socketio[client]")
  if [ ${#wanted[@]} -gt 0 ]; then
    echo "deps: installing ${wanted[*]} (pip)" >&2
    python3 -m pip install --quiet --disable-pip-version-check "${wanted[@]}" >&2
  fi
}
if [ ${#need[@]} -eq 0 ]; then
  python_deps "${1:-}"
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "dojopool needs these Debian packages: ${need[*]}" >&2
  echo "install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 2
fi
echo "deps: installing ${need[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
python_deps "${1:-}"
