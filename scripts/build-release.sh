#!/usr/bin/env bash
# Builds the binary users run, .build/release/s3sync:
#   --static-swift-stdlib   the Swift runtime and Foundation linked in, so it runs on a host
#                           without a Swift toolchain and binds no Swift shared libraries at start;
#   lld, packed relative relocations (DT_RELR), no exported symbols: the loader writes to far fewer
#                           pages and keeps no 37,000-symbol dynamic table; about 8 MB less RSS;
#   one section per function, laid out in the order of scripts/s3sync.order (the functions a run
#                           executes, from scripts/profile-order.sh), with the compiler's unnamed
#                           helpers kept together by scripts/s3sync-text.ld: the code a run touches
#                           sits in about 7 MB instead of across 27 MB, so far fewer code pages
#                           become resident (the kernel maps 64 KiB around each page touched).
#                           Functions missing from the list (new code) are laid out after it.
#                           The list rots as dependencies and the toolchain move on, and lld's
#                           per-name warnings are silenced (most of the list is runtime code, and a
#                           relink-free build prints none): instead the script counts how many of
#                           its names are symbols of the binary, prints the share, and writes it to
#                           .build/release/link-order-match for scripts/test.sh to check.
# Extra arguments go to `swift build`.
set -euo pipefail
cd "$(dirname "$0")/.."
# swift build does not know the link depends on these two files: relink when either changed
for layout in scripts/s3sync.order scripts/s3sync-text.ld; do
  if [ "$layout" -nt .build/release/s3sync ]; then rm -f .build/release/s3sync; fi
done
# The compiler skips writing an object whose code is unchanged, even when its flags changed: a
# release build from before one-section-per-function would keep its old objects. Drop them once.
stamp=.build/release/.function-sections
if [ -d .build/release ] && [ ! -f "$stamp" ]; then find -L .build/release/ -name '*.swift.o' -delete; fi
swift build -c release --product s3sync --static-swift-stdlib \
  -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
  -Xlinker --symbol-ordering-file="$PWD/scripts/s3sync.order" -Xlinker --no-warn-symbol-ordering \
  -Xlinker -T -Xlinker "$PWD/scripts/s3sync-text.ld" "$@"
touch "$stamp"

# Every defined symbol of the binary against every name in the order file; comm needs both sorted
# the same way, hence LC_ALL=C.
order_names=$(mktemp)
binary_names=$(mktemp)
trap 'rm -f "$order_names" "$binary_names"' EXIT
export LC_ALL=C
grep -v '^[[:space:]]*\(#\|$\)' scripts/s3sync.order | sort -u >"$order_names"
nm -P --defined-only .build/release/s3sync | cut -d' ' -f1 | sort -u >"$binary_names"
if [ ! -s "$binary_names" ]; then
  echo "link order: cannot count: .build/release/s3sync has no symbol table" >&2
  exit 1
fi
total=$(wc -l <"$order_names")
matched=$(comm -12 "$order_names" "$binary_names" | wc -l)
summary=$(awk -v m="$matched" -v t="$total" 'BEGIN { printf "%d of %d names matched (%.1f%%)", m, t, t ? 100 * m / t : 0 }')
echo "link order: $summary"
echo "$summary" >.build/release/link-order-match
