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
p = sub.add_parser("put-file"); p.add_argument("bucket"); p.add_argument("key"); p.add_argument("path")
p.add_argument("--part-size", type=int, default=0, help="upload in parts of this size (multipart) when > 0")
p = sub.add_parser("head"); p.add_argument("bucket"); p.add_argument("key")
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
            item = {"key": obj["Key"], "size": obj["Size"], "etag": obj["ETag"].strip('"'),
                    "last_modified": obj["LastModified"].timestamp()}
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
        try:
            r = s3.list_multipart_uploads(**kwargs)
        except s3.exceptions.NoSuchUpload:
            # rclone serve s3 answers NoSuchUpload for a bucket that never had a multipart upload.
            break
        out += [{"key": u["Key"], "uploadId": u["UploadId"], "initiated": u["Initiated"].timestamp()}
                for u in r.get("Uploads", [])]
        if not r.get("IsTruncated"):
            break
        kwargs["KeyMarker"] = r["NextKeyMarker"]; kwargs["UploadIdMarker"] = r["NextUploadIdMarker"]
    json.dump(out, sys.stdout)
elif args.command == "get":
    sys.stdout.write(base64.b64encode(s3.get_object(Bucket=args.bucket, Key=args.key)["Body"].read()).decode())
elif args.command == "head":
    h = s3.head_object(Bucket=args.bucket, Key=args.key)
    grants = s3.get_object_acl(Bucket=args.bucket, Key=args.key).get("Grants", [])
    json.dump({
        "contentType": h.get("ContentType"), "cacheControl": h.get("CacheControl"),
        "contentEncoding": h.get("ContentEncoding"), "metadata": h.get("Metadata", {}),
        "storageClass": h.get("StorageClass"), "serverSideEncryption": h.get("ServerSideEncryption"),
        "kmsKeyID": h.get("SSEKMSKeyId"),
        "grants": sorted("%s:%s" % (g["Grantee"].get("URI", g["Grantee"].get("ID", "")), g["Permission"]) for g in grants),
    }, sys.stdout)
elif args.command == "put":
    s3.put_object(Bucket=args.bucket, Key=args.key, Body=args.body.encode())
elif args.command == "put-file":
    with open(args.path, "rb") as file:
        data = file.read()
    if args.part_size <= 0:
        s3.put_object(Bucket=args.bucket, Key=args.key, Body=data)
    else:
        upload = s3.create_multipart_upload(Bucket=args.bucket, Key=args.key)["UploadId"]
        parts = []
        for number, offset in enumerate(range(0, len(data), args.part_size), start=1):
            part = s3.upload_part(Bucket=args.bucket, Key=args.key, UploadId=upload, PartNumber=number,
                                  Body=data[offset:offset + args.part_size])
            parts.append({"PartNumber": number, "ETag": part["ETag"]})
        s3.complete_multipart_upload(Bucket=args.bucket, Key=args.key, UploadId=upload,
                                     MultipartUpload={"Parts": parts})
elif args.command == "create-upload":
    upload_id = s3.create_multipart_upload(Bucket=args.bucket, Key=args.key)["UploadId"]
    if args.part_bytes:
        s3.upload_part(Bucket=args.bucket, Key=args.key, UploadId=upload_id, PartNumber=1,
                       Body=b"u" * args.part_bytes)
    sys.stdout.write(upload_id)
