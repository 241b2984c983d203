#!/usr/bin/env python3
"""Writes scripts/s3sync.order: the functions s3sync runs, one mangled name a line.

Run through scripts/profile-order.sh, which installs valgrind and builds s3sync first.

The release link (scripts/build-release.sh) hands this list to lld as --symbol-ordering-file, so
the code a run executes sits together at the front of .text instead of being spread over 27 MB.
The kernel maps code 64 KiB around each page a process touches ("fault-around"); with the code
that runs packed together, far fewer pages become resident.

Each run below goes through valgrind's callgrind against one `rclone serve s3` on loopback; a
function counts if any run executed it. The runs cover what users run most: first pushes of
small files, of a multipart file and of directories listed in several pages, no-op pushes, text
and JSON output, a dry run with --delete, pulls (first and no-op) of small files and of a ranged
object, pushes and a pull over TLS (a second server with a throwaway CA), status, resume and a
usage error. Functions the list
misses still work; they are just laid out after it. Code the compiler leaves unnamed cannot be
listed; scripts/s3sync-text.ld keeps it together.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_peers import ACCESS_KEY, BUCKET, REGION, ROOT, SECRET_KEY, MIB, Server, TLSMaterial, generate_tree  # noqa: E402

ORDER_FILE = os.path.join(ROOT, "scripts", "s3sync.order")


def runs(binary: str, work: str, url: str, tls_url: str, ca: str) -> list:
    """(command, the exit status it must end with)."""
    small = os.path.join(work, "small")
    big = os.path.join(work, "big")
    many = os.path.join(work, "many")
    generate_tree(small, files=40, directories=4, size=40_000)
    generate_tree(big, files=1, directories=1, size=40 * MIB)
    generate_tree(many, files=2_400, directories=2, size=64)  # listings of more than one page
    endpoint = ["--endpoint-url", url]
    tls = ["--endpoint-url", tls_url, "--ca-bundle", ca]

    def state(name):
        return ["--state", os.path.join(work, "state-" + name)]

    return [
        ([binary, "push", small, f"s3://{BUCKET}/small", *endpoint, *state("small"), "--json"], 0),
        ([binary, "push", small, f"s3://{BUCKET}/small", *endpoint, *state("small"), "--json"], 0),
        ([binary, "push", big, f"s3://{BUCKET}/big", *endpoint, *state("big"), "--json"], 0),
        ([binary, "push", big, f"s3://{BUCKET}/big", *endpoint, *state("big"), "--json"], 0),
        ([binary, "push", many, f"s3://{BUCKET}/many", *endpoint, *state("many"), "--json"], 0),
        ([binary, "push", many, f"s3://{BUCKET}/many", *endpoint, *state("many"), "--json"], 0),
        ([binary, "push", small, f"s3://{BUCKET}/text", *endpoint, *state("text")], 0),
        ([binary, "push", small, f"s3://{BUCKET}/text", *endpoint, *state("text"), "--delete", "--dry-run"], 0),
        ([binary, "pull", f"s3://{BUCKET}/small", os.path.join(work, "restore-small"), *endpoint, *state("small")], 0),
        ([binary, "pull", f"s3://{BUCKET}/small", os.path.join(work, "restore-small"), *endpoint, *state("small")], 0),
        ([binary, "pull", f"s3://{BUCKET}/big", os.path.join(work, "restore-big"), *endpoint, *state("big")], 0),
        ([binary, "push", small, f"s3://{BUCKET}/small", *tls, *state("tls-small"), "--json"], 0),
        ([binary, "push", big, f"s3://{BUCKET}/big", *tls, *state("tls-big"), "--json"], 0),
        ([binary, "pull", f"s3://{BUCKET}/small", os.path.join(work, "restore-tls"), *tls, *state("tls-small")], 0),
        ([binary, "status", *state("big")], 0),
        ([binary, "resume", *state("big")], 0),
        ([binary, "push", os.path.join(work, "missing"), f"s3://{BUCKET}/missing", *endpoint, *state("missing")], 2),
        ([binary, "--help"], 0),
    ]


def executed_functions(profile: str) -> Counter:
    """Self cost (instructions) of every function in the binary's own object, by mangled name."""
    cost = Counter()
    current = None
    in_binary = False
    with open(profile, errors="replace") as handle:
        for line in handle:
            if line.startswith("ob="):
                in_binary = line.rstrip().endswith("/s3sync")
            elif line.startswith("fn="):
                # callgrind marks recursion contexts with a 'N suffix
                current = re.sub(r"'\d+$", "", line[3:].strip()) if in_binary else None
                if current:
                    cost[current] += 0
            elif current and line[:1].isdigit():
                fields = line.split()
                if len(fields) >= 2:
                    cost[current] += int(fields[1])
    return cost


def main() -> int:
    binary_built = os.path.join(ROOT, ".build", "release", "s3sync")
    work = tempfile.mkdtemp(prefix="s3sync-profile-order-")
    server = None
    tls_server = None
    try:
        # valgrind cannot read the DWARF 5 the toolchain writes; the symbol table is all it needs
        binary = os.path.join(work, "s3sync")
        shutil.copy(binary_built, binary)
        subprocess.run(["strip", "--strip-debug", binary], check=True)
        server = Server(work)
        material = TLSMaterial.generate(os.path.join(work, "tls"))
        tls_server = Server(work, material)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION,
                   AWS_CONFIG_FILE=os.path.join(work, "none"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "none"))
        profiles = os.path.join(work, "callgrind")
        os.makedirs(profiles)
        commands = runs(binary, work, server.url, tls_server.url, material.ca)
        for index, (command, expected) in enumerate(commands):
            print("profile-order:", " ".join(os.path.basename(part) for part in command[:3]), file=sys.stderr)
            result = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profiles}/run-{index}.%p", "--dump-instr=no",
                 "--compress-strings=no", "--demangle=no", *command],
                env=env, capture_output=True, text=True, check=False)
            if result.returncode != expected:
                said = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith("==")]
                raise SystemExit(f"profile-order: {' '.join(command)} exited {result.returncode}, not {expected}; "
                                 "the profile would not show a normal run. It said:\n" + "\n".join(said[-20:]))
        cost = Counter()
        used_by = {}
        for index in range(len(commands)):
            for profile in glob.glob(os.path.join(profiles, f"run-{index}.*")):
                for name, instructions in executed_functions(profile).items():
                    cost[name] += instructions
                    used_by[name] = used_by.get(name, 0) | (1 << index)
        # Code every run needs first, then code grouped by the runs that need it, so that a run
        # touches few, dense pages: a no-op push does not fault in multipart code laid out
        # between the functions it uses. Busiest first within a group. Unnamed code shows up as
        # addresses; the linker can only order names.
        def key(name):
            return (-bin(used_by[name]).count("1"), used_by[name], -cost[name], name)

        names = sorted((name for name in cost if not name.startswith(("0x", "("))), key=key)
        if len(names) < 1000:
            raise SystemExit(f"profile-order: only {len(names)} functions recorded; is valgrind working?")
        with open(ORDER_FILE, "w") as handle:
            handle.write("\n".join(names) + "\n")
        print(f"profile-order: {len(names)} functions written to {os.path.relpath(ORDER_FILE, ROOT)}", file=sys.stderr)
        return 0
    finally:
        for running in (server, tls_server):
            if running:
                running.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
