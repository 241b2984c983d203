#!/usr/bin/env python3
"""Inspects a bucket with boto3 for s3sync's tests: an independent view of what landed."""
import argparse, base64, hashlib, json, sys
import boto3
from botocore.config import Config

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
sub = parser.add_subparsers(dest="command", required=True)
p = sub.add_parser("list"); p.add_argument("bucket"); p.add_argument("prefix", nargs="?", default="")
p.add_argument("--md5", action="store_true"); p.add_argument("--metadata", action="store_true")
p = sub.add_parser("uploads"); p.add_argument("bucket"); p.add_argument("prefix", nargs="?", default="")
p = sub.add_parser("get"); p.add_argument("bucket"); p.add_argument("key")
p = sub.add_parser("put"); p.add_argument("bucket"); p.add_argument("key"); p.add_argument("body")
p = sub.add_parser("create-upload"); p.add_argument("bucket"); p.add_argument("key")
p.add_argument("--part-bytes", type=int, default=0)
args = parser.parse_args()

s3 = boto3.client("s3", endpoint_url=args.endpoint, config=Config(
    s3={"addressing_style": "path"}, retries={"max_attempts": 10, "mode": "standard"},
    request_checksum_calculation="when_required", response_checksum_validation="when_required"))

if args.command == "list":
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=args.prefix):
        for obj in page.get("Contents", []):
            item = {"key": obj["Key"], "size": obj["Size"], "etag": obj["ETag"].strip('"')}
            if args.md5:
                item["md5"] = hashlib.md5(s3.get_object(Bucket=args.bucket, Key=obj["Key"])["Body"].read()).hexdigest()
            if args.metadata:
                item["metadata"] = s3.head_object(Bucket=args.bucket, Key=obj["Key"]).get("Metadata", {})
            out.append(item)
    json.dump(out, sys.stdout)
elif args.command == "uploads":
    out = []
    kwargs = {"Bucket": args.bucket, "Prefix": args.prefix}
    while True:
        r = s3.list_multipart_uploads(**kwargs)
        out += [{"key": u["Key"], "uploadId": u["UploadId"], "initiated": u["Initiated"].timestamp()}
                for u in r.get("Uploads", [])]
        if not r.get("IsTruncated"):
            break
        kwargs["KeyMarker"] = r["NextKeyMarker"]; kwargs["UploadIdMarker"] = r["NextUploadIdMarker"]
    json.dump(out, sys.stdout)
elif args.command == "get":
    sys.stdout.write(base64.b64encode(s3.get_object(Bucket=args.bucket, Key=args.key)["Body"].read()).decode())
elif args.command == "put":
    s3.put_object(Bucket=args.bucket, Key=args.key, Body=args.body.encode())
elif args.command == "create-upload":
    upload_id = s3.create_multipart_upload(Bucket=args.bucket, Key=args.key)["UploadId"]
    if args.part_bytes:
        s3.upload_part(Bucket=args.bucket, Key=args.key, UploadId=upload_id, PartNumber=1,
                       Body=b"u" * args.part_bytes)
    sys.stdout.write(upload_id)
