#!/usr/bin/env python3
"""Times s3sync against s5cmd, rclone and the AWS CLI on the same workloads, each with its
defaults, against one `rclone serve s3` on loopback, optionally far away and over TLS.

Push workloads copy a local tree to the bucket; pull workloads copy the same trees back from the
bucket into a fresh empty directory. The objects a pull reads are put in the bucket once, by
`s3sync push` (untimed), and every tool pulls those same objects. rclone serve s3 gives each object
the MD5 of its whole content as ETag, multipart upload or not, so a tool that verifies a large
download against its ETag hashes the whole file (on S3 a multipart ETag is checked part by part).

Latency (--rtt 0,50): for each RTT above 0 every tool talks to the server through
Tests/Scripts/delayproxy.py, which delays each direction by RTT/2 without limiting bandwidth (and
charges a new connection one round trip, as TCP's handshake does); at 0 they talk to it directly.
TLS (--tls, or --scheme http,https for both): `rclone serve s3 --cert --key` with a certificate
from a throwaway CA made with openssl for the run, which every tool is told to trust (s3sync and
aws --ca-bundle, rclone --ca-cert, s5cmd AWS_CA_BUNDLE, which is set for all); the proxy
passes the TLS bytes through untouched. Every workload runs once per scheme and RTT, in one
invocation, and each row of the table names its RTT and scheme; ratios compare tools within the
same RTT and scheme. A failure the peers are known for (KNOWN_FAILURES) is reported in the table as
such and does not make the run fail.

Run through scripts/bench-peers.sh, which installs the pinned peers and builds s3sync first.

Each measured run is a child started through /usr/bin/time: wall time from the driver's
monotonic clock, CPU (user + sys) from wait4's rusage, peak RSS from time's %M. (The child's
ru_maxrss as wait4 reports it to a Python parent would include the parent's own high-water mark,
because a vfork'd child inherits it at exec; /usr/bin/time forks from a process of a few MB.)
"""

import argparse
import filecmp
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
ACCESS_KEY = "bench-access-key"
SECRET_KEY = "bench-secret-key"
REGION = "us-east-1"
BUCKET = "bench"
TOOLS = ["s3sync", "s5cmd", "rclone", "aws"]
# With --baseline: another s3sync binary timed beside it, compared with it but not counted as a peer.
BASELINE = "baseline"
KIB = 1024
MIB = 1024 * 1024
DELAY_PROXY = os.path.join(ROOT, "Tests", "Scripts", "delayproxy.py")
SCHEMES = ["http", "https"]

# (tool, scheme, direction) -> (what its stderr says, why): failures that are the peer's or the
# server's, not the benchmark's. They show in the table but do not fail the run.
KNOWN_FAILURES = {
    ("aws", "https", "push"): (
        "MissingContentLength",
        "rclone serve s3 refuses aws-chunked upload bodies over TLS (MissingContentLength)"),
}


@dataclass
class Workload:
    name: str
    files: int
    directories: int
    file_size: int
    noop: bool
    description: str
    repeat: int = 0  # 0: the --repeat value
    data: str = ""  # name of the tree it pushes or pulls (workloads may share one)
    direction: str = "push"  # or "pull": bucket -> local directory


# Names --workloads accepts for several workloads at once.
GROUPS = {
    "push": ["small", "large", "noop", "many-noop"],
    "pull": ["pull-small", "pull-large", "pull-noop"],
}
DEFAULT_WORKLOADS = GROUPS["push"] + GROUPS["pull"]


def workloads(quick: bool) -> dict:
    if quick:
        specs = [
            Workload("small", 200, 4, 32 * KIB, False, "200 x 32 KiB in 4 dirs, first push", data="small"),
            Workload("large", 2, 1, 16 * MIB, False, "2 x 16 MiB, first push", data="large"),
            Workload("noop", 200, 4, 32 * KIB, True, "second push of small, nothing changed", data="small"),
            Workload("many-noop", 500, 5, KIB, True, "second push of 500 x 1 KiB in 5 dirs", data="many"),
            Workload("scale", 2500, 25, KIB, True, "no-op push of 2500 x 1 KiB in 25 dirs", data="scale"),
            Workload("pull-small", 200, 4, 32 * KIB, False, "200 x 32 KiB in 4 dirs, pull into an empty dir",
                     data="small", direction="pull"),
            Workload("pull-large", 2, 1, 16 * MIB, False, "2 x 16 MiB, pull into an empty dir",
                     data="large", direction="pull"),
            Workload("pull-noop", 200, 4, 32 * KIB, True, "second pull of pull-small, nothing changed",
                     data="small", direction="pull"),
        ]
    else:
        specs = [
            Workload("small", 2000, 20, 32 * KIB, False, "2000 x 32 KiB in 20 dirs, first push", data="small"),
            Workload("large", 2, 1, 512 * MIB, False, "2 x 512 MiB, first push", data="large"),
            Workload("noop", 2000, 20, 32 * KIB, True, "second push of small, nothing changed", data="small"),
            Workload(
                "many-noop", 20_000, 200, KIB, True, "second push of 20,000 x 1 KiB in 200 dirs", data="many"
            ),
            Workload("scale", 200_000, 2000, KIB, True, "no-op push of 200,000 x 1 KiB in 2000 dirs", data="scale"),
            Workload("pull-small", 2000, 20, 32 * KIB, False, "2000 x 32 KiB in 20 dirs, pull into an empty dir",
                     data="small", direction="pull"),
            Workload("pull-large", 2, 1, 512 * MIB, False, "2 x 512 MiB, pull into an empty dir",
                     data="large", direction="pull"),
            Workload("pull-noop", 2000, 20, 32 * KIB, True, "second pull of pull-small, nothing changed",
                     data="small", direction="pull"),
        ]
    return {spec.name: spec for spec in specs}


# ---------------------------------------------------------------------------------------------
# machine, data, server


def machine_info() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(memory / (1 << 30), 1),
        "os": platform.platform(),
    }


def generate_tree(path: str, files: int, directories: int, size: int) -> None:
    """Random content; every mtime a day in the past, so 'newer than the upload' never holds."""
    os.makedirs(path, exist_ok=True)
    past = time.time() - 86_400
    width = len(str(files))
    for directory in range(directories):
        os.makedirs(os.path.join(path, f"dir-{directory:04d}"), exist_ok=True)
    for index in range(files):
        name = os.path.join(path, f"dir-{index % directories:04d}", f"file-{index:0{width}d}.bin")
        with open(name, "wb") as handle:
            written = 0
            while written < size:
                block = os.urandom(min(size - written, 8 * MIB))
                handle.write(block)
                written += len(block)
        os.utime(name, (past, past))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log_name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited at start (see {log_name})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start listening within 30 s (see {log_name})")


@dataclass
class TLSMaterial:
    """A throwaway CA and a server certificate it signed, for 127.0.0.1 and localhost (as
    Tests/S3TestSupport/TLSMaterial.swift makes them)."""
    ca: str
    certificate: str
    key: str

    @staticmethod
    def generate(directory: str) -> "TLSMaterial":
        os.makedirs(directory, exist_ok=True)

        def openssl(*arguments: str) -> None:
            subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=s3sync bench CA")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1")
        with open(os.path.join(directory, "ext.cnf"), "w") as handle:
            handle.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                         "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
        return TLSMaterial(*(os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")))


class Server:
    """One `rclone serve s3` on loopback (over TLS with `tls`) for the whole run, or for one scheme's runs."""

    def __init__(self, work: str, tls: TLSMaterial = None):
        self.tls = tls
        suffix = "-https" if tls else ""
        self.data = os.path.join(work, "server" + suffix)
        os.makedirs(self.data)
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        config = os.path.join(work, "rclone-server.conf")
        open(config, "w").close()
        env = dict(os.environ, RCLONE_CONFIG=config)
        self.log = open(os.path.join(work, f"server{suffix}.log"), "w")
        self.process = subprocess.Popen(
            [
                os.path.join(VENV_BIN, "rclone"), "serve", "s3",
                "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}",
                "--addr", f"127.0.0.1:{self.port}",
                *(["--cert", tls.certificate, "--key", tls.key] if tls else []),
                self.data,
            ],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process, "rclone serve s3", self.log.name)
        self.s3 = self.client()
        self.s3.create_bucket(Bucket=BUCKET)

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.url, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10}),
            verify=self.tls.ca if self.tls else None,
        )

    def count(self, prefix: str) -> tuple:
        """(objects, bytes) under the prefix."""
        objects = size = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                objects += 1
                size += item["Size"]
        return objects, size

    def delete(self, prefix: str) -> None:
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            keys += [{"Key": item["Key"]} for item in page.get("Contents", [])]
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys[start : start + 1000], "Quiet": True})

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class DelayProxy:
    """Tests/Scripts/delayproxy.py in front of the server: RTT/2 each way, bandwidth not limited."""

    def __init__(self, work: str, server: Server, rtt_ms: int):
        name = f"delayproxy-{server.url.split(':')[0]}-{rtt_ms}ms"
        port_file = os.path.join(work, name + ".port")
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.process = subprocess.Popen(
            [sys.executable, DELAY_PROXY, "--upstream", f"127.0.0.1:{server.port}", "--rtt", str(rtt_ms),
             "--port-file", port_file, "--parent-pid", str(os.getpid())],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                stop_process(self.process)
                raise SystemExit(f"the delay proxy did not start (see {self.log.name})")
            time.sleep(0.05)
        with open(port_file) as handle:
            self.port = int(handle.read())
        self.url = f"{server.url.split(':')[0]}://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU the proxy has used so far (it shares the cores with the tools and the server)."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@dataclass
class Link:
    """How the tools reach the server in one round of workloads: the URL they are given (the
    server's, or a delay proxy's in front of it), the added RTT, and the CA to trust over TLS."""
    url: str
    rtt_ms: int = 0
    scheme: str = "http"
    ca: str = ""

    @property
    def tag(self) -> str:
        """A name for paths and prefixes: http-0ms, https-50ms."""
        return f"{self.scheme}-{self.rtt_ms}ms"


# ---------------------------------------------------------------------------------------------
# tools


@dataclass
class Run:
    workload: str
    tool: str
    repetition: int
    phase: str  # "timed"; untimed setup: "first-push" or "first-pull" (no-op workloads), "seed" (data for pulls)
    wall: float
    cpu_user: float
    cpu_sys: float
    rss_mb: float
    exit_code: int
    ok: bool
    note: str = ""
    rtt_ms: int = 0
    scheme: str = "http"
    known: str = ""  # a failed run's known cause (KNOWN_FAILURES): reported, not failing the benchmark

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys


@dataclass
class Bench:
    server: Server
    work: str
    s3sync: str
    timeout: float
    runs: list = field(default_factory=list)
    baseline: str = ""
    link: Link = None  # None: straight to the server, plain HTTP

    def __post_init__(self):
        if self.link is None:
            self.link = Link(self.server.url)

    def environment(self) -> dict:
        env = dict(os.environ)
        for name in list(env):
            if name.startswith(("AWS_", "RCLONE_", "S3SYNC_")):
                del env[name]
        env.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=os.path.join(self.work, "aws-config-none"),
            AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.work, "aws-credentials-none"),
            RCLONE_CONFIG=os.path.join(self.work, "rclone-client.conf"),
            RCLONE_CONFIG_BENCH_TYPE="s3", RCLONE_CONFIG_BENCH_PROVIDER="Other",
            RCLONE_CONFIG_BENCH_ENV_AUTH="false",
            RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=ACCESS_KEY, RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=SECRET_KEY,
            RCLONE_CONFIG_BENCH_REGION=REGION, RCLONE_CONFIG_BENCH_ENDPOINT=self.link.url,
            RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE="true",
        )
        if self.link.ca:
            # s5cmd has no flag for it: its aws-sdk-go reads AWS_CA_BUNDLE (SSL_CERT_FILE did not work).
            env["AWS_CA_BUNDLE"] = self.link.ca
        return env

    def command(self, tool: str, local: str, prefix: str, state: str, direction: str = "push") -> list:
        """The tool's command copying the directory `local` to s3://BUCKET/prefix (push) or back (pull)."""
        url, ca = self.link.url, self.link.ca
        remote = f"s3://{BUCKET}/{prefix}"

        def ends(local_end: str, remote_end: str) -> list:
            return [local_end, remote_end] if direction == "push" else [remote_end, local_end]

        if tool in ("s3sync", BASELINE):
            binary = self.s3sync if tool == "s3sync" else self.baseline
            return [binary, direction, *ends(local, remote), "--endpoint-url", url, "--state", state, "--json",
                    *(["--ca-bundle", ca] if ca else [])]
        if tool == "s5cmd":
            # s5cmd reads a bucket through a wildcard: s3://B/P/* copies each key P/K to DIR/K.
            return [os.path.join(VENV_BIN, "s5cmd"), "--endpoint-url", url, "sync",
                    *ends(local + "/", remote if direction == "push" else remote + "*")]
        if tool == "rclone":
            return [os.path.join(VENV_BIN, "rclone"), "sync", *ends(local, f"bench:{BUCKET}/{prefix}"),
                    *(["--ca-cert", ca] if ca else [])]
        if tool == "aws":
            return [os.path.join(VENV_BIN, "aws"), "s3", "sync", *ends(local, remote), "--endpoint-url", url,
                    *(["--ca-bundle", ca] if ca else [])]
        raise ValueError(tool)

    def log_stem(self, workload: str, label: str, phase: str, repetition: int) -> str:
        """Where a run's stdout (.out), stderr (.err) and /usr/bin/time output (.time) go."""
        return os.path.join(self.work, "logs",
                            f"{self.link.tag}-{workload}-{label.replace(' ', '_')}-{phase}-{repetition}")

    def run(self, workload: str, tool: str, repetition: int, phase: str, local: str, prefix: str,
            state: str, flags: tuple = (), direction: str = "push") -> Run:
        """Times one run; `flags` are extra options, and the run is labelled with them."""
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        label = " ".join((tool,) + tuple(flags))
        stem = self.log_stem(workload, label, phase, repetition)
        timing = stem + ".time"
        command = ["/usr/bin/time", "-o", timing, "-f", "%e %U %S %M"]
        command += self.command(tool, local, prefix, state, direction) + list(flags)
        with open(stem + ".out", "wb") as out, open(stem + ".err", "wb") as err:
            start = time.monotonic()
            process = subprocess.Popen(
                command, stdout=out, stderr=err, env=self.environment(), cwd=self.work, start_new_session=True)
            timer = threading.Timer(self.timeout, kill_group, (process.pid,))
            timer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            except KeyboardInterrupt:
                kill_group(process.pid)
                raise
            finally:
                timer.cancel()
            wall = time.monotonic() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        rss_mb = 0.0
        try:
            with open(timing) as handle:
                fields = handle.read().split()
            rss_mb = int(fields[-1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        run = Run(workload, label, repetition, phase, wall, usage.ru_utime, usage.ru_stime, rss_mb,
                  process.returncode, process.returncode == 0, rtt_ms=self.link.rtt_ms, scheme=self.link.scheme)
        if not run.ok:
            error = last_error_line(stem + ".err")
            run.note = f"exit {run.exit_code}" + (f": {error}" if error else "") + f"; see {stem}.err"
            signature, cause = KNOWN_FAILURES.get((tool, self.link.scheme, direction), ("", ""))
            if signature and any(signature in read_text(stem + suffix) for suffix in (".err", ".out")):
                run.known = cause
        return run

    def check_noop(self, run: Run, tool: str, stem_out: str, direction: str = "push") -> None:
        """A no-op run must not copy: s3sync says so in its JSON; s5cmd and aws print a line per copy."""
        try:
            with open(stem_out, "rb") as handle:
                output = handle.read().decode("utf-8", "replace")
        except OSError:
            return
        verb = "uploaded" if direction == "push" else "downloaded"
        if tool in ("s3sync", BASELINE):
            try:
                summary = json.loads(output[output.index("{"):])
                if summary.get(f"{verb}_files", 0) != 0:
                    run.ok = False
                    run.note = f"{verb} {summary[f'{verb}_files']} files on a no-op {direction}"
            except (ValueError, IndexError):
                run.note = "no JSON summary"
        elif tool in ("s5cmd", "aws"):
            aws_line = "upload:" if direction == "push" else "download:"
            copies = [line for line in output.splitlines() if line.startswith(("cp ", aws_line))]
            if copies:
                run.ok = False
                run.note = f"copied {len(copies)} files on a no-op {direction}"

    def verify(self, run: Run, prefix: str, files: int, size: int) -> None:
        objects, total = self.server.count(prefix)
        if objects != files or total != files * size:
            run.ok = False
            run.note = (run.note + "; " if run.note else "") + (
                f"bucket has {objects} objects / {total} bytes under {prefix}, expected {files} / {files * size}")

    def verify_tree(self, run: Run, tree: str, directory: str) -> None:
        """After a pull, `directory` holds exactly the files of `tree`, byte for byte, and nothing else."""
        expected, found = relative_files(tree), relative_files(directory)
        problem = ""
        if found != expected:
            missing, extra = sorted(expected - found), sorted(found - expected)
            problem = f"{len(missing)} files missing, {len(extra)} unexpected under {directory}" + "".join(
                f" (e.g. {kind} {names[0]})" for kind, names in (("missing", missing), ("unexpected", extra)) if names)
        else:
            differ = [name for name in sorted(expected) if not filecmp.cmp(
                os.path.join(tree, name), os.path.join(directory, name), shallow=False)]
            if differ:
                problem = f"{len(differ)} files differ from the source (e.g. {differ[0]})"
        if problem:
            run.ok = False
            run.note = (run.note + "; " if run.note else "") + problem


# ---------------------------------------------------------------------------------------------
# workloads


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def last_error_line(path: str) -> str:
    """The last line a failed run wrote to stderr (after any progress redrawn with carriage returns), shortened."""
    lines = [line.rsplit("\r", 1)[-1].strip() for line in read_text(path).splitlines()]
    lines = [line for line in lines if line]
    return lines[-1][:200] if lines else ""


def relative_files(root: str) -> set:
    """Paths of every file under root (hidden ones too), relative to it."""
    return {
        os.path.relpath(os.path.join(directory, name), root)
        for directory, _, names in os.walk(root) for name in names
    }


def rotate(items: list, by: int) -> list:
    by %= len(items)
    return items[by:] + items[:by]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def describe(run: Run) -> str:
    status = "ok" if run.ok else f"FAILED{' as known' if run.known else ''} ({run.note})"
    return (f"    {run.tool:7s} {run.scheme:5s} {run.rtt_ms:3d} ms {run.phase:10s} #{run.repetition}: {run.wall:7.2f} s wall, {run.cpu:7.2f} s CPU, "
            f"{run.rss_mb:7.1f} MB  {status}")


def seed_prefix(spec: Workload) -> str:
    """Where the objects a pull workload reads are: its tree, put in the bucket once."""
    return f"pull/{spec.data}/"


def seed(bench: Bench, spec: Workload, tree: str) -> None:
    """Puts the tree a pull workload reads in the bucket, with s3sync push (untimed); every tool pulls these objects."""
    state = os.path.join(bench.work, "state", f"seed-{bench.link.scheme}-{spec.data}", "state.db")
    os.makedirs(os.path.dirname(state), exist_ok=True)
    run = bench.run(spec.name, "s3sync", 0, "seed", tree, seed_prefix(spec), state)
    if run.ok:
        bench.verify(run, seed_prefix(spec), spec.files, spec.file_size)
    bench.runs.append(run)
    log(describe(run))
    if not run.ok:
        raise SystemExit(f"could not put {tree} in the bucket for {spec.name}: {run.note}")


def destination(bench: Bench, spec: Workload, name: str) -> str:
    """What a run of the workload writes to: a prefix of its own for a push, a new empty directory for a pull."""
    if spec.direction == "push":
        return f"{bench.link.tag}/{spec.name}/{name}/"
    directory = os.path.join(bench.work, "pulled", bench.link.tag, spec.name, name)
    os.makedirs(directory)
    return directory


def transfer(bench: Bench, spec: Workload, tool: str, repetition: int, phase: str, tree: str, target: str,
             state: str) -> Run:
    """Runs one push of `tree` to the prefix `target`, or one pull of the tree's objects into the
    directory `target`, checks the result (and that a timed no-op copied nothing), and records it."""
    if spec.direction == "push":
        run = bench.run(spec.name, tool, repetition, phase, tree, target, state)
        if run.ok:
            bench.verify(run, target, spec.files, spec.file_size)
    else:
        os.sync()  # dirty pages of earlier runs are not written back during this one
        run = bench.run(spec.name, tool, repetition, phase, target, seed_prefix(spec), state, direction="pull")
        if run.ok:
            bench.verify_tree(run, tree, target)
    if spec.noop and phase == "timed":
        bench.check_noop(run, tool, bench.log_stem(spec.name, tool, phase, repetition) + ".out", spec.direction)
    bench.runs.append(run)
    log(describe(run))
    return run


def run_first(bench: Bench, spec: Workload, tree: str, tools: list, repeat: int) -> None:
    """Each timed run starts from nothing: a new prefix (push) or a new empty directory (pull), a new state."""
    for repetition in range(repeat):
        for tool in rotate(tools, repetition):
            target = destination(bench, spec, f"r{repetition}-{tool}")
            state_dir = tempfile.mkdtemp(prefix=f"state-{tool}-", dir=bench.work)
            transfer(bench, spec, tool, repetition, "timed", tree, target, os.path.join(state_dir, "state.db"))
            shutil.rmtree(state_dir, ignore_errors=True)
            if spec.direction == "pull":
                shutil.rmtree(target, ignore_errors=True)
            elif spec.file_size * spec.files >= 256 * MIB:
                bench.server.delete(target)


def run_noop(bench: Bench, spec: Workload, tree: str, tools: list, repeat: int) -> None:
    """One untimed first copy per tool, then timed copies of the same, unchanged, data to the same place."""
    states, targets = {}, {}
    for tool in tools:
        targets[tool] = destination(bench, spec, tool)
        states[tool] = os.path.join(bench.work, "state", f"{bench.link.tag}-{spec.name}-{tool}", "state.db")
        os.makedirs(os.path.dirname(states[tool]), exist_ok=True)
        transfer(bench, spec, tool, 0, f"first-{spec.direction}", tree, targets[tool], states[tool])
    for repetition in range(repeat):
        for tool in rotate(tools, repetition):
            transfer(bench, spec, tool, repetition, "timed", tree, targets[tool], states[tool])
    if spec.direction == "pull":
        for target in targets.values():
            shutil.rmtree(target, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# report


def summarize(runs: list, rounds: list, order: list, tools: list) -> list:
    """Medians per round (RTT, scheme), workload and tool; s3sync's ratios to the best peer of the same round."""
    rows = []
    for rtt_ms, scheme in rounds:
        for workload in order:
            rows += summarize_workload(
                [run for run in runs if run.rtt_ms == rtt_ms and run.scheme == scheme and run.workload == workload],
                workload, rtt_ms, scheme, tools)
    return rows


def summarize_workload(runs: list, workload: str, rtt_ms: int, scheme: str, tools: list) -> list:
    rows, medians = [], {}
    for tool in tools:
        timed = [run for run in runs if run.tool == tool and run.phase == "timed"]
        good = [run for run in timed if run.ok]
        if not timed:
            continue
        row = {"workload": workload, "rtt_ms": rtt_ms, "scheme": scheme, "tool": tool, "runs": len(timed),
               "failed": len(timed) - len(good)}
        known = {run.known for run in timed if not run.ok}
        if known and "" not in known:
            row["known_failure"] = "; ".join(sorted(known))
        if good:
            row.update(
                wall_s=statistics.median(run.wall for run in good),
                cpu_s=statistics.median(run.cpu for run in good),
                rss_mb=statistics.median(run.rss_mb for run in good),
            )
            medians[tool] = row
        rows.append(row)
    peers = [medians[tool] for tool in medians if tool not in ("s3sync", BASELINE)]
    if "s3sync" in medians and BASELINE in medians:
        ours, base = medians["s3sync"], medians[BASELINE]
        ours["ratio_to_baseline"] = {
            metric: (ours[metric] / base[metric] if base[metric] > 0 else None)
            for metric in ("wall_s", "cpu_s", "rss_mb")
        }
    if "s3sync" in medians and peers:
        ours = medians["s3sync"]
        best = {
            "wall_s": min(peer["wall_s"] for peer in peers),
            "cpu_s": min(peer["cpu_s"] for peer in peers),
            "rss_mb": min(peer["rss_mb"] for peer in peers),
        }
        ours["ratio_to_best_peer"] = {
            metric: (ours[metric] / best[metric] if best[metric] > 0 else None) for metric in best
        }
        ours["best_peer"] = {
            metric: min(peers, key=lambda peer: peer[metric])["tool"] for metric in best
        }
    return rows


def growth(rows: list, small: str, large: str) -> list:
    result = []
    by_key = {(row["rtt_ms"], row["scheme"], row["workload"], row["tool"]): row for row in rows if "wall_s" in row}
    for rtt_ms, scheme in dict.fromkeys((row["rtt_ms"], row["scheme"]) for row in rows):
        for tool in TOOLS:
            a, b = by_key.get((rtt_ms, scheme, small, tool)), by_key.get((rtt_ms, scheme, large, tool))
            if a and b:
                result.append({
                    "rtt_ms": rtt_ms, "scheme": scheme, "tool": tool, "from": small, "to": large,
                    "wall_s": [a["wall_s"], b["wall_s"]], "rss_mb": [a["rss_mb"], b["rss_mb"]],
                    "wall_growth": b["wall_s"] / a["wall_s"] if a["wall_s"] else None,
                    "rss_growth": b["rss_mb"] / a["rss_mb"] if a["rss_mb"] else None,
                })
    return result


def load_text(load: tuple) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


def markdown(rows: list, machine: dict, specs: dict, repeat: int, scale_repeat: int, setup_runs: list,
             growth_rows: list, load: dict = None) -> str:
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}",
    ]
    if load:
        lines.append(f"Load average (1 / 5 / 15 min): {load_text(load['start'])} at the start, "
                     f"{load_text(load['end'])} at the end")
    lines += [
        "",
        "| workload | RTT | scheme | tool | wall s | CPU s | peak RSS MB | s3sync ratio (wall / CPU / RSS) |",
        "|---|---:|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        where = f"{row['workload']} | {row['rtt_ms']} ms | {row['scheme']}"
        if "wall_s" not in row:
            why = f"known: {row['known_failure']}" if "known_failure" in row else "see the runs below"
            lines.append(f"| {where} | {row['tool']} | failed | | | {row['failed']}/{row['runs']} runs failed ({why}) |")
            continue
        ratio = ""
        if "ratio_to_best_peer" in row:
            r = row["ratio_to_best_peer"]
            best = row["best_peer"]

            def fmt(metric):
                value = r[metric]
                return "n/a" if value is None else f"{value:.2f}x {best[metric]}"

            ratio = f"{fmt('wall_s')} / {fmt('cpu_s')} / {fmt('rss_mb')}"
        failed = f" ({row['failed']} failed)" if row["failed"] else ""
        lines.append(
            f"| {where} | {row['tool']}{failed} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | "
            f"{row['rss_mb']:.0f} | {ratio} |")
    baseline_rows = [row for row in rows if "ratio_to_baseline" in row]
    if baseline_rows:
        lines += ["", "s3sync over the baseline build, same run (below 1: this build is better):", "",
                  "| workload | RTT | scheme | wall | CPU | peak RSS |", "|---|---:|---|---:|---:|---:|"]
        for row in baseline_rows:
            r = row["ratio_to_baseline"]
            cells = " | ".join("n/a" if r[m] is None else f"{r[m]:.2f}" for m in ("wall_s", "cpu_s", "rss_mb"))
            lines.append(f"| {row['workload']} | {row['rtt_ms']} ms | {row['scheme']} | {cells} |")
    lines.append("")
    runs = f"Medians of {repeat} timed runs per tool" + (
        f" ({scale_repeat} for scale)" if "scale" in specs and scale_repeat != repeat else "")
    lines.append(f"{runs}; the s3sync ratio is its median over the best peer's (for RSS, the lowest peer's) at the "
                 "same RTT and scheme, naming that peer; below 1 means s3sync is better. RTT: added by "
                 "Tests/Scripts/delayproxy.py, RTT/2 each way and one RTT per new connection, bandwidth not limited "
                 "(0 ms: no proxy); https: rclone serve s3 with a certificate from a CA made for the run.")
    for name, spec in specs.items():
        lines.append(f"- {name}: {spec.description}")
    if setup_runs:
        lines += ["", "Untimed setup, one run each: first-push / first-pull before the no-op runs; seed: the "
                  "s3sync push that puts a pull workload's tree in the bucket:", "",
                  "| workload | RTT | scheme | phase | tool | wall s | CPU s | peak RSS MB |",
                  "|---|---:|---|---|---|---:|---:|---:|"]
        for run in setup_runs:
            status = "" if run.ok else (f" FAILED (known: {run.known})" if run.known else f" FAILED: {run.note}")
            lines.append(f"| {run.workload} | {run.rtt_ms} ms | {run.scheme} | {run.phase} | {run.tool}{status} | "
                         f"{run.wall:.2f} | {run.cpu:.2f} | {run.rss_mb:.0f} |")
    if growth_rows:
        factor = specs["scale"].files / specs["many-noop"].files
        lines += ["", f"Growth of a no-op push from many-noop to scale (x{factor:g} files):", "",
                  "| RTT | scheme | tool | wall s | x | peak RSS MB | x |", "|---:|---|---|---|---:|---|---:|"]
        for row in growth_rows:
            lines.append(
                f"| {row['rtt_ms']} ms | {row['scheme']} | {row['tool']} | "
                f"{row['wall_s'][0]:.2f} -> {row['wall_s'][1]:.2f} | {row['wall_growth']:.1f} | "
                f"{row['rss_mb'][0]:.0f} -> {row['rss_mb'][1]:.0f} | {row['rss_growth']:.1f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                        help="comma-separated workloads (small,large,noop,many-noop,scale,pull-small,pull-large,"
                        "pull-noop), groups ('push': small,large,noop,many-noop; 'pull': pull-small,pull-large,"
                        "pull-noop) or 'all' (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per tool and workload (default 3, --quick 1)")
    parser.add_argument("--scale-repeat", type=int, default=1, help="timed runs per tool for scale (default 1)")
    parser.add_argument("--quick", action="store_true", help="scaled-down sizes, for a smoke test in a few minutes")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    parser.add_argument("--s3sync", default=os.path.join(ROOT, ".build", "release", "s3sync"), help="s3sync binary")
    parser.add_argument("--baseline", default="",
                        help="another s3sync binary (e.g. the previous build) timed in the same run, as tool 'baseline'")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench-out", "peers.json"), help="results file")
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help="where data and the server live")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run before it is killed")
    parser.add_argument("--rtt", default="0",
                        help="comma-separated round-trip times in ms to run every workload at, e.g. 0,50; above 0 "
                        "the tools reach the server through Tests/Scripts/delayproxy.py (default: %(default)s)")
    parser.add_argument("--scheme", default="http",
                        help="comma-separated: http, https (rclone serve s3 over TLS with a CA made for the run, "
                        "which every tool trusts), or both (default: %(default)s)")
    parser.add_argument("--tls", action="store_const", const="https", dest="scheme", help="same as --scheme https")
    args = parser.parse_args()

    specs = workloads(args.quick)
    names = []
    for item in (item.strip() for item in args.workloads.split(",")):
        for name in list(specs) if item == "all" else GROUPS.get(item, [item] if item else []):
            if name not in specs:
                parser.error(f"unknown workload {name!r}; choose from {', '.join(specs)}, {', '.join(GROUPS)} or all")
            if name not in names:
                names.append(name)
    tools = [tool.strip() for tool in args.tools.split(",") if tool]
    for tool in tools:
        if tool not in TOOLS:
            parser.error(f"unknown tool {tool!r}")
    if args.baseline:
        if not os.access(args.baseline, os.X_OK):
            parser.error(f"{args.baseline} is not an executable")
        tools.append(BASELINE)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    try:
        rtts = list(dict.fromkeys(int(item) for item in args.rtt.split(",") if item.strip()))
    except ValueError:
        parser.error(f"--rtt takes whole milliseconds, comma-separated, not {args.rtt!r}")
    if not rtts or any(rtt < 0 for rtt in rtts):
        parser.error("--rtt needs at least one value, none negative")
    schemes = list(dict.fromkeys(item.strip() for item in args.scheme.split(",") if item.strip()))
    if not schemes or any(scheme not in SCHEMES for scheme in schemes):
        parser.error(f"--scheme takes {' and/or '.join(SCHEMES)}, not {args.scheme!r}")
    if not os.access(args.s3sync, os.X_OK):
        parser.error(f"{args.s3sync} is not an executable (build it, or pass --s3sync)")

    machine = machine_info()
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}")
    work = tempfile.mkdtemp(prefix="s3sync-bench-peers-", dir=args.workdir)
    log(f"work directory: {work}")
    load = {"start": os.getloadavg()}
    log(f"load average: {load_text(load['start'])}")
    # Every workload once per scheme and RTT: all HTTP rounds on one server, then all HTTPS ones on another.
    plan = [(scheme, rtt, name) for scheme in schemes for rtt in rtts for name in names]
    runs = []
    server = proxy = None
    try:
        open(os.path.join(work, "rclone-client.conf"), "w").close()  # empty: the remote comes from the environment
        tls = TLSMaterial.generate(os.path.join(work, "tls")) if "https" in schemes else None
        trees = {}
        step = 0
        bench_started = time.monotonic()
        for scheme in schemes:
            server = Server(work, tls if scheme == "https" else None)
            ca = tls.ca if scheme == "https" else ""
            log(f"rclone serve s3 at {server.url}")
            # The pulls' objects are put in the bucket straight, not through a proxy: untimed, once per server.
            seeder = Bench(server=server, work=work, s3sync=args.s3sync, timeout=args.timeout, runs=runs,
                           link=Link(server.url, 0, scheme, ca))
            seeded = set()
            for rtt in rtts:
                if rtt:
                    proxy = DelayProxy(work, server, rtt)
                    log(f"== {rtt} ms RTT: delay proxy at {proxy.url}")
                link = Link(proxy.url if proxy else server.url, rtt, scheme, ca)
                bench = Bench(server=server, work=work, s3sync=args.s3sync, timeout=args.timeout, runs=runs,
                              baseline=args.baseline, link=link)
                for name in names:
                    spec = specs[name]
                    later = plan[step + 1 :]
                    step += 1
                    started = time.monotonic()
                    if spec.data not in trees:
                        path = os.path.join(work, "data", spec.data)
                        log(f"== generating {spec.data}: {spec.files} x {spec.file_size} bytes in "
                            f"{spec.directories} dirs")
                        generate_tree(path, spec.files, spec.directories, spec.file_size)
                        log(f"   {time.monotonic() - started:.1f} s")
                        trees[spec.data] = path
                    if spec.direction == "pull" and spec.data not in seeded:
                        log(f"== putting {spec.data} in the bucket under {seed_prefix(spec)} for the pulls")
                        seed(seeder, spec, trees[spec.data])
                        seeded.add(spec.data)
                    count = args.scale_repeat if name == "scale" else repeat
                    log(f"== {name} at {rtt} ms over {scheme}: {spec.description}, {count} timed run(s) per tool")
                    (run_noop if spec.noop else run_first)(bench, spec, trees[spec.data], tools, count)
                    log(f"   {name}: {time.monotonic() - started:.0f} s")
                    # The big trees (and their objects for the pulls) are not kept once nothing later reads them.
                    if spec.data in ("large", "scale"):
                        if spec.data in seeded and not any(
                            s == scheme and specs[n].data == spec.data and specs[n].direction == "pull"
                            for s, _, n in later
                        ):
                            server.delete(seed_prefix(spec))
                            seeded.discard(spec.data)
                        if not any(specs[n].data == spec.data for _, _, n in later):
                            shutil.rmtree(trees.pop(spec.data), ignore_errors=True)
                if proxy:
                    log(f"== the delay proxy used {proxy.cpu_seconds():.1f} s of CPU at {rtt} ms over {scheme}")
                    proxy.stop()
                    proxy = None
            server.stop()
            server = None
            shutil.rmtree(os.path.join(work, "server" + ("-https" if scheme == "https" else "")), ignore_errors=True)
        log(f"== all workloads: {time.monotonic() - bench_started:.0f} s")
        load["end"] = os.getloadavg()
        log(f"load average: {load_text(load['end'])}")

        rounds = [(rtt, scheme) for scheme in schemes for rtt in rtts]
        rows = summarize(runs, rounds, names, tools)
        growth_rows = growth(rows, "many-noop", "scale") if "scale" in names else []
        setup_runs = [run for run in runs if run.phase != "timed"]
        report = markdown(rows, machine, {name: specs[name] for name in names}, repeat, args.scale_repeat,
                          setup_runs, growth_rows, load)
        print(report)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as handle:
            json.dump({
                "machine": machine,
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average": load,
                "quick": args.quick, "repeat": repeat, "scale_repeat": args.scale_repeat,
                "rtt_ms": rtts, "schemes": schemes,
                "workloads": {name: vars(specs[name]) for name in names},
                "versions": dict(tool_versions(args.s3sync), baseline=args.baseline or None),
                "summary": rows, "growth": growth_rows,
                "runs": [dict(vars(run), cpu=run.cpu) for run in runs],
            }, handle, indent=2)
        log(f"results: {args.json}")
        known = [run for run in runs if not run.ok and run.known]
        if known:
            log(f"{len(known)} run(s) failed as known, not counted as failures:")
            for run in known:
                log(describe(run))
        failures = [run for run in runs if not run.ok and not run.known]
        if failures:
            log(f"{len(failures)} run(s) failed or did not do the job:")
            for run in failures:
                log(describe(run))
            return 1
        return 0
    finally:
        for process in (proxy, server):
            if process:
                process.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def tool_versions(s3sync: str) -> dict:
    def first_line(command):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=30)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    commit = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    return {
        "s3sync": f"{s3sync} (commit {commit})",
        "s5cmd": first_line([os.path.join(VENV_BIN, "s5cmd"), "version"]),
        "rclone": first_line([os.path.join(VENV_BIN, "rclone"), "version"]),
        "aws": first_line([os.path.join(VENV_BIN, "aws"), "--version"]),
    }


if __name__ == "__main__":
    sys.exit(main())
