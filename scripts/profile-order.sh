#!/usr/bin/env bash
# Regenerates scripts/s3sync.order, the link order of the functions s3sync runs (see
# scripts/profile_order.py), then relinks .build/release/s3sync with it. Run it after changes
# that move a lot of code; a stale list still links, it only packs less of the code together.
#
#   scripts/profile-order.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh >&2
if ! command -v valgrind >/dev/null 2>&1; then
  echo "profile-order: apt-get install valgrind" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi
scripts/build-release.sh >&2
.venv/bin/python scripts/profile_order.py
scripts/build-release.sh >&2
