#!/usr/bin/env python
"""Time the ``cdp`` command's usage errors: each must come back within seconds (target: 2 s).

A mistyped data folder, area or chapter is answered before anything is prepared or a kernel
started (``tests/publishing/test_faults.py`` checks that behaviour; this script the seconds).
Each command runs as a user runs it: a fresh ``python -m cdp_analysis.cli`` process, wall
clock from start to exit, with its exit status (2) and its one line of message.

Usage::

    python benchmarks/bench_usage_errors.py            # each command 3 times, the median reported
    python benchmarks/bench_usage_errors.py --runs 5

The folders are made in a temporary folder and removed after. Not part of the test suite; the
machine's other load shows in the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 2.0

#: (label, command after the global options); {x} is a folder made below
COMMANDS = [
    ("data folder that does not exist", ["build", "--area", "Z09000001", "--data-dir", "{tmp}/no/such/folder"]),
    ("data folder with no data file", ["build", "--area", "E09000003", "--data-dir", "{tmp}/empty"]),
    ("data folder that is a file", ["build", "--area", "E09000003", "--data-dir", "{tmp}/file.csv"]),
    ("processed folder inside the data folder", ["build", "--area", "E09000003", "--data-dir", "{tmp}"]),
    ("mistyped area", ["build", "--area", "Barnett"]),
    ("mistyped area in a batch", ["batch", "--areas", "E09000001,Barnett"]),
    ("mistyped chapter", ["build", "--area", "Z09000001", "--chapters", "01_suply"]),
    ("reports folder that is a file", ["--reports-dir", "{tmp}/file.csv", "build", "--area", "Z09000001"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (the median is reported)")
    args = parser.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="cdp-usage-") as tmp:
        root = Path(tmp)
        (root / "empty").mkdir()
        (root / "file.csv").write_text("a,b\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDP_")}
        (root / "cdp.toml").write_text("", encoding="utf-8")
        env["CDP_CONFIG"] = str(root / "cdp.toml")
        common = ["--raw-dir", str(root / "raw"), "--processed-dir", str(root / "processed")]
        print(f"{'usage error':42} {'median s':>8}  exit  message")
        for label, command in COMMANDS:
            argv = [part.format(tmp=tmp) for part in command]
            if "--reports-dir" not in argv:
                argv = ["--reports-dir", str(root / "reports"), *argv]
            seconds = []
            for _ in range(args.runs):
                began = time.perf_counter()
                ran = subprocess.run([sys.executable, "-m", "cdp_analysis.cli", *common, *argv],
                                     capture_output=True, text=True, env=env, timeout=600)
                seconds.append(time.perf_counter() - began)
            median = statistics.median(seconds)
            worst = max(worst, median)
            message = ran.stderr.strip().splitlines()[-1][:90] if ran.stderr.strip() else "(none)"
            print(f"{label:42} {median:8.2f}  {ran.returncode:>4}  {message}")
    print(f"Slowest: {worst:.2f} s (target: every usage error within {TARGET_SECONDS:.0f} s)")
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
