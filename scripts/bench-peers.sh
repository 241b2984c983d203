#!/usr/bin/env bash
# Times s3sync against s5cmd, rclone and `aws s3 sync`, each with its defaults, on the same
# workloads against one `rclone serve s3` on loopback; prints a Markdown table of medians (wall,
# CPU, peak RSS, s3sync's ratio to the best peer) and writes bench-out/peers.json.
# Push workloads copy a local tree to the bucket (s3sync push, s5cmd sync, rclone sync, aws s3
# sync); pull workloads copy it back into a fresh empty directory (s3sync pull, s5cmd sync
# 's3://B/P/*' DIR/, rclone sync, aws s3 sync), from objects one untimed s3sync push put there.
#
#   scripts/bench-peers.sh                         # push and pull workloads, 3 runs each
#   scripts/bench-peers.sh --quick                 # scaled-down smoke test (a couple of minutes)
#   scripts/bench-peers.sh --workloads push        # small, large, noop, many-noop
#   scripts/bench-peers.sh --workloads pull        # pull-small, pull-large, pull-noop
#   scripts/bench-peers.sh --workloads scale       # 200k-file no-op push (long: every first push)
#   scripts/bench-peers.sh --workloads all --repeat 5
#
# Options are those of scripts/bench_peers.py (--help). Data lives under /tmp and is removed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh >&2
if [ -z "${S3SYNC_BENCH_NO_BUILD:-}" ]; then
  echo "== building s3sync (release)" >&2
  scripts/build-release.sh 2>&1 | grep -E "error|warning: |Build complete" >&2 || true
fi
[ -x .build/release/s3sync ] || { echo "bench-peers: .build/release/s3sync is missing: the build failed" >&2; exit 1; }
exec .venv/bin/python scripts/bench_peers.py "$@"
