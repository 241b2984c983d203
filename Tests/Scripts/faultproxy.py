#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 proxy for s3sync's tests. Standard library only.

Listens on 127.0.0.1 and forwards every request byte for byte to one upstream S3 server, keeping
client connections alive (one upstream connection per client connection). The Host header is
never rewritten, so SigV4 signatures, which cover it, stay valid. Per request, rules can inject:

  slow_down       503 SlowDown with an S3 XML body (and x-amz-retry-after when retry_after_ms
                  is set); the request is not forwarded
  internal_error  500 InternalError; not forwarded
  ok_with_error   200 OK whose body is an <Error> document with code InternalError, as S3 can
                  answer CompleteMultipartUpload; not forwarded
  drop_request    forwards the head and `fraction` of the body (of the head, for a request
                  without a body), then closes both connections: the upstream never sees the
                  request complete
  drop_response   forwards the request, relays `fraction` of the response, then closes
  stall           reads the request, sends nothing for stall_seconds (or until the client
                  gives up and closes), then closes; not forwarded
  hold_response   forwards the request (the server carries it out), then holds the whole
                  answer back for stall_seconds before relaying it: a window in which the
                  client has not heard what the server did
  hold_request    forwards `fraction` of the request body, stops reading it for
                  stall_seconds, then forwards the rest and relays the answer: a window in
                  the middle of an upload (counted in "holds" when it opens)
  corrupt_response
                  forwards the request and relays the response with one byte of its body
                  flipped (inverted), at `fraction` of the body; the head is untouched, so
                  Content-Length and any ETag or checksum header still describe the true
                  body. Only a 2xx response with a body is altered (a ranged GET's 206 too);
                  any other response is relayed as it is, though the rule still counts as
                  fired. A body without Content-Length is read whole first (a chunked one is
                  relayed as one chunk)
  pass            forwards; put such a rule first to exempt requests from the rules after it

Control, on the same port (never forwarded, never counted):

  PUT  /__proxy/rules        {"seed": 7, "rules": [RULE, ...]} replaces the rules
  GET  /__proxy/rules        the rules in force
  GET  /__proxy/stats        the statistics (see Statistics.snapshot)
  GET  /__proxy/requests     every request seen, in order: [{"method", "target", "host",
                             "operation", "signature"}, ...] (the first 100000); the
                             signature is the SigV4 one, so tests can look for leaks
  POST /__proxy/stats/reset  zeroes the statistics and forgets the requests seen

A RULE is {"fault": KIND, "probability": 0.25, "method": "POST", "contains": "uploadId=",
"operation": "CompleteMultipartUpload", "times": 3, "retry_after_ms": 500, "stall_seconds": 3,
"fraction": 0.5}; every key but "fault" is optional. `method`, `contains` (a substring of the
request target, path and query) and `operation` (the S3 operation the proxy infers) must all
match; `probability` defaults to 1; `times` caps how often the rule fires.

Rules are tried in order and the first one that matches and fires decides the request. Whether a
rule fires is drawn from a generator seeded with the seed, the rule's index, the request's method
and target (upload id blanked, as the server makes it up) and how many times that same request was
seen since the rules were set. So one seed gives the same faults to the same requests, whatever
order concurrent requests arrive in.
"""

import argparse
import asyncio
import email.utils
import json
import os
import random
import re
import signal
import sys

CHUNK = 1 << 20
HEAD_LIMIT = 1 << 20
SEEN_LIMIT = 100000
FAULTS = (
    "slow_down",
    "internal_error",
    "ok_with_error",
    "drop_request",
    "drop_response",
    "stall",
    "hold_response",
    "hold_request",
    "corrupt_response",
    "pass",
)
INTERNAL_ERROR_MESSAGE = "We encountered an internal error. Please try again."
UPLOAD_ID = re.compile(r"(uploadId=)[^&]*")
SIGNATURE = re.compile(r"(?:Signature|X-Amz-Signature)=([0-9a-fA-F]+)")


class ProtocolError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# HTTP/1.1 framing


def parse_head(raw):
    """(start line, [(lower-case name, value)]) of a request or response head."""
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError("malformed header line %r" % line)
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers


def header(headers, name):
    for key, value in headers:
        if key == name:
            return value
    return None


def body_framing(headers, no_body=False, may_close=False):
    """("none"|"length"|"chunked"|"close", length) for a message with these headers."""
    if no_body:
        return ("none", 0)
    encoding = header(headers, "transfer-encoding")
    if encoding is not None and "chunked" in encoding.lower():
        return ("chunked", 0)
    length = header(headers, "content-length")
    if length is not None:
        try:
            value = int(length)
        except ValueError:
            raise ProtocolError("bad Content-Length %r" % length)
        return ("length", value) if value > 0 else ("none", 0)
    return ("close", 0) if may_close else ("none", 0)


def wants_close(version, headers):
    connection = (header(headers, "connection") or "").lower()
    if "close" in connection:
        return True
    return version == "HTTP/1.0" and "keep-alive" not in connection


async def read_head(reader):
    """The raw head up to and including the blank line, or None at a clean end of stream."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            return None
        raise ProtocolError("the stream ended inside a message head")
    except asyncio.LimitOverrunError:
        raise ProtocolError("message head too large")


async def copy_exactly(reader, emit, count):
    """Copies `count` bytes from reader to emit; fails if the stream ends first."""
    left = count
    while left > 0:
        data = await reader.read(min(CHUNK, left))
        if not data:
            raise asyncio.IncompleteReadError(b"", left)
        left -= len(data)
        await emit(data)


async def copy_body(reader, emit, framing, on_data=None, payload_sink=None):
    """Copies one message body in its own framing (chunk lines and trailers kept verbatim).
    `on_data(n)` counts payload bytes as they pass; `payload_sink`, when given, receives the
    payload in place of `emit` (which then gets only the chunk lines and trailers)."""
    kind, length = framing
    sink = payload_sink or emit

    async def payload(data):
        if on_data:
            on_data(len(data))
        await sink(data)

    if kind == "length":
        await copy_exactly(reader, payload, length)
    elif kind == "chunked":
        while True:
            line = await reader.readuntil(b"\r\n")
            await emit(line)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProtocolError("bad chunk size line %r" % line)
            if size == 0:
                while True:
                    trailer = await reader.readuntil(b"\r\n")
                    await emit(trailer)
                    if trailer == b"\r\n":
                        return
            await copy_exactly(reader, payload, size)
            await emit(await reader.readexactly(2))
    elif kind == "close":
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return
            await payload(data)


def flipped(data, index):
    """`data` with the byte at `index` inverted."""
    altered = bytearray(data)
    altered[index] ^= 0xFF
    return bytes(altered)


def writer_sink(writer):
    async def emit(data):
        writer.write(data)
        await writer.drain()

    return emit


async def discard(_data):
    return None


def close_quietly(writer):
    if writer is None:
        return
    try:
        writer.close()
    except Exception:
        pass


# ---------------------------------------------------------------------------------------------
# Requests, rules and statistics


def operation_of(method, target):
    """The S3 operation a path-style request is, as far as method, path and query tell."""
    path, _, query = target.partition("?")
    names = {part.split("=", 1)[0] for part in query.split("&") if part}
    segments = [segment for segment in path.split("/") if segment]
    on_bucket = len(segments) <= 1
    if method == "PUT":
        if "partNumber" in names and "uploadId" in names:
            return "UploadPart"
        return "CreateBucket" if on_bucket else "PutObject"
    if method == "POST":
        if "uploads" in names:
            return "CreateMultipartUpload"
        if "uploadId" in names:
            return "CompleteMultipartUpload"
        if "delete" in names:
            return "DeleteObjects"
        return "Post"
    if method == "GET":
        if not segments:
            return "ListBuckets"
        if "uploadId" in names:
            return "ListParts"
        if "uploads" in names:
            return "ListMultipartUploads"
        if on_bucket:
            return "ListObjectsV2" if "list-type" in names else "ListObjects"
        return "GetObject"
    if method == "HEAD":
        return "HeadBucket" if on_bucket else "HeadObject"
    if method == "DELETE":
        if "uploadId" in names:
            return "AbortMultipartUpload"
        return "DeleteBucket" if on_bucket else "DeleteObject"
    return method.title()


class Rule:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a rule must be an object")
        self.fault = spec.get("fault")
        if self.fault not in FAULTS:
            raise ValueError("unknown fault %r (one of %s)" % (self.fault, ", ".join(FAULTS)))
        self.probability = float(spec.get("probability", 1.0))
        self.method = spec.get("method")
        self.contains = spec.get("contains")
        self.operation = spec.get("operation")
        self.times = spec.get("times")
        self.retry_after_ms = spec.get("retry_after_ms")
        self.stall_seconds = float(spec.get("stall_seconds", 5.0))
        self.fraction = float(spec.get("fraction", 0.5))
        self.spec = spec
        self.fired = 0

    def matches(self, method, target, operation):
        if self.method is not None and self.method.upper() != method:
            return False
        if self.contains is not None and self.contains not in target:
            return False
        if self.operation is not None and self.operation != operation:
            return False
        return self.times is None or self.fired < self.times


class RuleSet:
    def __init__(self, seed=1, specs=()):
        self.seed = seed
        self.rules = [Rule(spec) for spec in specs]
        self.occurrences = {}

    def decide(self, method, target, operation):
        """The rule that fires for this request, or None to pass it through."""
        identity = "%s %s" % (method, UPLOAD_ID.sub(r"\1", target))
        occurrence = self.occurrences.get(identity, 0)
        self.occurrences[identity] = occurrence + 1
        for index, rule in enumerate(self.rules):
            if not rule.matches(method, target, operation):
                continue
            roll = random.Random("%s|%d|%s|%d" % (self.seed, index, identity, occurrence)).random()
            if roll < rule.probability:
                rule.fired += 1
                return rule
        return None

    def describe(self):
        return {"seed": self.seed, "rules": [dict(rule.spec, fired=rule.fired) for rule in self.rules]}


def new_counters():
    return {
        "requests": 0,
        "forwarded": 0,
        "forwarded_body_bytes": 0,
        "relayed_body_bytes": 0,
        "stalls_ended_by_client": 0,
        "holds": 0,
        "faults": {},
        "responses": {},
    }


class Statistics:
    """What the proxy saw, in total and per S3 operation.

    requests: request heads received; forwarded: requests that reached the upstream whole;
    forwarded_body_bytes: request-body bytes written to the upstream (partial bodies too);
    relayed_body_bytes: response-body bytes sent to the client (partial bodies of dropped
    responses too; chunk lines of a held or dropped chunked response count as well);
    stalls_ended_by_client: stalls cut short because the client closed the connection;
    holds: hold_request and hold_response windows opened;
    faults: injected faults by kind; responses: status codes sent to the client (a dropped
    response counts under its upstream status); upstream_failures: connections to the upstream
    that could not be opened or broke unasked; connections: client connections accepted."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.total = new_counters()
        self.operations = {}
        self.upstream_failures = 0
        self.connections = 0
        self.seen = []

    def record(self, method, target, headers, operation):
        if len(self.seen) < SEEN_LIMIT:
            found = SIGNATURE.search(header(headers, "authorization") or "") or SIGNATURE.search(target)
            self.seen.append(
                {
                    "method": method,
                    "target": target,
                    "host": header(headers, "host") or "",
                    "operation": operation,
                    "signature": found.group(1) if found else "",
                    "customer_key_md5": header(headers, "x-amz-server-side-encryption-customer-key-md5") or "",
                }
            )

    def count(self, operation, key, amount=1):
        for counters in (self.total, self.operations.setdefault(operation, new_counters())):
            counters[key] += amount

    def count_in(self, operation, key, name):
        for counters in (self.total, self.operations.setdefault(operation, new_counters())):
            counters[key][name] = counters[key].get(name, 0) + 1

    def snapshot(self):
        return {
            "total": self.total,
            "operations": self.operations,
            "upstream_failures": self.upstream_failures,
            "connections": self.connections,
        }


# ---------------------------------------------------------------------------------------------
# The proxy


def s3_error_body(code, message, request_id):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        "<RequestId>%s</RequestId></Error>" % (code, message, request_id)
    ).encode()


def response_bytes(status, reason, body, extra_headers=(), close=False):
    lines = [
        "HTTP/1.1 %d %s" % (status, reason),
        "Date: %s" % email.utils.formatdate(usegmt=True),
        "Content-Length: %d" % len(body),
    ]
    if body:
        lines.append("Content-Type: application/xml")
    lines.extend("%s: %s" % pair for pair in extra_headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Proxy:
    def __init__(self, upstream_host, upstream_port, rules, when_upstream_down):
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.rules = rules
        self.when_upstream_down = when_upstream_down
        self.stats = Statistics()
        self.sequence = 0

    def request_id(self):
        self.sequence += 1
        return "FAULTPROXY%08d" % self.sequence

    async def handle(self, reader, writer):
        self.stats.connections += 1
        connection = Connection(self, reader, writer)
        try:
            await connection.serve()
        except (ConnectionError, asyncio.IncompleteReadError, ProtocolError, OSError):
            pass
        except Exception as error:  # a bug here must not take the proxy down
            print("faultproxy: connection failed: %r" % (error,), file=sys.stderr, flush=True)
        finally:
            connection.close()

    # Control endpoint

    async def control(self, method, target, body, writer):
        path = target.split("?", 1)[0]
        status, payload = 200, {"ok": True}
        try:
            if path == "/__proxy/stats" and method == "GET":
                payload = self.stats.snapshot()
            elif path == "/__proxy/requests" and method == "GET":
                payload = self.stats.seen
            elif path == "/__proxy/stats/reset" and method == "POST":
                self.stats.reset()
            elif path == "/__proxy/rules" and method == "GET":
                payload = self.rules.describe()
            elif path == "/__proxy/rules" and method in ("PUT", "POST"):
                config = json.loads(body or b"{}")
                self.rules = RuleSet(config.get("seed", self.rules.seed), config.get("rules", []))
                if "when_upstream_down" in config:
                    self.when_upstream_down = config["when_upstream_down"]
            else:
                status, payload = 404, {"error": "no control endpoint %s %s" % (method, path)}
        except (ValueError, TypeError) as error:
            status, payload = 400, {"error": str(error)}
        data = json.dumps(payload, sort_keys=True).encode()
        writer.write(
            ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
             "Connection: close\r\n\r\n" % (status, "OK" if status == 200 else "Error", len(data))).encode()
            + data
        )
        await writer.drain()


class Connection:
    """One client connection and the upstream connection paired with it."""

    def __init__(self, proxy, reader, writer):
        self.proxy = proxy
        self.reader = reader
        self.writer = writer
        self.client = writer_sink(writer)
        self.upstream = None  # (reader, writer)

    def close(self):
        self.close_upstream()
        close_quietly(self.writer)

    def close_upstream(self):
        if self.upstream is not None:
            close_quietly(self.upstream[1])
            self.upstream = None

    async def connect_upstream(self):
        if self.upstream is not None and not self.upstream[0].at_eof():
            return self.upstream
        self.close_upstream()
        try:
            opening = asyncio.open_connection(
                self.proxy.upstream_host, self.proxy.upstream_port, limit=HEAD_LIMIT
            )
            self.upstream = await asyncio.wait_for(opening, 5)
        except (OSError, asyncio.TimeoutError):
            self.proxy.stats.upstream_failures += 1
            return None
        return self.upstream

    async def serve(self):
        stats = self.proxy.stats
        while True:
            raw = await read_head(self.reader)
            if raw is None:
                return
            start, headers = parse_head(raw)
            parts = start.split(" ")
            if len(parts) != 3:
                raise ProtocolError("bad request line %r" % start)
            method, target, version = parts[0].upper(), parts[1], parts[2]
            framing = body_framing(headers)
            close_after = wants_close(version, headers)

            if target.startswith("/__proxy/"):
                body = bytearray()

                async def collect(data):
                    body.extend(data)

                await copy_body(self.reader, collect, framing)
                await self.proxy.control(method, target, bytes(body), self.writer)
                return

            operation = operation_of(method, target)
            stats.count(operation, "requests")
            stats.record(method, target, headers, operation)
            rule = self.proxy.rules.decide(method, target, operation)
            fault = rule.fault if rule is not None else "pass"
            if fault != "pass":
                stats.count_in(operation, "faults", fault)

            if fault in ("slow_down", "internal_error", "ok_with_error"):
                await copy_body(self.reader, discard, framing)
                await self.answer_fault(fault, rule, operation, close_after)
                if close_after:
                    return
            elif fault == "stall":
                await copy_body(self.reader, discard, framing)
                try:
                    # Ends early when the client gives up and closes.
                    if not await asyncio.wait_for(self.reader.read(1), rule.stall_seconds):
                        stats.count(operation, "stalls_ended_by_client")
                except asyncio.TimeoutError:
                    pass
                return
            elif fault == "drop_request":
                await self.drop_during_request(raw, framing, rule, operation)
                return
            else:
                drop = rule if fault in ("drop_response", "hold_response") else None
                pause = rule if fault == "hold_request" else None
                corrupt = rule if fault == "corrupt_response" else None
                keep = await self.forward(method, raw, framing, operation, close_after, drop, pause, corrupt)
                if not keep:
                    return

    async def answer_fault(self, fault, rule, operation, close):
        request_id = self.proxy.request_id()
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", "faultproxy")]
        if fault == "slow_down":
            status, reason = 503, "Slow Down"
            body = s3_error_body("SlowDown", "Please reduce your request rate.", request_id)
            if rule.retry_after_ms is not None:
                headers.append(("x-amz-retry-after", str(int(rule.retry_after_ms))))
        elif fault == "internal_error":
            status, reason = 500, "Internal Server Error"
            body = s3_error_body("InternalError", INTERNAL_ERROR_MESSAGE, request_id)
        else:
            status, reason = 200, "OK"
            body = s3_error_body("InternalError", INTERNAL_ERROR_MESSAGE, request_id)
        self.proxy.stats.count_in(operation, "responses", str(status))
        await self.client(response_bytes(status, reason, body, headers, close))

    async def drop_during_request(self, raw, framing, rule, operation):
        stats = self.proxy.stats
        kind, length = framing
        upstream = await self.connect_upstream()
        if upstream is not None:
            emit = writer_sink(upstream[1])
            if kind == "none":
                # The head is the whole request: send only part of it.
                await emit(raw[: max(1, min(len(raw) - 1, int(len(raw) * rule.fraction)))])
            else:
                await emit(raw)
            if kind == "length":
                part = min(length - 1, int(length * rule.fraction))
                await copy_exactly(self.reader, emit, part)
                stats.count(operation, "forwarded_body_bytes", part)
        # Closing with unread request bytes makes the kernel reset the client's connection.
        self.close_upstream()

    async def forward(
        self, method, raw, framing, operation, close_after, drop_rule, pause_rule=None, corrupt_rule=None
    ):
        """Forwards one request and its response. Returns whether the client connection stays open."""
        stats = self.proxy.stats
        upstream = await self.connect_upstream()
        if upstream is None:
            await copy_body(self.reader, discard, framing)
            if self.proxy.when_upstream_down == "close":
                return False
            request_id = self.proxy.request_id()
            body = s3_error_body("BadGateway", "The proxy cannot reach the upstream server.", request_id)
            stats.count_in(operation, "responses", "502")
            headers = [("x-amz-request-id", request_id)]
            await self.client(response_bytes(502, "Bad Gateway", body, headers, close_after))
            return not close_after
        up_reader, up_writer = upstream
        send = writer_sink(up_writer)
        await send(raw)

        def counted(n):
            stats.count(operation, "forwarded_body_bytes", n)

        if pause_rule is not None and framing[0] == "length":
            first = int(framing[1] * pause_rule.fraction)

            async def counted_send(data):
                counted(len(data))
                await send(data)

            await copy_exactly(self.reader, counted_send, first)
            stats.count(operation, "holds")
            await asyncio.sleep(pause_rule.stall_seconds)
            await copy_exactly(self.reader, counted_send, framing[1] - first)
        else:
            await copy_body(self.reader, send, framing, counted)
        stats.count(operation, "forwarded")

        while True:
            response_head = await read_head(up_reader)
            if response_head is None:
                # The upstream closed without answering: pass that on.
                stats.upstream_failures += 1
                self.close_upstream()
                return False
            status_line, response_headers = parse_head(response_head)
            try:
                status = int(status_line.split(" ")[1])
            except (IndexError, ValueError):
                raise ProtocolError("bad status line %r" % status_line)
            if 100 <= status < 200 and status != 101:
                await self.client(response_head)
                continue
            break

        response_framing = body_framing(
            response_headers, no_body=method == "HEAD" or status in (204, 304), may_close=True
        )
        upstream_closes = response_framing[0] == "close" or wants_close(
            status_line.split(" ")[0], response_headers
        )
        stats.count_in(operation, "responses", str(status))

        if drop_rule is not None:
            whole = bytearray(response_head)

            async def collect(data):
                whole.extend(data)

            await copy_body(up_reader, collect, response_framing)
            if drop_rule.fault == "hold_response":
                stats.count(operation, "holds")
                await asyncio.sleep(drop_rule.stall_seconds)
                await self.client(bytes(whole))
                stats.count(operation, "relayed_body_bytes", len(whole) - len(response_head))
                if upstream_closes:
                    self.close_upstream()
                    return False
                return not close_after
            head_only = len(whole) == len(response_head)
            cut = int(len(whole) * drop_rule.fraction) if head_only else len(response_head) + int(
                (len(whole) - len(response_head)) * drop_rule.fraction
            )
            cut = max(1, min(len(whole) - 1, cut))
            await self.client(bytes(whole[:cut]))
            stats.count(operation, "relayed_body_bytes", max(0, cut - len(response_head)))
            self.close_upstream()
            return False

        def relayed(n):
            stats.count(operation, "relayed_body_bytes", n)

        if corrupt_rule is not None and 200 <= status < 300 and response_framing[0] != "none":
            await self.relay_corrupted(up_reader, response_head, response_framing, corrupt_rule.fraction, relayed)
        else:
            await self.client(response_head)
            await copy_body(up_reader, self.client, response_framing, relayed)
        if upstream_closes:
            self.close_upstream()
            return False
        return not close_after


    async def relay_corrupted(self, up_reader, response_head, framing, fraction, relayed):
        """Relays a response with the body byte at `fraction` of the body inverted; the head
        goes out as it came, so the length and the server's ETag and checksums are kept.
        `relayed(n)` counts the body bytes sent."""
        kind, length = framing
        if kind == "length":
            target = max(0, min(length - 1, int(length * fraction)))
            position = 0

            async def flip_on_the_way(data):
                nonlocal position
                if position <= target < position + len(data):
                    data = flipped(data, target - position)
                position += len(data)
                relayed(len(data))
                await self.client(data)

            await self.client(response_head)
            await copy_exactly(up_reader, flip_on_the_way, length)
            return
        body = bytearray()

        async def collect(data):
            body.extend(data)

        await copy_body(up_reader, discard, framing, payload_sink=collect)
        if body:
            body = flipped(body, max(0, min(len(body) - 1, int(len(body) * fraction))))
        await self.client(response_head)
        relayed(len(body))
        if kind == "chunked":
            chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            await self.client(chunk + b"0\r\n\r\n")
        else:
            await self.client(bytes(body))


# ---------------------------------------------------------------------------------------------


async def watch_parent(parent_pid, stop):
    while not stop.is_set():
        if os.getppid() != parent_pid:
            stop.set()
            return
        await asyncio.sleep(0.5)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the S3 server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--port-file", help="write the port listened on to this file once ready")
    parser.add_argument("--config", default="{}", help='initial rules: {"seed": N, "rules": [...]}')
    parser.add_argument("--parent-pid", type=int, help="exit when this process is no longer the parent")
    args = parser.parse_args()

    host, _, port = args.upstream.rpartition(":")
    config = json.loads(args.config)
    proxy = Proxy(
        host or "127.0.0.1",
        int(port),
        RuleSet(config.get("seed", 1), config.get("rules", [])),
        config.get("when_upstream_down", "bad_gateway"),
    )
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.port, limit=HEAD_LIMIT, backlog=512)
    listening = server.sockets[0].getsockname()[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as file:
            file.write("%d\n" % listening)
        os.rename(temporary, args.port_file)
    print("faultproxy: 127.0.0.1:%d -> %s" % (listening, args.upstream), file=sys.stderr, flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # A parent may start us with these signals blocked (the mask is inherited): stopping needs them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.ensure_future(watch_parent(args.parent_pid, stop)) if args.parent_pid else None
    await stop.wait()
    if watcher:
        watcher.cancel()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
