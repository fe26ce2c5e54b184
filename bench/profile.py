#!/usr/bin/env python3
"""CPU profile of one stage with `perf record` (software clock, so it works
where hardware counters are not exposed), printed as the top symbols by
thread and by function.

    python3 bench/profile.py publish [--bin BINARY]   # 200 feeds, 2,000 items: pick, pages, summaries
    python3 bench/profile.py deliver [--subscribers 20000] [--bin BINARY]

publish: the feeds of bench/fetch_send.py are refreshed into a fresh
database first (not profiled); then `roundup publish` runs under perf.
deliver: an edition is published to N subscribers first; then
`roundup deliver` runs under perf into smtp-sink.

Needs perf (apt-get install linux-perf) and what bench/fetch_send.py and
bench/delivery_throughput.py need. perf.data is left in a temporary folder
whose name is printed, for `perf report -i`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import delivery_throughput as dt  # noqa: E402
import fetch_send  # noqa: E402


def record(cmd, cwd, data):
    perf = shutil.which("perf") or sys.exit("perf not found: apt-get install linux-perf")
    wall, rss, cpu, _ = common.run_measured([perf, "record", "-q", "-F", "999", "-e", "cpu-clock", "-o", data, *cmd],
                                            cwd=cwd, ok=(0, 2))
    print(f"{' '.join(cmd[-2:])}: wall {wall:.2f} s, CPU {cpu:.2f} s (perf included)")
    for sort in ("comm,dso", "sym"):
        out = subprocess.run([perf, "report", "-i", data, "--no-children", "--sort", sort, "--stdio"],
                             capture_output=True, text=True).stdout
        rows = [line for line in out.splitlines() if line.strip() and not line.startswith("#")]
        print("\n".join(rows[:15 if sort == "sym" else 8]))
        print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=("publish", "deliver"))
    ap.add_argument("--bin", default=common.BIN)
    ap.add_argument("--subscribers", type=int, default=20000)
    a = ap.parse_args()
    binary = common.require_binary(a.bin)
    work = tempfile.mkdtemp(prefix="roundup-profile-")
    sink = common.Sink()
    data = os.path.join(work, "perf.data")
    try:
        if a.stage == "publish":
            server = fetch_send.Server(200, 0.1)
            cfg = os.path.join(work, "profile.toml")
            fetch_send.roundup_config(cfg, os.path.join(work, "profile.db"), server, 200, sink.port)
            common.run_measured([binary, "--config", cfg, "refresh"], cwd=work)
            record([binary, "--config", cfg, "publish"], work, data)
            server.stop()
        else:
            shutil.copytree(os.path.join(common.ROOT, "config"), os.path.join(work, "config"))
            db = os.path.join(work, "profile.db")
            cfg = os.path.join(work, "config", "profile.toml")
            with open(cfg, "w") as f:
                f.write(dt.config("smtp", sink.port, 4, db))
            common.run_measured([binary, "--config", cfg, "subscribers", "list"], cwd=work)
            dt.add_subscribers(db, a.subscribers)
            common.run_measured([binary, "--config", cfg, "publish"], cwd=work, ok=(0, 2))
            record([binary, "--config", cfg, "deliver"], work, data)
        print(f"perf data: {data}")
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
