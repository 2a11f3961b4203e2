#!/usr/bin/env bash
# The house format (.swift-format, the toolchain's swift-format): `scripts/format.sh` rewrites the
# sources in place; `scripts/format.sh --check` changes nothing and fails on any difference or lint
# finding (CI runs it before the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Sources Tests loadtest Benchmarks Package.swift)
if [ "${1:-}" = "--check" ]; then
  swift format lint --strict --recursive --parallel "${paths[@]}"
  echo "format: clean"
else
  swift format format --in-place --recursive --parallel "${paths[@]}"
fi
