#!/usr/bin/env python3
"""Times s3sync alone with different --concurrency and --part-size values on the `small` and
`large` workloads of bench_peers.py, against one `rclone serve s3` on loopback, to choose defaults.

    .venv/bin/python scripts/bench_defaults.py [--repeat 3]

Prints a Markdown table of medians (wall, CPU, peak RSS) per setting.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_peers  # noqa: E402

SETTINGS = {
    "small": [["--concurrency", str(n)] for n in (8, 16, 32, 64)],
    "large": [["--part-size", size] for size in ("8MiB", "16MiB", "32MiB", "64MiB")]
    + [["--concurrency", str(n)] for n in (8, 16)],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--s3sync", default=os.path.join(bench_peers.ROOT, ".build", "release", "s3sync"))
    args = parser.parse_args()
    specs = bench_peers.workloads(quick=False)
    work = tempfile.mkdtemp(prefix="s3sync-bench-defaults-")
    server = bench_peers.Server(work)
    rows = []
    try:
        bench = bench_peers.Bench(server=server, work=work, s3sync=args.s3sync, timeout=600)
        for name, settings in SETTINGS.items():
            spec = specs[name]
            tree = os.path.join(work, "data", name)
            bench_peers.generate_tree(tree, spec.files, spec.directories, spec.file_size)
            for repetition in range(args.repeat):
                for index, flags in enumerate(bench_peers.rotate(settings, repetition)):
                    prefix = f"{name}/r{repetition}-{'-'.join(flags)}/"
                    state = os.path.join(work, f"state-{name}-{repetition}-{index}.db")
                    run = bench.run(name, "s3sync", repetition, "timed", tree, prefix, state, tuple(flags))
                    bench.verify(run, prefix, spec.files, spec.file_size)
                    bench_peers.log(bench_peers.describe(run))
                    bench.runs.append(run)
                    server.delete(prefix)
            shutil.rmtree(tree, ignore_errors=True)
        print("| workload | setting | wall s | CPU s | peak RSS MB |")
        print("|---|---|---:|---:|---:|")
        for name, settings in SETTINGS.items():
            for flags in settings:
                label = " ".join(["s3sync"] + flags)
                good = [run for run in bench.runs if run.workload == name and run.tool == label and run.ok]
                if not good:
                    print(f"| {name} | `{' '.join(flags)}` | failed | | |")
                    continue
                wall = statistics.median(run.wall for run in good)
                cpu = statistics.median(run.cpu for run in good)
                rss = statistics.median(run.rss_mb for run in good)
                print(f"| {name} | `{' '.join(flags)}` | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
        return 0 if all(run.ok for run in bench.runs) else 1
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
