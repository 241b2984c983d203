#!/usr/bin/env python3
"""What the shared job queue in PostgreSQL costs next to the SQLite state file, and how many
claims a PostgreSQL on this machine sustains.

One run, on one `rclone serve s3` on loopback and one throwaway PostgreSQL cluster, both started
here and stopped at the end:

1. Pushes: the same first push (an empty prefix, a fresh state file or a fresh database, made by an
   untimed push of an empty directory) with the SQLite store (`--state`) and with the PostgreSQL
   store (`--queue`), alternating, medians of --repeat: wall, CPU (user + sys of the child, from
   wait4), peak RSS (/usr/bin/time's %M), requests in flight (the JSON summary's
   concurrency_peak and _mean), and PostgreSQL's over SQLite's. The CPU of rclone serve s3 and of
   the PostgreSQL server during each push is read from /proc (they share the machine).
2. Rates per core: s3sync's requests and body MiB per CPU-second of s3sync, from its JSON summary
   (`requests`, `sent_bytes`, `elapsed_seconds`) and its CPU time.
3. The store's cost per file: for PostgreSQL, pg_stat_statements is reset before each push and read
   after it (the statements of the push's own database only): statements, round trips (every call,
   BEGIN and COMMIT included: postgres-nio waits for each answer) and their execution time, and
   pg_stat_database's committed transactions; the statements with the most calls. For SQLite, one
   more push per workload at S3SYNC_LOG_LEVEL=trace, whose log has one `sql` record per statement.
4. Claims: pgbench (-M extended, as postgres-nio sends them) runs, for -T seconds with 1, 4, 16 and
   64 clients, the claimTasks statement (read from
   Sources/SyncEngine/JobStore/Postgres/PostgresJobStore+Queue.swift, so it is the one s3sync
   sends) for a batch of 64 and of 1, then marks the batch done, as a worker does per batch,
   against --claim-rows pending tasks of one job: with no task done yet (`head`), behind as many
   done ones (`middle`), and as head with a partial index on the pending tasks, which s3sync's
   schema does not have; then claimPart (+Parts.swift) and recordPart (+Multipart.swift) against
   --part-rows open parts. Beside it, EXPLAIN ANALYZE of one claim as more of a job is done: which
   index the planner reads and how many done tasks it walks past.
5. --rtt 0,50 runs the pushes again through Tests/Scripts/delayproxy.py (RTT/2 each way) in front
   of the S3 server; PostgreSQL stays local, as a queue in the same region as the hosts would be.

The cluster keeps PostgreSQL's default durability (fsync on, synchronous_commit on: every commit
waits for its WAL to reach the disk). The SQLite store runs in WAL mode with synchronous=NORMAL
(commits are not flushed one by one). --async-commit adds a PostgreSQL store with
synchronous_commit=off for the database (pushes and claims), which is closer to SQLite's setting.

Run through scripts/bench-queue.sh, which installs the S3 server and builds s3sync first. Run as
root, the cluster runs as the `postgres` user (PostgreSQL refuses root).
"""

import argparse
import glob
import json
import os
import pwd
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_peers as peers  # noqa: E402  (the S3 server, the delay proxy, tree generation)

ROOT = peers.ROOT
KIB, MIB = peers.KIB, peers.MIB
POSTGRES_SOURCES = os.path.join(ROOT, "Sources", "SyncEngine", "JobStore", "Postgres")
STORES = ["sqlite", "pg"]
# An index s3sync's schema does not have, measured beside it: the pending tasks of a job in plan order.
PENDING_INDEX = "benchTaskPending"
ASYNC = "pg-async"


@dataclass
class Workload:
    name: str
    files: int
    directories: int
    file_size: int
    description: str


def workloads(quick: bool) -> dict:
    if quick:
        specs = [Workload("small", 200, 4, 32 * KIB, "200 x 32 KiB in 4 dirs, first push"),
                 Workload("large", 2, 1, 16 * MIB, "2 x 16 MiB, first push")]
    else:
        specs = [Workload("small", 2000, 20, 32 * KIB, "2000 x 32 KiB in 20 dirs, first push"),
                 Workload("large", 2, 1, 512 * MIB, "2 x 512 MiB, first push")]
    return {spec.name: spec for spec in specs}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def process_cpu(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a live process (and of its children it has waited for)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def postgres_bindir(given: str) -> str:
    if given:
        return given
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
                            reverse=True):
        if os.path.exists(os.path.join(candidate, "pg_ctl")):
            return candidate
    found = shutil.which("pg_ctl")
    if found:
        return os.path.dirname(found)
    raise SystemExit("no PostgreSQL server binaries found (give --pg-bin DIR, e.g. /usr/lib/postgresql/15/bin)")


class PostgreSQL:
    """A throwaway cluster on 127.0.0.1 (trust authentication, pg_stat_statements loaded), with
    PostgreSQL's default durability. Run as root, it runs as the `postgres` user."""

    def __init__(self, bindir: str, workdir: str):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="s3sync-bench-pg-", dir=workdir)
        self.owner = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.owner = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.started = False
        self.run_owner("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                       "--locale=C")
        self.port = peers.free_port()
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c shared_preload_libraries=pg_stat_statements -c max_connections=200")
        self.run_owner("pg_ctl", "-D", self.data, "-w", "-t", "60", "-l", self.log, "-o", options, "start")
        self.started = True
        with open(os.path.join(self.data, "postmaster.pid")) as handle:
            self.pid = int(handle.readline())
        self.sql("CREATE EXTENSION pg_stat_statements")
        self.settings = dict(line.split("\t") for line in self.sql(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', "
            "'full_page_writes', 'wal_level', 'shared_buffers', 'max_wal_size', 'server_version') ORDER BY name"
        ).splitlines())

    def run_owner(self, tool: str, *arguments: str) -> None:
        result = subprocess.run(self.owner + [os.path.join(self.bindir, tool), *arguments], capture_output=True,
                                text=True)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            if os.path.exists(self.log):
                detail += "\n" + peers.read_text(self.log)[-2000:]
            raise SystemExit(f"{tool} failed: {detail}")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def environment(self) -> dict:
        env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
        env.update(PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="postgres")
        return env

    def sql(self, statement: str, database: str = "postgres", then: tuple = ()) -> str:
        """Runs statements with psql (`then`: more, each on its own, in the same session); rows
        tab-separated, one a line."""
        more = [argument for item in then for argument in ("-c", item)]
        result = subprocess.run(
            [os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-d", database, "-c", statement, *more], capture_output=True, text=True, env=self.environment())
        if result.returncode != 0:
            raise SystemExit(f"psql failed on {statement[:200]!r}: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str, asynchronous: bool = False) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.sql(f'CREATE DATABASE "{name}"')
        if asynchronous:
            self.sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def wait_idle(self, database: str, timeout: float = 20) -> None:
        """Until no session is connected to the database (so its statistics are flushed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'") == "0":
                return
            time.sleep(0.05)
        log(f"   (sessions still connected to {database} after {timeout:.0f} s)")

    def quiesce(self, timeout: float = 60) -> None:
        """Until no other session and no autovacuum worker runs, and the server reaped them (so
        the CPU they used is counted before a measurement starts, not in it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self.sql("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                            "AND backend_type IN ('client backend', 'autovacuum worker')")
            if busy == "0":
                break
            time.sleep(0.1)
        time.sleep(0.1)

    def cpu(self) -> float:
        """CPU seconds of the server: the postmaster, the processes it has reaped, and those alive."""
        total = process_cpu(self.pid, children=True)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def transactions(self, database: str) -> tuple:
        row = self.sql(f"SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = '{database}'")
        commit, rollback = (int(value) for value in row.split("\t")) if row else (0, 0)
        return commit, rollback

    def reset_statements(self) -> None:
        self.sql("SELECT pg_stat_statements_reset()")

    def statements(self, database: str) -> list:
        """Every statement of the database since the last reset: calls, rows, execution ms, text."""
        rows = self.sql(
            "SELECT calls, rows, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
            f"WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '{database}') ORDER BY calls DESC, query")
        result = []
        for line in rows.splitlines():
            calls, count, milliseconds, query = line.split("\t", 3)
            result.append({"calls": int(calls), "rows": int(count), "exec_ms": float(milliseconds), "query": query,
                           "name": statement_name(query)})
        return result

    def stop(self) -> None:
        if self.started:
            subprocess.run(self.owner + [os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "immediate",
                                         "-w", "stop"], capture_output=True)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


# Which store method sent a statement, by what its text contains (first match wins).
STATEMENT_NAMES = [
    ("FOR UPDATE OF task SKIP LOCKED", "claimTasks"),
    ("FOR UPDATE OF c SKIP LOCKED", "claimPart"),
    ('INSERT INTO "partClaim"', "openParts"),
    ("INSERT INTO worker", "heartbeat"),
    ('UPDATE "partClaim" SET "leaseUntil" = NULL', "releaseClaims"),
    ('UPDATE "partClaim" SET "leaseUntil" = $', "releaseClaims"),  # as pg_stat_statements shows it
    ('WITH parts AS ( UPDATE "partClaim" SET "leaseUntil"', "renewLeases"),
    ("UPDATE task SET state = v.state", "updateTasks"),
    ('WHERE "claimedBy" = ($', "mark the batch done"),
    ("INSERT INTO task", "insertTasks"),
    ('INSERT INTO "objectIndex"', "recordUploads"),
    ('INSERT INTO "uploadPart"', "recordPart"),
    ('INSERT INTO "multipartUpload"', "insertMultipartUpload"),
    ('DELETE FROM "multipartUpload"', "removeMultipartUpload"),
    ('SELECT * FROM "uploadPart"', "parts"),
    ("pg_try_advisory_lock", "planner lock"),
    ("pg_advisory_unlock", "planner unlock"),
    ("pg_advisory_xact_lock", "migration lock"),
    ("INSERT INTO run", "insertRun"),
    ("UPDATE run", "updateRun"),
    ("INSERT INTO job", "insertJob"),
    ("SELECT kind, state, count(*)", "taskCounts"),
    ('SELECT "claimedBy", kind, count(*)', "workerShares"),
    ("s3sync_migrations", "migrations (checked at every start)"),
    ("UPDATE job", "updateJob"),
]


def statement_name(query: str) -> str:
    upper = query.strip().upper()
    if upper in ("BEGIN", "COMMIT", "ROLLBACK") or upper.startswith(("BEGIN ", "START TRANSACTION")):
        return upper.split()[0]
    for needle, name in STATEMENT_NAMES:
        if needle in query:
            return name
    return query if len(query) <= 70 else query[:67] + "..."


def is_transaction_control(name: str) -> bool:
    return name in ("BEGIN", "COMMIT", "ROLLBACK")


# ---------------------------------------------------------------------------------------------
# pushes


@dataclass
class Push:
    workload: str
    store: str
    repetition: int
    rtt_ms: int
    wall: float
    cpu: float
    rss_mb: float
    exit_code: int
    ok: bool
    note: str = ""
    server_cpu: float = 0.0
    proxy_cpu: float = 0.0
    postgres_cpu: float = 0.0
    summary: dict = field(default_factory=dict)
    postgres: dict = field(default_factory=dict)  # statements, transactions (PostgreSQL stores)


class Pushes:
    def __init__(self, args, work: str, server, postgres: PostgreSQL):
        self.args = args
        self.work = work
        self.server = server
        self.postgres = postgres
        self.runs: list = []
        self.sqlite_statements: dict = {}  # workload -> counts from a trace run
        self.serial = 0

    def environment(self, trace: bool = False) -> dict:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("AWS_", "S3SYNC_", "PG"))}
        env.update(AWS_ACCESS_KEY_ID=peers.ACCESS_KEY, AWS_SECRET_ACCESS_KEY=peers.SECRET_KEY,
                   AWS_REGION=peers.REGION, AWS_CONFIG_FILE=os.path.join(self.work, "aws-config-none"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.work, "aws-credentials-none"))
        if trace:
            env["S3SYNC_LOG_LEVEL"] = "trace"
        return env

    def push(self, spec: Workload, tree: str, store: str, repetition: int, url: str, rtt_ms: int,
             trace: bool = False) -> Push:
        """One first push of the tree to a new prefix, with a new state file or a new database."""
        self.serial += 1
        tag = f"{rtt_ms}ms-{spec.name}-{store}-{'trace' if trace else f'r{repetition}'}"
        prefix = f"{tag}/"
        stem = os.path.join(self.work, "logs", tag)
        os.makedirs(os.path.dirname(stem), exist_ok=True)
        database = ""
        state_dir = tempfile.mkdtemp(prefix="state-", dir=self.work)
        if store == "sqlite":
            where = ["--state", os.path.join(state_dir, "state.db")]
        else:
            database = f"bench_{self.serial}"
            self.postgres.create_database(database, asynchronous=store == ASYNC)
            where = ["--queue", self.postgres.url(database)]
        # The store is made (its schema migrated) by an untimed push of an empty directory, so the
        # timed push is a new job in an existing store, as in a deployment.
        empty = os.path.join(state_dir, "empty")
        os.makedirs(empty)
        warm = subprocess.run([self.args.s3sync, "push", empty, f"s3://{peers.BUCKET}/warm-{tag}/", "--endpoint-url",
                               url, "--quiet", *where], capture_output=True, text=True, env=self.environment())
        if warm.returncode != 0:
            raise SystemExit(f"s3sync could not create the {store} store: {warm.stderr.strip()[-1000:]}")
        command = [self.args.s3sync, "push", tree, f"s3://{peers.BUCKET}/{prefix}", "--endpoint-url", url, "--json",
                   *where]
        pinned = re.fullmatch(r"pg-c(\d+)", store)
        if pinned:
            command += ["--concurrency", pinned.group(1)]
        self.postgres.quiesce()
        if database:
            self.postgres.reset_statements()
            before_xact = self.postgres.transactions(database)
        postgres_before = self.postgres.cpu()
        server_before = process_cpu(self.server.process.pid)
        proxy_before = self.proxy_cpu()
        timing = stem + ".time"
        with open(stem + ".out", "wb") as out, open(stem + ".err", "wb") as err:
            started = time.monotonic()
            process = subprocess.Popen(["/usr/bin/time", "-o", timing, "-f", "%e %U %S %M", *command], stdout=out,
                                       stderr=err, env=self.environment(trace), cwd=self.work, start_new_session=True)
            timer = threading.Timer(self.args.timeout, peers.kill_group, (process.pid,))
            timer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            except BaseException:
                peers.kill_group(process.pid)
                raise
            finally:
                timer.cancel()
            wall = time.monotonic() - started
        server_cpu = process_cpu(self.server.process.pid) - server_before
        proxy_cpu = self.proxy_cpu() - proxy_before
        exit_code = os.waitstatus_to_exitcode(status)
        try:
            rss_mb = int(peers.read_text(timing).split()[-1]) / 1024
        except (ValueError, IndexError):
            rss_mb = 0.0
        run = Push(spec.name, store, repetition, rtt_ms, wall, usage.ru_utime + usage.ru_stime, rss_mb, exit_code,
                   exit_code == 0, server_cpu=server_cpu, proxy_cpu=proxy_cpu)
        output = peers.read_text(stem + ".out")
        try:
            run.summary = json.loads(output[output.index("{"):])
        except ValueError:
            run.ok = False
            run.note = "no JSON summary"
        if exit_code != 0:
            run.note = f"exit {exit_code}: {peers.last_error_line(stem + '.err')}; see {stem}.err"
        if database:
            self.postgres.wait_idle(database)
            run.postgres_cpu = self.postgres.cpu() - postgres_before
            after_xact = self.postgres.transactions(database)
            run.postgres = {
                "database": database,
                "xact_commit": after_xact[0] - before_xact[0],
                "xact_rollback": after_xact[1] - before_xact[1],
                "statements": self.postgres.statements(database),
            }
            self.postgres.drop_database(database)
        else:
            run.postgres_cpu = self.postgres.cpu() - postgres_before
        if trace:
            self.sqlite_statements[spec.name] = sqlite_trace(stem + ".err")
        if run.ok:
            objects, size = self.server.count(prefix)
            if objects != spec.files or size != spec.files * spec.file_size:
                run.ok = False
                run.note = f"bucket has {objects} objects / {size} bytes, expected {spec.files} / " \
                           f"{spec.files * spec.file_size}"
        if spec.files * spec.file_size >= 256 * MIB or trace:
            self.server.delete(prefix)
        shutil.rmtree(state_dir, ignore_errors=True)
        return run

    proxy = None

    def proxy_cpu(self) -> float:
        return self.proxy.cpu_seconds() if self.proxy else 0.0


LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\S+ \w+ ")


def sqlite_trace(path: str) -> dict:
    """Statements in a trace log of the SQLite store: one record each, `… statement=TEXT [s3sync]
    sql`, which continues over several lines when the statement has line breaks."""
    records, current = [], None
    for line in peers.read_text(path).splitlines():
        if LOG_RECORD.match(line):
            if current is not None:
                records.append(current)
            current = line
        elif current is not None:
            current += "\n" + line
    if current is not None:
        records.append(current)
    statements = [record.split("statement=", 1)[1].rsplit(" [", 1)[0] for record in records
                  if record.endswith(" sql") and "statement=" in record]
    names: dict = {}
    for statement in statements:
        name = sqlite_statement_name(statement)
        names[name] = names.get(name, 0) + 1
    transactions = sum(count for name, count in names.items() if name in ("COMMIT", "ROLLBACK"))
    return {"statements": len(statements), "transactions": transactions,
            "by_name": sorted(names.items(), key=lambda item: (-item[1], item[0]))}


def sqlite_statement_name(statement: str) -> str:
    text = " ".join(statement.split())
    upper = text.upper()
    for word in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        if upper.startswith(word):
            return word
    if upper.startswith("PRAGMA"):
        return " ".join(text.split()[:2]).split("(")[0].split("=")[0].strip()
    match = re.match(r"(INSERT(?: OR \w+)? INTO|UPDATE|DELETE FROM|REPLACE INTO)\s+\"?(\w+)", text, re.I)
    if match:
        return f"{match.group(1).upper()} {match.group(2)}"
    match = re.match(r"SELECT .*? FROM\s+\"?(\w+)", text, re.I)
    if match:
        return f"SELECT FROM {match.group(1)}"
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# claims


def swift_statement(file: str, function: str, binds: dict) -> str:
    """The SQL of a store method, from its source: the first triple-quoted string after
    `func NAME(`, with each interpolation `\\(…)` replaced as `binds` says (every one must be named,
    so a change of the statement's parameters is noticed here)."""
    text = peers.read_text(os.path.join(POSTGRES_SOURCES, file))
    start = text.index(f"func {function}(")
    opening = text.index('"""', start) + 3
    closing = text.index('"""', opening)
    sql = textwrap.dedent(text[opening:closing]).strip()

    def replace(match):
        expression = match.group(1)
        if expression not in binds:
            raise SystemExit(f"{function} in {file} binds \\({expression}), which this benchmark does not know")
        return binds[expression]

    return re.sub(r"\\\(([^()]*(?:\([^()]*\))?[^()]*)\)", replace, sql)


@dataclass
class ClaimRun:
    statement: str  # "claimTasks" or "claimPart"
    start: str  # "head": no task done yet; "middle": as many done ahead as pending
    batch: int
    clients: int
    synchronous_commit: str
    duration: float
    transactions: int
    tps: float
    latency_ms: float
    claimed: int  # tasks (or parts) marked done when the run ended
    postgres_cpu: float
    client_cpu: float
    failed: int = 0
    statements: list = field(default_factory=list)  # pg_stat_statements of the run: name, calls, mean_ms

    @property
    def claims_per_second(self) -> float:
        return self.claimed / self.duration if self.duration else 0.0


class Claims:
    """pgbench against a table of many pending tasks (and open parts) of one job."""

    WORKER = "('bench-' || :client_id::text)"

    def __init__(self, args, work: str, postgres: PostgreSQL, database: str, done_ahead: int = 0,
                 parts: bool = True, pending_index: bool = False):
        self.args = args
        self.work = work
        self.postgres = postgres
        self.database = database
        self.done_ahead = done_ahead
        self.parts = parts
        self.pending_index = pending_index
        self.start = ("middle" if done_ahead else "head") + (", partial index" if pending_index else "")
        self.runs: list = []
        self.scripts = os.path.join(work, "pgbench")
        os.makedirs(self.scripts, exist_ok=True)

    def migrate(self, database: str) -> None:
        """A new database with s3sync's schema (s3sync creates it on first contact) and one job."""
        pg = self.postgres
        pg.create_database(database)
        result = subprocess.run([self.args.s3sync, "status", "--queue", pg.url(database)], capture_output=True,
                                text=True, env=dict(pg.environment(), HOME=self.work))
        if result.returncode != 0:
            raise SystemExit(f"s3sync status --queue failed: {result.stderr.strip()}")
        pg.sql("INSERT INTO job (id, source, endpoint, bucket, prefix, options, state, \"createdAt\", \"updatedAt\") "
               "VALUES (1, '/data', 'http://127.0.0.1:9000', 'bench', 'claims/', '{}', 'running', 0, 0)", database)

    @staticmethod
    def insert_tasks(count: int, done: int = 0) -> str:
        """`count` tasks of job 1 in plan order, the first `done` of them done."""
        return textwrap.dedent(f"""
            INSERT INTO task ("jobID", kind, path, key, size, "mtimeNanoseconds", inode, reason, state, attempts)
            SELECT 1, 'upload', 'dir-' || (n % 1000) || '/file-' || n, 'claims/dir-' || (n % 1000) || '/file-' || n,
                32768, 0, n, 'new', CASE WHEN n <= {done} THEN 'done' ELSE 'pending' END,
                CASE WHEN n <= {done} THEN 1 ELSE 0 END
            FROM generate_series(1, {count}) AS n;
            """)

    def setup(self) -> None:
        """A job's pending tasks (behind `done_ahead` done ones), and open parts of many uploads."""
        pg = self.postgres
        self.migrate(self.database)
        started = time.monotonic()
        tasks, uploads, parts = self.args.claim_rows, self.args.part_uploads, self.args.part_rows
        per_upload = max(1, parts // uploads)
        if not self.parts:
            uploads = per_upload = 0
        if self.pending_index:
            pg.sql(f'CREATE INDEX "{PENDING_INDEX}" ON task ("jobID", kind, id) WHERE state = \'pending\'',
                   self.database)
        pg.sql(self.insert_tasks(self.done_ahead + tasks, done=self.done_ahead) + textwrap.dedent(f"""
            INSERT INTO "multipartUpload" ("jobID", endpoint, bucket, key, "uploadID", path, size, "mtimeNanoseconds",
                inode, "partSize", "checksumAlgorithm", "createdAt")
            SELECT 1, 'http://127.0.0.1:9000', 'bench', 'claims/large-' || n, 'upload-' || n, 'large-' || n,
                {per_upload} * 8388608::bigint, 0, n, 8388608, 'crc32c', 0
            FROM generate_series(1, {uploads}) AS n;
            INSERT INTO "partClaim" ("uploadRowID", "partNumber")
            SELECT m.id, p FROM "multipartUpload" m, generate_series(1, {per_upload}) AS p;
            """), self.database)
        pg.sql("VACUUM ANALYZE", self.database)
        log(f"   {self.database}: {tasks:,} pending tasks behind {self.done_ahead:,} done, {uploads:,} uploads x "
            f"{per_upload:,} open parts: "
            f"{time.monotonic() - started:.1f} s")
        self.write_scripts()

    def plan_sweep(self, fractions: list, repeat: int = 5) -> list:
        """One claim of 64 (EXPLAIN ANALYZE, rolled back) in a job of --claim-rows tasks whose
        first ones are done, with statistics fresh from ANALYZE: which index the planner reads,
        how many rows it reads and skips, and how long the claim takes; then the same with a
        partial index on the pending tasks, which s3sync's schema does not have."""
        pg, database = self.postgres, self.database + "_plan"
        self.migrate(database)
        tasks = self.args.claim_rows
        pg.sql(self.insert_tasks(tasks), database)
        claim = swift_statement("PostgresJobStore+Queue.swift", "claimTasks", {
            "jobID": "1", "kind.rawValue": "'upload'", "limit": "64", "maxBytes": str(1 << 30),
            "worker": "'bench-plan'", "lease.seconds": "60"})
        rows = []
        for schema in ("s3sync", "with a partial index on pending tasks"):
            if schema != "s3sync":
                pg.sql(f'CREATE INDEX "{PENDING_INDEX}" ON task ("jobID", kind, id) WHERE state = \'pending\'',
                       database)
            for fraction in fractions:
                done = int(tasks * fraction)
                state = f"CASE WHEN id <= {done} THEN 'done' ELSE 'pending' END"
                pg.sql(f"UPDATE task SET state = {state} WHERE state <> {state}", database)
                pg.sql("VACUUM ANALYZE task", database)
                timings, plan = [], None
                for _ in range(repeat):
                    output = pg.sql("BEGIN", database, then=(f"EXPLAIN (ANALYZE, FORMAT JSON) {claim}", "ROLLBACK"))
                    plan = json.loads(output[output.index("["):output.rindex("]") + 1])[0]
                    timings.append(plan["Execution Time"])
                scan = candidate_scan(plan["Plan"])
                rows.append({"schema": schema, "done": done, "fraction": fraction,
                             "index": scan.get("Index Name", scan.get("Node Type")),
                             "rows_skipped": scan.get("Rows Removed by Filter", 0), "ms": median(timings)})
                log(f"    {done:>9,} done ahead: {rows[-1]['index']}, {rows[-1]['rows_skipped']:,} rows skipped, "
                    f"{rows[-1]['ms']:.2f} ms a claim of 64")
        pg.drop_database(database)
        return rows

    def write_scripts(self) -> None:
        claim = swift_statement("PostgresJobStore+Queue.swift", "claimTasks", {
            "jobID": ":job", "kind.rawValue": "'upload'", "limit": ":batch", "maxBytes": ":maxbytes",
            "worker": self.WORKER, "lease.seconds": ":lease"})
        done = ("UPDATE task SET state = 'done', attempts = 1, error = NULL\n"
                f"WHERE \"claimedBy\" = {self.WORKER} AND state = 'pending';")
        with open(os.path.join(self.scripts, "claim-tasks.sql"), "w") as handle:
            handle.write(f"{claim};\n{done}\n")
        claim_part = swift_statement("PostgresJobStore+Parts.swift", "claimPart", {
            "jobID": ":job", "uploadRowID": "NULL", "worker": self.WORKER, "lease.seconds": ":lease"})
        record_part = swift_statement("PostgresJobStore+Multipart.swift", "recordPart", {
            "part.uploadRowID": ":part_id", "part.partNumber": ":part_claimedPart", "part.size": "8388608",
            "part.eTag": "'\"0123456789abcdef0123456789abcdef\"'", "part.checksumAlgorithm": "'crc32c'",
            "part.checksum": "'AAAAAA=='"})
        with open(os.path.join(self.scripts, "claim-part.sql"), "w") as handle:
            handle.write(f"{claim_part}\n\\gset part_\n{record_part};\n")

    def reset(self) -> None:
        self.postgres.sql(textwrap.dedent("""
            UPDATE task SET state = 'pending', attempts = 0, "claimedBy" = NULL, "leaseUntil" = NULL
            WHERE "claimedBy" IS NOT NULL;
            INSERT INTO "partClaim" ("uploadRowID", "partNumber") SELECT "uploadRowID", "partNumber" FROM "uploadPart"
            ON CONFLICT DO NOTHING;
            DELETE FROM "uploadPart";
            UPDATE "partClaim" SET "claimedBy" = NULL, "leaseUntil" = NULL WHERE "claimedBy" IS NOT NULL;
            """), self.database)
        self.postgres.sql("VACUUM ANALYZE task, \"partClaim\", \"uploadPart\"", self.database)
        self.postgres.sql("CHECKPOINT")

    def counted(self, statement: str) -> int:
        if statement == "claimTasks":
            return int(self.postgres.sql(
                "SELECT count(*) FROM task WHERE state = 'done' AND \"claimedBy\" IS NOT NULL", self.database))
        return int(self.postgres.sql('SELECT count(*) FROM "uploadPart"', self.database))

    def run(self, statement: str, batch: int, clients: int, synchronous_commit: str) -> ClaimRun:
        self.reset()
        script = "claim-tasks.sql" if statement == "claimTasks" else "claim-part.sql"
        threads = max(1, min(clients, os.cpu_count() or 1))
        command = [os.path.join(self.postgres.bindir, "pgbench"), "-n", "-M", "extended", "-f",
                   os.path.join(self.scripts, script), "-c", str(clients), "-j", str(threads), "-T",
                   str(self.args.duration), "-D", "job=1", "-D", f"batch={batch}", "-D", f"maxbytes={1 << 30}",
                   "-D", "lease=60", self.database]
        self.postgres.quiesce()
        self.postgres.reset_statements()
        postgres_before = self.postgres.cpu()
        children_cpu()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=self.postgres.environment(), start_new_session=True)
        try:
            out, err = process.communicate(timeout=self.args.duration + 120)
        except BaseException:
            peers.kill_group(process.pid)
            raise
        client_cpu = children_cpu()
        if process.returncode != 0 and "actually processed" not in out:
            raise SystemExit(f"pgbench failed ({' '.join(command)}):\n{err.strip()[-2000:]}")
        self.postgres.wait_idle(self.database)
        postgres_cpu = self.postgres.cpu() - postgres_before
        statements = [{"name": item["name"], "calls": item["calls"],
                       "mean_ms": item["exec_ms"] / item["calls"] if item["calls"] else 0.0}
                      for item in self.postgres.statements(self.database) if item["calls"] > 1]

        def number(pattern: str, default: float = 0.0) -> float:
            match = re.search(pattern, out)
            return float(match.group(1)) if match else default

        run = ClaimRun(
            statement=statement, start=self.start, batch=batch, clients=clients, synchronous_commit=synchronous_commit,
            duration=number(r"duration: (\d+) s", self.args.duration),
            transactions=int(number(r"number of transactions actually processed: (\d+)")),
            tps=number(r"tps = ([\d.]+) \(without initial connection time\)"),
            latency_ms=number(r"latency average = ([\d.]+) ms"),
            claimed=self.counted(statement), postgres_cpu=postgres_cpu, client_cpu=client_cpu,
            failed=int(number(r"number of failed transactions: (\d+)")), statements=statements)
        if process.returncode != 0:
            log(f"   pgbench exited {process.returncode}: {err.strip()[-500:]}")
        return run


def candidate_scan(plan: dict) -> dict:
    """The scan of `task` under LockRows: where the claim looks for candidates."""
    def find(node: dict, test) -> dict:
        if test(node):
            return node
        for child in node.get("Plans", []):
            found = find(child, test)
            if found:
                return found
        return {}

    lock = find(plan, lambda node: node.get("Node Type") == "LockRows")
    return find(lock, lambda node: node.get("Relation Name") == "task") if lock else {}


_children_cpu = [0.0]


def children_cpu() -> float:
    """CPU seconds of the children waited for since the last call (pgbench: nothing else runs then)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    delta, _children_cpu[0] = total - _children_cpu[0], total
    return delta


# ---------------------------------------------------------------------------------------------
# summaries


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0


def summarize_pushes(runs: list, specs: dict, stores: list, rtts: list) -> list:
    rows = []
    for rtt in rtts:
        for name, spec in specs.items():
            by_store = {}
            for store in stores:
                good = [run for run in runs if run.rtt_ms == rtt and run.workload == name and run.store == store
                        and run.ok]
                failed = sum(1 for run in runs if run.rtt_ms == rtt and run.workload == name and run.store == store
                             and not run.ok)
                if not good:
                    rows.append({"rtt_ms": rtt, "workload": name, "store": store, "runs": failed, "failed": failed})
                    continue
                row = {
                    "rtt_ms": rtt, "workload": name, "store": store, "runs": len(good) + failed, "failed": failed,
                    "files": spec.files,
                    "wall_s": median(run.wall for run in good),
                    "cpu_s": median(run.cpu for run in good),
                    "rss_mb": median(run.rss_mb for run in good),
                    "server_cpu_s": median(run.server_cpu for run in good),
                    "postgres_cpu_s": median(run.postgres_cpu for run in good),
                    "proxy_cpu_s": median(run.proxy_cpu for run in good),
                    "requests": median(run.summary.get("requests", 0) for run in good),
                    "sent_mib": median(run.summary.get("sent_bytes", 0) / MIB for run in good),
                    "elapsed_s": median(run.summary.get("elapsed_seconds", 0) for run in good),
                    "concurrency_peak": median(run.summary.get("concurrency_peak", 0) for run in good),
                    "concurrency_mean": median(run.summary.get("concurrency_mean", 0) for run in good),
                    "requests_per_cpu_s": median(run.summary.get("requests", 0) / run.cpu for run in good if run.cpu),
                    "mib_per_cpu_s": median(run.summary.get("sent_bytes", 0) / MIB / run.cpu
                                            for run in good if run.cpu),
                    "requests_per_s": median(run.summary.get("requests", 0) / run.summary["elapsed_seconds"]
                                             for run in good if run.summary.get("elapsed_seconds")),
                }
                # Everything the push cost the machine: s3sync, the S3 server, PostgreSQL (and the proxy).
                row["machine_cpu_s"] = median(run.cpu + run.server_cpu + run.postgres_cpu + run.proxy_cpu
                                              for run in good)
                if good[0].postgres:
                    row["postgres"] = postgres_cost(good, spec)
                rows.append(row)
                by_store[store] = row
            base = by_store.get("sqlite")
            for store, row in by_store.items():
                if store != "sqlite" and base:
                    row["ratio_to_sqlite"] = {metric: row[metric] / base[metric] if base[metric] else None
                                              for metric in ("wall_s", "cpu_s", "rss_mb", "machine_cpu_s")}
                    row["extra_cpu_ms_per_file"] = (row["cpu_s"] - base["cpu_s"]) * 1000 / spec.files
                    row["extra_machine_cpu_ms_per_file"] = (row["machine_cpu_s"] - base["machine_cpu_s"]) * 1000 / \
                        spec.files
    return rows


def postgres_cost(runs: list, spec: Workload) -> dict:
    """Per file, medians over the runs: statements, round trips, transactions, execution time;
    and the statements by calls."""
    per_run = []
    for run in runs:
        statements = run.postgres["statements"]
        calls = sum(item["calls"] for item in statements)
        control = sum(item["calls"] for item in statements if is_transaction_control(item["name"]))
        per_run.append({
            "round_trips": calls, "statements": calls - control,
            "transactions": run.postgres["xact_commit"] + run.postgres["xact_rollback"],
            "exec_ms": sum(item["exec_ms"] for item in statements),
            "parts": sum(item["calls"] for item in statements if item["name"] == "recordPart"),
        })
    cost = {key: median(item[key] for item in per_run) for key in per_run[0]}
    cost.update({f"{key}_per_file": cost[key] / spec.files for key in
                 ("round_trips", "statements", "transactions", "exec_ms")})
    by_name: dict = {}
    for run in runs:
        seen: dict = {}
        for item in run.postgres["statements"]:
            entry = seen.setdefault(item["name"], {"calls": 0, "exec_ms": 0.0, "rows": 0})
            entry["calls"] += item["calls"]
            entry["exec_ms"] += item["exec_ms"]
            entry["rows"] += item["rows"]
        for name, entry in seen.items():
            by_name.setdefault(name, []).append(entry)
    top = []
    for name, entries in by_name.items():
        calls = median(entry["calls"] for entry in entries)
        exec_ms = median(entry["exec_ms"] for entry in entries)
        top.append({"statement": name, "calls": calls, "calls_per_file": calls / spec.files,
                    "rows": median(entry["rows"] for entry in entries), "exec_ms": exec_ms,
                    "mean_ms": exec_ms / calls if calls else 0.0})
    top.sort(key=lambda item: (-item["calls"], item["statement"]))
    cost["by_statement"] = top
    return cost


# ---------------------------------------------------------------------------------------------
# report


def fmt(value, digits=2) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def server_ms(run: dict) -> str:
    """Mean execution time of the claim and of the statement after it, from pg_stat_statements."""
    by_name = {item["name"]: item["mean_ms"] for item in run.get("statements", [])}
    then = "recordPart" if run["statement"] == "claimPart" else "mark the batch done"
    if run["statement"] not in by_name:
        return ""
    return f"{by_name[run['statement']]:.2f} / {fmt(by_name.get(then))}"


def markdown(result: dict) -> str:
    machine, settings = result["machine"], result["postgres_settings"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, Linux {machine['kernel']}; "
        f"load average {peers.load_text(result['load_average']['start'])} at the start, "
        f"{peers.load_text(result['load_average']['end'])} at the end",
        f"PostgreSQL {settings.get('server_version', '?')} on loopback: fsync={settings.get('fsync')}, "
        f"synchronous_commit={settings.get('synchronous_commit')}, full_page_writes={settings.get('full_page_writes')}, "
        f"shared_buffers={settings.get('shared_buffers')} (8 kB pages), pg_stat_statements loaded; "
        "SQLite: WAL, synchronous=NORMAL",
        "",
    ]
    rows = result["pushes"]
    if rows:
        lines += [f"### Pushes (medians of {result['repeat']})", "",
                  "| workload | RTT | store | wall s | CPU s | peak RSS MB | requests in flight (peak / mean) | "
                  "rclone CPU s | PostgreSQL CPU s | ÷ SQLite (wall / CPU / RSS) |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
        for row in rows:
            where = f"{row['workload']} | {row['rtt_ms']} ms | {row['store']}"
            if "wall_s" not in row:
                lines.append(f"| {where} | failed ({row['failed']} runs) | | | | | | |")
                continue
            ratio = ""
            if "ratio_to_sqlite" in row:
                r = row["ratio_to_sqlite"]
                ratio = f"{fmt(r['wall_s'])} / {fmt(r['cpu_s'])} / {fmt(r['rss_mb'])}"
            failed = f" ({row['failed']} failed)" if row["failed"] else ""
            lines.append(f"| {where}{failed} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {row['rss_mb']:.0f} | "
                         f"{row['concurrency_peak']:.0f} / {row['concurrency_mean']:.0f} | "
                         f"{row['server_cpu_s']:.2f} | {row['postgres_cpu_s']:.2f} | {ratio} |")
        lines += ["", "### s3sync's rates per core (requests and body bytes per CPU-second of s3sync)", "",
                  "| workload | RTT | store | requests | MiB sent | requests/s | requests per CPU-s | MiB per CPU-s | "
                  "CPU-s of s3sync + rclone + PostgreSQL | requests per machine CPU-s |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for row in rows:
            if "wall_s" not in row:
                continue
            machine_rate = row["requests"] / row["machine_cpu_s"] if row["machine_cpu_s"] else None
            lines.append(f"| {row['workload']} | {row['rtt_ms']} ms | {row['store']} | {row['requests']:.0f} | "
                         f"{row['sent_mib']:.0f} | {fmt(row['requests_per_s'], 0)} | {fmt(row['requests_per_cpu_s'], 0)} | "
                         f"{fmt(row['mib_per_cpu_s'], 0)} | {row['machine_cpu_s']:.2f} | {fmt(machine_rate, 0)} |")
        lines += ["", "### The job store's cost per file", "",
                  "| workload | RTT | store | statements | round trips | transactions | execution ms (server) | "
                  "PostgreSQL CPU ms | s3sync CPU ms over SQLite |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
        sqlite_counts = result.get("sqlite_statements", {})
        for row in rows:
            if "wall_s" not in row:
                continue
            files = row["files"]
            if row["store"] == "sqlite":
                counts = sqlite_counts.get(row["workload"]) if row["rtt_ms"] == result["rtts"][0] else None
                if counts:
                    lines.append(f"| {row['workload']} | {row['rtt_ms']} ms | sqlite | "
                                 f"{counts['statements'] / files:.2f} | 0 (in process) | "
                                 f"{counts['transactions'] / files:.3f} | | | |")
                continue
            cost = row.get("postgres")
            if not cost:
                continue
            lines.append(
                f"| {row['workload']} | {row['rtt_ms']} ms | {row['store']} | {cost['statements_per_file']:.2f} | "
                f"{cost['round_trips_per_file']:.2f} | {cost['transactions_per_file']:.3f} | "
                f"{cost['exec_ms_per_file']:.3f} | {row['postgres_cpu_s'] * 1000 / files:.3f} | "
                f"{fmt(row.get('extra_cpu_ms_per_file'), 3)} |")
        for row in rows:
            cost = row.get("postgres")
            if not cost or row["rtt_ms"] != result["rtts"][0] or row["store"] != "pg":
                continue
            parts = f", {cost['parts']:.0f} parts" if cost["parts"] else ""
            lines += ["", f"PostgreSQL statements of one `{row['workload']}` push ({row['files']} files{parts}), "
                      "by calls (median of the runs):", "",
                      "| statement | calls | per file | rows | mean ms |", "|---|---:|---:|---:|---:|"]
            for item in cost["by_statement"][: result["top"]]:
                lines.append(f"| {item['statement']} | {item['calls']:.0f} | {item['calls_per_file']:.3f} | "
                             f"{item['rows']:.0f} | {item['mean_ms']:.3f} |")
        for name, counts in sqlite_counts.items():
            files = result["workloads"][name]["files"]
            lines += ["", f"SQLite statements of one `{name}` push ({files} files), from its trace log:", "",
                      "| statement | count | per file |", "|---|---:|---:|"]
            for statement, count in counts["by_name"][: result["top"]]:
                lines.append(f"| {statement} | {count} | {count / files:.3f} |")
    claims = result["claims"]
    if claims:
        lines += ["", f"### Claims on this machine's PostgreSQL (pgbench -M extended, -T {result['duration']})", "",
                  f"{result['claim_rows']:,} pending tasks of one job, statistics fresh from ANALYZE when a run "
                  "starts; `claimTasks` then one UPDATE marking the batch done. Start `head`: no task done yet, "
                  "so the done ones pile up ahead of the pending ones during the run, as at the start of a job; "
                  f"`middle`: {result['claim_rows']:,} done tasks ahead of them; `head, partial index`: as head, with "
                  f"the partial index `{PENDING_INDEX}` (below), which s3sync's schema does not have. "
                  f"{result['part_rows']:,} open parts ({result['part_uploads']:,} uploads); `claimPart` then "
                  "`recordPart`. pgbench runs on the same cores as the server.", "",
                  "| statement | start | synchronous_commit | batch | clients | transactions/s | claims/s | latency ms | "
                  "server ms per call (claim / then) | PostgreSQL CPU µs per claim | claims per PostgreSQL CPU-s |",
                  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for run in claims:
            per_claim = run["postgres_cpu"] * 1e6 / run["claimed"] if run["claimed"] else None
            per_cpu = run["claimed"] / run["postgres_cpu"] if run["postgres_cpu"] else None
            failed = f" ({run['failed']} failed)" if run["failed"] else ""
            available = result["claim_rows"] if run["statement"] == "claimTasks" else result["part_rows"]
            if run["claimed"] >= 0.98 * available:
                failed += " (ran out of work)"
            lines.append(f"| {run['statement']} | {run['start']} | {run['synchronous_commit']} | {run['batch']} | "
                         f"{run['clients']}"
                         f"{failed} | {fmt(run['tps'], 0)} | {fmt(run['claims_per_second'], 0)} | "
                         f"{run['latency_ms']:.2f} | {server_ms(run)} | {fmt(per_claim, 0)} | {fmt(per_cpu, 0)} |")
    plans = result.get("claim_plans")
    if plans:
        lines += ["", f"One claimTasks of 64 in a job of {result['claim_rows']:,} tasks whose first ones are done, "
                  "statistics fresh from ANALYZE (EXPLAIN ANALYZE, median of 5, rolled back); beside it, the same "
                  f"with a partial index `{PENDING_INDEX}` on task (\"jobID\", kind, id) WHERE state = 'pending', "
                  "which s3sync's schema does not have:", "",
                  "| tasks done ahead | the planner reads | rows read and skipped | ms per claim | "
                  "with the partial index: reads | ms per claim |",
                  "|---:|---|---:|---:|---|---:|"]
        indexed = {row["done"]: row for row in plans if row["schema"] != "s3sync"}
        for row in (row for row in plans if row["schema"] == "s3sync"):
            other = indexed.get(row["done"], {})
            lines.append(f"| {row['done']:,} ({row['fraction']:.0%}) | {row['index']} | {row['rows_skipped']:,} | "
                         f"{row['ms']:.2f} | {other.get('index', '')} | {fmt(other.get('ms'))} |")
    lines += ["", "Workloads:"] + [f"- {name}: {spec['description']}" for name, spec in result["workloads"].items()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=None, help="timed pushes per store and workload (default 3, "
                        "--quick 1)")
    parser.add_argument("--workloads", default="small,large", help="comma-separated: small, large (default: both)")
    parser.add_argument("--rtt", default="0", help="comma-separated round-trip times in ms to the S3 server for the "
                        "pushes, e.g. 0,50 (through Tests/Scripts/delayproxy.py above 0; default: %(default)s)")
    parser.add_argument("--async-commit", action="store_true",
                        help="also push and claim with synchronous_commit=off (store pg-async)")
    parser.add_argument("--pg-concurrency", type=int, default=0,
                        help="also push with the PostgreSQL store and --concurrency N (store pg-cN)")
    parser.add_argument("--skip-pushes", action="store_true", help="only the claim benchmark")
    parser.add_argument("--skip-claims", action="store_true", help="only the pushes")
    parser.add_argument("--clients", default="1,4,16,64", help="pgbench clients (default: %(default)s)")
    parser.add_argument("--batches", default="64,1", help="claimTasks batch sizes (default: %(default)s)")
    parser.add_argument("--duration", type=int, default=None, help="seconds per pgbench run (default 10, --quick 3)")
    parser.add_argument("--claim-rows", type=int, default=None, help="pending tasks (default 1,000,000)")
    parser.add_argument("--part-rows", type=int, default=None, help="open parts (default 1,000,000)")
    parser.add_argument("--part-uploads", type=int, default=None, help="uploads the parts belong to (default 1000)")
    parser.add_argument("--top", type=int, default=12, help="statements listed per push (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="scaled down, a smoke test of a couple of minutes")
    parser.add_argument("--s3sync", default=os.path.join(ROOT, ".build", "release", "s3sync"), help="s3sync binary")
    parser.add_argument("--pg-bin", default="", help="PostgreSQL's bin directory (default: the newest "
                        "/usr/lib/postgresql/*/bin)")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench-out", "queue.json"), help="results file")
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help="where data, servers and logs live")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (not the database cluster)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per push before it is killed")
    args = parser.parse_args()

    quick = args.quick
    repeat = args.repeat if args.repeat is not None else (1 if quick else 3)
    args.duration = args.duration or (3 if quick else 10)
    args.claim_rows = args.claim_rows or (50_000 if quick else 1_000_000)
    args.part_rows = args.part_rows or (50_000 if quick else 1_000_000)
    args.part_uploads = args.part_uploads or (100 if quick else 1000)
    all_specs = workloads(quick)
    names = [name.strip() for name in args.workloads.split(",") if name.strip()]
    for name in names:
        if name not in all_specs:
            parser.error(f"unknown workload {name!r}; choose from {', '.join(all_specs)}")
    specs = {name: all_specs[name] for name in names}
    try:
        rtts = list(dict.fromkeys(int(item) for item in args.rtt.split(",") if item.strip()))
        clients = [int(item) for item in args.clients.split(",") if item.strip()]
        batches = [int(item) for item in args.batches.split(",") if item.strip()]
    except ValueError:
        parser.error("--rtt, --clients and --batches take comma-separated whole numbers")
    if not rtts or any(rtt < 0 for rtt in rtts):
        parser.error("--rtt needs at least one value, none negative")
    if not os.access(args.s3sync, os.X_OK):
        parser.error(f"{args.s3sync} is not an executable (build it, or pass --s3sync)")
    stores = STORES + ([ASYNC] if args.async_commit else []) + (
        [f"pg-c{args.pg_concurrency}"] if args.pg_concurrency else [])

    # A signal ends the run through the cleanup below (servers stopped, temporary files removed).
    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)

    machine = peers.machine_info()
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, Linux {machine['kernel']}")
    work = tempfile.mkdtemp(prefix="s3sync-bench-queue-", dir=args.workdir)
    log(f"work directory: {work}")
    load = {"start": os.getloadavg()}
    log(f"load average: {peers.load_text(load['start'])}")
    server = proxy = postgres = None
    pushes = None
    claim_runs, plan_rows = [], []
    try:
        postgres = PostgreSQL(postgres_bindir(args.pg_bin), args.workdir)
        log(f"PostgreSQL {postgres.settings.get('server_version')} at 127.0.0.1:{postgres.port} "
            f"(fsync={postgres.settings.get('fsync')}, synchronous_commit={postgres.settings.get('synchronous_commit')})")
        if not args.skip_pushes:
            server = peers.Server(work)
            log(f"rclone serve s3 at {server.url}")
            pushes = Pushes(args, work, server, postgres)
            trees = {}
            for name, spec in specs.items():
                started = time.monotonic()
                log(f"== generating {name}: {spec.files} x {spec.file_size} bytes in {spec.directories} dirs")
                trees[name] = os.path.join(work, "data", name)
                peers.generate_tree(trees[name], spec.files, spec.directories, spec.file_size)
                log(f"   {time.monotonic() - started:.1f} s")
            for rtt in rtts:
                url = server.url
                if rtt:
                    proxy = peers.DelayProxy(work, server, rtt)
                    pushes.proxy = proxy
                    url = proxy.url
                    log(f"== {rtt} ms RTT to the S3 server: delay proxy at {proxy.url}")
                for name, spec in specs.items():
                    log(f"== {name} at {rtt} ms: {spec.description}, {repeat} timed push(es) per store")
                    for repetition in range(repeat):
                        for store in peers.rotate(stores, repetition):
                            run = pushes.push(spec, trees[name], store, repetition, url, rtt)
                            pushes.runs.append(run)
                            status = "ok" if run.ok else f"FAILED ({run.note})"
                            log(f"    {store:8s} #{repetition}: {run.wall:6.2f} s wall, {run.cpu:5.2f} s CPU, "
                                f"{run.rss_mb:5.1f} MB, rclone {run.server_cpu:5.2f} s, PostgreSQL "
                                f"{run.postgres_cpu:5.2f} s CPU  {status}")
                    if rtt == rtts[0]:
                        run = pushes.push(spec, trees[name], "sqlite", 0, url, rtt, trace=True)
                        counts = pushes.sqlite_statements[name]
                        log(f"    sqlite trace run: {counts['statements']} statements, {counts['transactions']} "
                            f"transactions{'' if run.ok else ' (FAILED: ' + run.note + ')'}")
                if proxy:
                    log(f"== the delay proxy used {proxy.cpu_seconds():.1f} s of CPU at {rtt} ms")
                    proxy.stop()
                    proxy = pushes.proxy = None
            server.stop()
            server = None
            shutil.rmtree(os.path.join(work, "data"), ignore_errors=True)
        if not args.skip_claims:
            claims = Claims(args, work, postgres, "claims")
            middle = Claims(args, work, postgres, "claims_middle", done_ahead=args.claim_rows, parts=False)
            indexed = Claims(args, work, postgres, "claims_indexed", parts=False, pending_index=True)
            queues = (claims, middle, indexed)
            log("== claims: populating the queue")
            for queue in queues:
                queue.setup()
            log("== claims: one claim of 64 as more of a job's tasks are done (statistics fresh)")
            plan_rows = claims.plan_sweep([0, 0.01, 0.05, 0.10, 0.15, 0.20, 0.30])
            modes = ["on"] + (["off"] if args.async_commit else [])
            for mode in modes:
                for queue in queues:
                    postgres.sql(f'ALTER DATABASE "{queue.database}" SET synchronous_commit = {mode}')
                plan = [(queue, "claimTasks", batch) for queue in queues for batch in batches]
                plan.append((claims, "claimPart", 1))
                for queue, statement, batch in plan:
                    for count in clients:
                        run = queue.run(statement, batch, count, mode)
                        claim_runs.append(run)
                        log(f"    {statement} {run.start} batch {batch:2d}, {count:2d} clients, "
                            f"synchronous_commit={mode}: "
                            f"{run.tps:8.0f} tps, {run.claims_per_second:8.0f} claims/s, {run.latency_ms:6.2f} ms, "
                            f"PostgreSQL {run.postgres_cpu:5.2f} s CPU, pgbench {run.client_cpu:5.2f} s"
                            + (f", {run.failed} failed" if run.failed else ""))
        load["end"] = os.getloadavg()
        log(f"load average: {peers.load_text(load['end'])}")

        result = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine, "load_average": load, "postgres_settings": postgres.settings,
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip(),
            "repeat": repeat, "rtts": rtts, "stores": stores, "quick": quick, "top": args.top,
            "workloads": {name: vars(spec) for name, spec in specs.items()},
            "pushes": summarize_pushes(pushes.runs, specs, stores, rtts) if pushes else [],
            "sqlite_statements": pushes.sqlite_statements if pushes else {},
            "duration": args.duration, "claim_rows": args.claim_rows, "part_rows": args.part_rows,
            "part_uploads": args.part_uploads,
            "claims": [dict(vars(run), claims_per_second=run.claims_per_second) for run in claim_runs],
            "claim_plans": plan_rows,
            "claim_scripts": {name: peers.read_text(os.path.join(work, "pgbench", name))
                              for name in ("claim-tasks.sql", "claim-part.sql")} if claim_runs else {},
            "runs": [vars(run) for run in pushes.runs] if pushes else [],
        }
        print(markdown(result))
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)
        log(f"results: {args.json}")
        failures = [run for run in (pushes.runs if pushes else []) if not run.ok]
        for run in failures:
            log(f"FAILED: {run.workload} {run.store} at {run.rtt_ms} ms #{run.repetition}: {run.note}")
        return 1 if failures else 0
    except KeyboardInterrupt:
        log("interrupted: stopping the servers")
        return 130
    finally:
        for item in (proxy, server, postgres):
            if item:
                item.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
