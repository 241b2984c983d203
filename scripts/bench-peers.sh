#!/usr/bin/env bash
# Times s3sync against s5cmd, rclone and `aws s3 sync`, each with its defaults, on the same
# workloads against one `rclone serve s3` on loopback (optionally behind an added round-trip time,
# and over TLS); prints a Markdown table of medians (wall, CPU, peak RSS, s3sync's ratio to the
# best peer) and writes bench-out/peers.json.
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
#   scripts/bench-peers.sh --rtt 0,50              # every workload at 0 ms and at 50 ms round trip
#   scripts/bench-peers.sh --tls                   # over TLS (HTTPS) instead of plain HTTP
#   scripts/bench-peers.sh --rtt 0,50 --scheme http,https   # all four, one table
#
# --rtt MS[,MS...]: above 0, every tool (s3sync, s5cmd, rclone, aws) reaches the server through
#   Tests/Scripts/delayproxy.py, which holds each chunk RTT/2 in each direction (in order, bandwidth
#   not limited, a new connection charged one round trip as TCP's handshake) — this kernel has no
#   netem; at 0 the tools talk to the server directly. Each RTT is one round of every workload.
# --tls (same as --scheme https): rclone serve s3 runs with --cert/--key from a throwaway CA made
#   with openssl for the run, and every tool is told to trust it: s3sync and aws --ca-bundle, rclone
#   --ca-cert, s5cmd AWS_CA_BUNDLE (set for every tool). The proxy passes TLS bytes through
#   untouched. `aws s3 sync` cannot push there (the server refuses its aws-chunked bodies:
#   MissingContentLength): those runs show as known failures and do not fail the benchmark.
# Every row of the table names its RTT and scheme; ratios compare tools at the same RTT and scheme.
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
