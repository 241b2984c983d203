#!/usr/bin/env bash
# Fuzzes the code that reads bytes from outside (the Fuzz/ package: S3's XML, listing pages with
# their URL-encoded keys and timestamps, the shared config files) with libFuzzer and AddressSanitizer.
# For each target: replays every input that ever crashed it (Fuzz/Regressions/TARGET/), then fuzzes
# it for SECONDS from its seed corpus (Fuzz/Corpus/TARGET/) with its dictionary (Fuzz/Dictionaries/).
# Fails if a target crashes, hangs (over 10 s on one input) or runs out of memory (over 2 GB); the
# input that did it is written to Fuzz/Regressions/TARGET/. Fix the code and commit the input with
# the fix: this script and the unit tests (Tests/S3ClientTests/FuzzRegressionTests.swift) replay it.
#
#   scripts/fuzz.sh [SECONDS] [-LIBFUZZER_FLAG ...] [TARGET ...]
#   scripts/fuzz.sh 30                                     # what scripts/test.sh runs
#   scripts/fuzz.sh 600 -max_len=1048576 XMLDocumentParserFuzzer
#
# SECONDS defaults to 60 a target. Inputs found to add coverage collect in Fuzz/.build/corpus/TARGET/
# (not committed; a later run starts from them); logs are in Fuzz/.build/fuzz-logs/.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"

seconds=60
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
flags=()
targets=()
for argument in "$@"; do
  if [[ "$argument" == -* ]]; then flags+=("$argument"); else targets+=("$argument"); fi
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(XMLDocumentParserFuzzer ListObjectsPageFuzzer SharedConfigParserFuzzer)
fi

started=$SECONDS
echo "fuzz: building ${targets[*]}"
mkdir -p .build/fuzz-logs
build_log=.build/fuzz-logs/build.log
if ! swift build -c release >"$build_log" 2>&1; then
  grep -E "error" "$build_log" >&2 || tail -20 "$build_log" >&2
  echo "fuzz: build failed" >&2
  exit 1
fi
if grep -E "warning:" "$build_log" | sort -u | grep .; then
  echo "fuzz: the build has warnings" >&2
  exit 1
fi
echo "fuzz: built in $((SECONDS - started)) s"

# Swift's backtracer would take the crash from libFuzzer, which then saves no input.
export SWIFT_BACKTRACE=enable=no
limits=(-timeout=10 -rss_limit_mb=2048)
failed=()
for target in "${targets[@]}"; do
  fuzzer=.build/release/$target
  regressions=Regressions/$target
  log=.build/fuzz-logs/$target.log
  mkdir -p "$regressions" ".build/corpus/$target"

  mapfile -t kept < <(find "$regressions" -type f ! -name '.*' | sort)
  if [ ${#kept[@]} -gt 0 ]; then
    if ! "$fuzzer" "${limits[@]}" "${kept[@]}" >"$log" 2>&1; then
      grep -E "^Running:|ERROR|SUMMARY|Fatal error|runtime failure" "$log" | tail -20 >&2
      echo "fuzz: $target: a kept regression input fails again (log: Fuzz/$log)" >&2
      failed+=("$target")
      continue
    fi
    echo "fuzz: $target: ${#kept[@]} regression inputs pass"
  fi

  if ! "$fuzzer" "${limits[@]}" -max_total_time="$seconds" -dict="Dictionaries/$target.dict" \
    -artifact_prefix="$regressions/" -print_final_stats=1 "${flags[@]}" \
    ".build/corpus/$target" "Corpus/$target" >"$log" 2>&1; then
    grep -E "ERROR|SUMMARY|Fatal error|runtime failure|^artifact_prefix|Test unit written" "$log" | tail -20 >&2
    echo "fuzz: $target: failed; the input is in Fuzz/$regressions/ (log: Fuzz/$log)" >&2
    failed+=("$target")
    continue
  fi
  done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1 | sed -E 's/^#([0-9]+)[[:space:]]+DONE[[:space:]]+/\1 runs, /')
  echo "fuzz: $target: ${seconds} s, no crash: $done_line"
done

echo "fuzz: done in $((SECONDS - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
