#!/usr/bin/env bash
# A real push on this machine with nothing configured: starts a local S3 server (the pinned
# `rclone serve s3`) on loopback, pushes a generated sample tree with a progress bar, changes a
# file and pushes again, kills a large upload halfway, resumes it from the parts already stored,
# and shows `status`. Everything lives in a temporary directory that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/install-test-deps.sh
echo "== building s3sync (release)"
scripts/build-release.sh 2>&1 | grep -E "error|warning: |Compiling s3sync|Build complete" || true
S3SYNC="$ROOT/.build/release/s3sync"
[ -x "$S3SYNC" ] || { echo "build failed" >&2; exit 1; }

WORK=$(mktemp -d /tmp/s3sync-demo.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$("$ROOT/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export AWS_ACCESS_KEY_ID=demo-access-key AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export S3SYNC_STATE="$WORK/state/state.db"
mkdir -p "$WORK/server"
RCLONE_CONFIG="$WORK/rclone.conf" "$ROOT/.venv/bin/rclone" serve s3 --auth-key "$AWS_ACCESS_KEY_ID,$AWS_SECRET_ACCESS_KEY" \
  --addr "127.0.0.1:$PORT" "$WORK/server" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
"$ROOT/.venv/bin/python" -c "
import boto3; boto3.client('s3', endpoint_url='$AWS_ENDPOINT_URL').create_bucket(Bucket='demo-bucket')"
echo "== local S3 server: rclone serve s3 at $AWS_ENDPOINT_URL, bucket demo-bucket"

echo "== generating a sample tree in $WORK/photos"
"$ROOT/.venv/bin/python" - "$WORK/photos" <<'PY'
import os, sys, random
root = sys.argv[1]
random.seed(7)
for album in range(10):
    d = os.path.join(root, f"album-{album:02d}")
    os.makedirs(d, exist_ok=True)
    for i in range(50):
        with open(os.path.join(d, f"img-{i:03d}.jpg"), "wb") as f:
            f.write(os.urandom(random.randint(10_000, 200_000)))
with open(os.path.join(root, "video.mp4"), "wb") as f:
    for _ in range(96):
        f.write(os.urandom(1 << 20))
PY

echo
echo "\$ s3sync push $WORK/photos s3://demo-bucket/photos"
"$S3SYNC" push "$WORK/photos" s3://demo-bucket/photos

echo
echo "== edit one file and push again: only it is uploaded"
echo "edited" >> "$WORK/photos/album-03/img-007.jpg"
echo "\$ s3sync push $WORK/photos s3://demo-bucket/photos --json"
"$S3SYNC" push "$WORK/photos" s3://demo-bucket/photos --json

echo
echo "== a 768 MiB file, upload killed (SIGKILL) halfway"
"$ROOT/.venv/bin/python" -c "
import os
with open('$WORK/photos/archive.tar', 'wb') as f:
    for _ in range(768): f.write(os.urandom(1 << 20))"
"$S3SYNC" push "$WORK/photos" s3://demo-bucket/photos --bwlimit 96MiB --quiet &
PUSH_PID=$!
sleep 4
kill -9 "$PUSH_PID" 2>/dev/null || true
wait "$PUSH_PID" 2>/dev/null || true
echo "killed push (pid $PUSH_PID)"
echo "\$ s3sync status"
"$S3SYNC" status | head -12

echo
echo "\$ s3sync resume"
"$S3SYNC" resume

echo
echo "\$ s3sync status"
"$S3SYNC" status | head -6
echo
echo "demo finished; the server and files in $WORK are removed now"
