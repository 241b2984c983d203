#!/usr/bin/env bash
# Builds dist/s3sync_VERSION_ARCH.deb with dpkg-deb alone:
#   /usr/bin/s3sync                      the release binary of scripts/build-release.sh (built when
#                                        missing or older than the sources), stripped
#   /usr/share/man/man1/s3sync.1.gz      from ArgumentParser's GenerateManual plugin
#   bash, zsh and fish completions       from `s3sync --generate-completion-script`
#   s3sync-push@.service and .timer      a nightly push per /etc/s3sync/NAME.env (packaging/systemd)
#   s3sync-worker@.service               a worker of a shared job queue per /etc/s3sync/NAME.env
#   /usr/lib/sysusers.d/s3sync.conf      the user the jobs run as
#   /etc/s3sync/example.env              a job to copy (a conffile)
#   /usr/share/doc/s3sync                README.md and copyright
# S3SYNC_PACKAGE_NO_BUILD=1 packages what is already built and builds nothing: the release binary
# must be there, and the debug build the man page plugin reads must be up to date (scripts/test.sh
# has built both when the tests run this). The plugin then runs without SwiftPM's lock on .build,
# which `swift test` holds while the tests run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BINARY=.build/release/s3sync

sources=(Sources Package.swift scripts/build-release.sh scripts/s3sync.order scripts/s3sync-text.ld)
[ ! -f Package.resolved ] || sources+=(Package.resolved)
if [ "${S3SYNC_PACKAGE_NO_BUILD:-}" = 1 ]; then
  [ -x "$BINARY" ] || { echo "package: $BINARY is missing: run scripts/build-release.sh" >&2; exit 1; }
elif [ ! -x "$BINARY" ] || [ -n "$(find "${sources[@]}" -newer "$BINARY" -print -quit)" ]; then
  echo "== release build (scripts/build-release.sh)"
  scripts/build-release.sh
fi

version=$("$BINARY" --version)
arch=$(dpkg --print-architecture)
deb="dist/s3sync_${version}_${arch}.deb"
# The date the man page carries: the last commit's, so that the same commit gives the same page.
date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 022
stage="$work/s3sync"
mkdir "$stage"

echo "== man page (swift package plugin generate-manual)"
# The plugin builds the package in the configuration it is given, with swift build's default flags,
# then runs generate-manual on the executables. A release build without build-release.sh's flags
# (which `swift package` cannot all be given) would rebuild everything and replace the binary being
# packaged, so it reads the debug build: the same command line, so the same page. Where `swift
# build` has made it, that build does nothing.
manual_dir=.build/plugins/GenerateManual/outputs/s3sync
rm -f "$manual_dir/s3sync.1"
lock=()
[ "${S3SYNC_PACKAGE_NO_BUILD:-}" = 1 ] && lock=(--ignore-lock)
log="$work/generate-manual.log"
if ! swift package "${lock[@]}" plugin generate-manual --configuration debug --date "$date" >"$log" 2>&1 ||
  [ ! -s "$manual_dir/s3sync.1" ]; then
  tail -20 "$log" >&2
  echo "package: the GenerateManual plugin wrote no $manual_dir/s3sync.1" >&2
  exit 1
fi

echo "== staging"
install -D -m 0755 "$BINARY" "$stage/usr/bin/s3sync"
# Debug info and the symbol table, half of the built binary, serve debuggers and link-order
# profiling, which use the build's copy.
strip --strip-unneeded "$stage/usr/bin/s3sync"
install -d "$stage/usr/share/man/man1"
gzip -9n <"$manual_dir/s3sync.1" >"$stage/usr/share/man/man1/s3sync.1.gz"
install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
  "$stage/usr/share/fish/vendor_completions.d"
"$BINARY" --generate-completion-script bash >"$stage/usr/share/bash-completion/completions/s3sync"
"$BINARY" --generate-completion-script zsh >"$stage/usr/share/zsh/vendor-completions/_s3sync"
"$BINARY" --generate-completion-script fish >"$stage/usr/share/fish/vendor_completions.d/s3sync.fish"
install -D -m 0644 -t "$stage/usr/lib/systemd/system" packaging/systemd/s3sync-push@.service \
  packaging/systemd/s3sync-push@.timer packaging/systemd/s3sync-worker@.service
install -D -m 0644 packaging/sysusers.d/s3sync.conf "$stage/usr/lib/sysusers.d/s3sync.conf"
# Root only: the copies made from it hold credentials.
install -D -m 0600 packaging/example.env "$stage/etc/s3sync/example.env"
install -D -m 0644 -t "$stage/usr/share/doc/s3sync" README.md packaging/copyright

install -d "$stage/DEBIAN"
install -m 0755 -t "$stage/DEBIAN" packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm
install -m 0644 -t "$stage/DEBIAN" packaging/debian/conffiles
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -path './usr/*' -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum >DEBIAN/md5sums)
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
maintainer=${S3SYNC_PACKAGE_MAINTAINER:-"$(git config user.name 2>/dev/null || true) <$(git config user.email 2>/dev/null || true)>"}
[ "$maintainer" != " <>" ] || maintainer="s3sync maintainers <root@localhost>"
# What the binary links dynamically (README's Install section): glibc 2.36 for its packed
# relocations, libstdc++, zlib and SQLite; the Swift runtime and Foundation are linked in.
cat >"$stage/DEBIAN/control" <<EOF
Package: s3sync
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: libc6 (>= 2.36), libstdc++6, zlib1g, libsqlite3-0
Section: utils
Priority: optional
Description: sync directory trees with Amazon S3 and S3-compatible stores
 s3sync pushes a directory to S3 and pulls it back, copying only what changed.
 It keeps its plan, every finished multipart part and every downloaded range
 in a local SQLite database, so an interrupted transfer resumes from what is
 already stored. Built to run unattended: one run per job at a time,
 meaningful exit codes, a JSON summary, Prometheus metrics.
 .
 The systemd units s3sync-push@.service and s3sync-push@.timer run a nightly
 push of the job described in /etc/s3sync/NAME.env.
EOF

echo "== dpkg-deb"
mkdir -p dist
# xz at level 2: 22 MB in 6 s here; the default level 6 saves 2.5 MB in 31 s.
dpkg-deb --root-owner-group -Zxz -z2 --build "$stage" "$deb" >/dev/null
echo "package: $ROOT/$deb ($(du -h "$deb" | cut -f1))"
