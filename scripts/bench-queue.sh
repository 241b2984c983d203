#!/usr/bin/env bash
# What the shared job queue in PostgreSQL costs next to the SQLite state file, and how many claims
# a PostgreSQL on this machine sustains. Starts its own `rclone serve s3` and a throwaway
# PostgreSQL cluster (default durability: fsync and synchronous_commit on), prints Markdown tables
# and writes bench-out/queue.json:
#   - the same first pushes (2000 x 32 KiB, 2 x 512 MiB) with --state and with --queue: medians of
#     wall, CPU and peak RSS, PostgreSQL's over SQLite's, the CPU of the S3 server and PostgreSQL;
#   - s3sync's requests and MiB per CPU-second;
#   - the store's statements, round trips and transactions per file (pg_stat_statements and
#     pg_stat_database; SQLite's from its trace log), and the statements with the most calls;
#   - claims per second: pgbench running s3sync's claimTasks (batches of 64 and 1) and claimPart
#     statements with 1, 4, 16 and 64 clients against a million pending rows, and what one claim
#     costs as more of a job's tasks are done ahead of it.
#
#   scripts/bench-queue.sh                          # everything, 3 pushes per store and workload
#   scripts/bench-queue.sh --quick                  # scaled down, a couple of minutes
#   scripts/bench-queue.sh --rtt 0,50               # the pushes again with the S3 server 50 ms away
#   scripts/bench-queue.sh --async-commit           # also PostgreSQL with synchronous_commit=off
#   scripts/bench-queue.sh --skip-pushes            # only the claims
#
# Needs PostgreSQL's server binaries (Debian: postgresql-15, which ships pg_stat_statements and
# pgbench); as root, the cluster runs as the `postgres` user. Options are those of
# scripts/bench_queue.py (--help). Data lives under /tmp and is removed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh >&2
if [ -z "${S3SYNC_BENCH_NO_BUILD:-}" ]; then
  echo "== building s3sync (release)" >&2
  scripts/build-release.sh 2>&1 | grep -E "error|warning: |Build complete" >&2 || true
fi
[ -x .build/release/s3sync ] || { echo "bench-queue: .build/release/s3sync is missing: the build failed" >&2; exit 1; }
exec .venv/bin/python scripts/bench_queue.py "$@"
