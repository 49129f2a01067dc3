#!/usr/bin/env bash
# Installs Bazel 4.2.3 from Debian (bookworm's bazel-bootstrap), non-interactively.
# Idempotent. Needs root and the Debian package mirror; nothing else is downloaded,
# then or when Bazel runs (see docs/bazel.md).
set -euo pipefail
if dpkg -s bazel-bootstrap >/dev/null 2>&1 && command -v bazel >/dev/null 2>&1; then
  echo "bazel-bootstrap is already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends bazel-bootstrap
