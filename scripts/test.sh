#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (SQLite headers, the pinned
# S3 servers in .venv/), checks formatting, builds with no warnings in s3sync's own code, and runs
# `swift test`. Fails if any test fails or is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

echo "== format check"
if ! swift format lint --strict -r Sources Tests Package.swift Benchmarks/Package.swift Benchmarks/Benchmarks; then
  echo "format check failed: run 'swift format -i -r Sources Tests Package.swift Benchmarks/Package.swift Benchmarks/Benchmarks'" >&2
  exit 1
fi

echo "== build"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build_status=0
swift build --build-tests >"$log" 2>&1 || build_status=$?
grep -E "error|warning:|Build complete" "$log" | grep -v "^\[" || true
if [ "$build_status" != 0 ] || grep -q "error:" "$log"; then
  echo "build failed" >&2
  exit 1
fi
if grep -E "^$PWD/(Sources|Tests)/.*warning:" "$log" | sort -u | grep .; then
  echo "the build has warnings in s3sync's own code" >&2
  exit 1
fi

# ---- fuzzing: scripts/fuzz.sh, the Fuzz/ package -------------------------------------------------
# The code that reads bytes from servers and config files, under libFuzzer with AddressSanitizer:
# every input that ever crashed it replayed, then 30 s of fuzzing a target. On 2 cores, measured:
# 10 s to build the instrumented targets from clean (45 s with other builds running), 105 s in all.
echo "== fuzz"
if ! swift format lint --strict -r Fuzz/Package.swift Fuzz/Sources; then
  echo "format check failed: run 'swift format -i -r Fuzz/Package.swift Fuzz/Sources'" >&2
  exit 1
fi
scripts/fuzz.sh 30
# ---- end of fuzzing ----------------------------------------------------------------------------

echo "== release build of s3sync (the memory test measures what users run)"
if ! scripts/build-release.sh >"$log" 2>&1; then
  grep -E "error" "$log" >&2 || tail -20 "$log" >&2
  echo "release build failed" >&2
  exit 1
fi

# ---- link order: how much of scripts/s3sync.order still names code in the binary --------------
# build-release.sh counts the order file's names that are symbols of the binary: 8300 of 8300
# (100%) on 2026-12-01 with Swift 6.3.1, as the list was profiled from this binary. A dependency or
# toolchain bump renames some of the code a run executes; 85% leaves room for such a bump to land
# while a list that has lost a seventh of its names, and the memory the layout saves with them,
# stops the build: then regenerate it with scripts/profile-order.sh.
min_order_match=85
match=$(cat .build/release/link-order-match)
echo "link order: $match (at least $min_order_match% required)"
if ! awk -v share="${match#*(}" -v min="$min_order_match" 'BEGIN { exit !(share + 0 >= min) }'; then
  echo "scripts/s3sync.order matches too little of the binary: run scripts/profile-order.sh" >&2
  exit 1
fi
# ---- end of link order -------------------------------------------------------------------------

echo "== tests"
# One test at a time: many tests start servers and measure timing-dependent behaviour (faults,
# kills, stalls) that two cores shared by parallel tests would distort.
set +e
swift test --skip-build --no-parallel 2>&1 | tee "$log" | grep -vE "^(◇|✔) (Test|Suite) .* (started|passed)"
status=${PIPESTATUS[0]}
set -e
grep -E "Test run with|Executed [0-9]+ tests" "$log" || true
skip_lines='^[^{]*(Test|Suite|Case)[^{]*\b[Ss]kipped\b'
if grep -qE "$skip_lines" "$log"; then
  echo "some tests were skipped; no test may skip" >&2
  grep -E "$skip_lines" "$log" >&2
  exit 1
fi
exit "$status"
