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
