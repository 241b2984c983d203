#!/usr/bin/env bash
# A real push and pull on this machine with nothing configured: starts a local S3 server (the
# pinned `rclone serve s3`) on loopback, pushes a generated sample tree with a progress bar, changes
# a file and pushes again, kills a large upload halfway, resumes it from the parts already stored,
# and shows `status`. Then restores the tree into a new directory with `pull`, kills the download
# of the large file halfway, resumes it from the ranges already fetched, checks the restored tree
# is the original, and shows `status` with both jobs. Everything lives in a temporary directory
# that is removed at the end.
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
PULL_PID=""
cleanup() {
  [ -n "$PULL_PID" ] && kill -9 "$PULL_PID" 2>/dev/null || true
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
echo "== restore into a new directory; the download of archive.tar killed (SIGKILL) halfway"
echo "\$ s3sync pull s3://demo-bucket/photos $WORK/restore --bwlimit 96MiB"
"$S3SYNC" pull s3://demo-bucket/photos "$WORK/restore" --bwlimit 96MiB --quiet &
PULL_PID=$!
# archive.tar is fetched into a hidden .s3sync-<hex>.partial beside it (the only one over 100 MiB):
# once it is there, 4 s at 96 MiB/s fetch about half of it
archive_partial() { find "$WORK/restore" -maxdepth 1 -name '.s3sync-*.partial' -size +100M -print -quit 2>/dev/null || true; }
for _ in $(seq 300); do
  { [ -n "$(archive_partial)" ] || ! kill -0 "$PULL_PID" 2>/dev/null; } && break
  sleep 0.1
done
sleep 4
kill -9 "$PULL_PID" 2>/dev/null || true
wait "$PULL_PID" 2>/dev/null || true
partial=$(archive_partial)
echo "killed pull (pid $PULL_PID) while it downloaded archive.tar into ${partial:-(no partial file found)}"
PULL_PID=""
echo "\$ s3sync status"
"$S3SYNC" status | head -12

echo
echo "\$ s3sync resume"
"$S3SYNC" resume

echo
echo "== the restored tree against the original"
echo "\$ diff -r $WORK/photos $WORK/restore"
diff -r "$WORK/photos" "$WORK/restore"
"$ROOT/.venv/bin/python" - "$WORK/photos" "$WORK/restore" <<'PY'
import os, sys
original, restored = sys.argv[1:]
def tree(root):
    return {os.path.relpath(os.path.join(d, n), root): os.stat(os.path.join(d, n))
            for d, _, names in os.walk(root) for n in names}
a, b = tree(original), tree(restored)
assert a.keys() == b.keys(), sorted(a.keys() ^ b.keys())[:5]
moved = [path for path in a if a[path].st_mtime_ns != b[path].st_mtime_ns]
print(f"they match: {len(a)} files, {sum(s.st_size for s in a.values()):,} bytes, same content; "
      + (f"{len(moved)} mtimes differ (e.g. {moved[0]})" if moved else "every mtime the original's"))
PY

echo
echo "\$ s3sync status"
"$S3SYNC" status | head -12
echo
echo "demo finished; the server and files in $WORK are removed now"
