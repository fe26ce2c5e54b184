#!/usr/bin/env python3
"""Delivery throughput against the physical limit of this machine.

An edition (the demo's, ~28 KB as sent) goes to N subscribers (SQLite) into
Postfix's smtp-sink; in the same run Postfix's own client, smtp-source,
sends N messages of the same size over the same number of parallel
sessions, in whichever of its modes (a new connection per message, or -d
to reuse it) is faster here. Peak RSS of `roundup deliver` is read with
wait4.

    python3 bench/delivery_throughput.py [--subscribers 10000,100000] [--sessions 4] [--runs 5]
        [--baseline OTHER_ROUNDUP_BINARY]

Runs of roundup and smtp-source alternate so both see the same (noisy,
shared) machine. bench/compare.py calls measure() for docs/BENCHMARKS.md.

Needs `cargo build --release` and Debian's postfix package (smtp-sink and
smtp-source); the postfix service itself need not run.
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Sink, require_binary, run_measured, summary, tool, with_database  # noqa: E402


def config(transport, port, sessions, db):
    demo = open(os.path.join(ROOT, "config", "demo.toml")).read()
    demo = re.sub(r"\[\[subscribers\]\][^\[]*", "", demo)
    demo = demo.replace('transport = "outbox"', f'transport = "{transport}"')
    demo = with_database(demo, f"sqlite://{db}")
    # 7 + 7 stories: the edition is about 30 KB as sent.
    demo = demo.replace("per_section = 5", "per_section = 7").replace("max_per_source = 2", "max_per_source = 3")
    demo = demo.replace("[archive]\nenabled = true", "[archive]\nenabled = false")
    return demo + (f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n'
                   f"pool_size = {sessions}\ntimeout_secs = 30\n")


def add_subscribers(db, n):
    con = sqlite3.connect(db)
    con.executemany(
        "INSERT INTO subscribers (email, status, bounce_count, created_at) VALUES (?, 'active', 0, 0)",
        ((f"reader{i}@example.com",) for i in range(n)))
    con.commit()
    con.close()


def run(cmd, cwd):
    """Runs to completion; returns (seconds, peak RSS in MiB, stdout)."""
    elapsed, rss, _, out = run_measured(cmd, cwd, ok=(0, 2))
    return elapsed, rss, out


def message_size(work, sessions, binary=None):
    """One subscriber, outbox transport: the size of the message as sent."""
    db = os.path.join(work, "size.db")
    with open(os.path.join(work, "config", "size.toml"), "w") as f:
        f.write(config("outbox", 25, sessions, db))
    cmd = [binary or BIN, "--config", "config/size.toml"]
    run(cmd + ["subscribers", "list"], work)
    add_subscribers(db, 1)
    run(cmd + ["run"], work)
    emls = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(work, "outbox")) for f in fs
            if f.endswith(".eml")]
    return os.path.getsize(emls[0])


def roundup_once(binary, work, port, sessions, n, tag):
    """A fresh database with n subscribers, one edition published, then
    `roundup deliver` timed. Returns (msg/s, peak RSS MiB, publish s)."""
    db = os.path.join(work, f"bench-{tag}.db")
    cfg = os.path.join(work, "config", f"bench-{tag}.toml")
    with open(cfg, "w") as f:
        f.write(config("smtp", port, sessions, db))
    cmd = [binary, "--config", cfg]
    run(cmd + ["subscribers", "list"], work)
    add_subscribers(db, n)
    t_pub, _, _ = run(cmd + ["publish"], work)
    t_del, rss, out = run(cmd + ["deliver"], work)
    sent = int(re.search(r"sent (\d+) message", out).group(1))
    if sent != n:
        sys.exit(f"roundup sent {sent} of {n}:\n{out}")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    return n / t_del, rss, t_pub


def source_once(port, sessions, n, size, reuse):
    """Postfix's own client: n messages of `size` bytes. -d keeps each
    session's connection for the next message."""
    args = [tool("smtp-source"), "-s", str(sessions), "-m", str(n), "-l", str(size)]
    if reuse:
        args.append("-d")
    t = time.perf_counter()
    subprocess.run(args + ["-f", "digest@roundup.example", "-t", "reader@example.com", f"127.0.0.1:{port}"],
                   check=True)
    return n / (time.perf_counter() - t)


def measure(counts, sessions=4, runs=5, binary=BIN, source=True, baseline=None, baseline_counts=(),
            log=print):
    """Delivery rate and peak RSS against subscriber count, with
    smtp-source's rate in the same run. Runs alternate between the two so
    both see the same noisy machine. `baseline` is another roundup binary
    measured the same way at `baseline_counts` (a before/after)."""
    binary = require_binary(binary)
    work = tempfile.mkdtemp(prefix="roundup-bench-")
    sink = Sink()
    try:
        shutil.copytree(os.path.join(ROOT, "config"), os.path.join(work, "config"))
        size = message_size(work, sessions, binary)
        result = {"message_bytes": size, "sessions": sessions, "points": []}
        if source:
            # smtp-source's faster mode on this machine is the limit quoted.
            modes = {}
            for reuse in (False, True):
                modes["reuse" if reuse else "new connection per message"] = summary(
                    [source_once(sink.port, sessions, 10000, size, reuse) for _ in range(3)])
            best = max(modes, key=lambda m: modes[m]["median"])
            result["source_modes"] = modes
            result["source_mode"] = best
            log("smtp-source at 10,000 messages: " + ", ".join(
                f"{m} {v['median']:.0f} msg/s" for m, v in modes.items()) + f"; using {best}")
        for n in counts:
            rates, rss, pubs, src, base = [], [], [], [], []
            for r in range(runs):
                rate, peak, t_pub = roundup_once(binary, work, sink.port, sessions, n, f"{n}-{r}")
                rates.append(rate)
                rss.append(peak)
                pubs.append(t_pub)
                if source:
                    src.append(source_once(sink.port, sessions, n, size, result["source_mode"] == "reuse"))
                if baseline and n in baseline_counts:
                    base.append(roundup_once(require_binary(baseline), work, sink.port, sessions, n,
                                             f"base-{n}-{r}")[0])
            point = {"subscribers": n, "rate": summary(rates), "rss_mib": summary(rss),
                     "publish_s": summary(pubs)}
            if src:
                point["source_rate"] = summary(src)
            if base:
                point["baseline_rate"] = summary(base)
            result["points"].append(point)
            log(f"  {n:>7} subscribers: roundup {point['rate']['median']:.0f} msg/s"
                + (f", smtp-source {point['source_rate']['median']:.0f} msg/s" if src else "")
                + (f", baseline {point['baseline_rate']['median']:.0f} msg/s" if base else "")
                + f", peak RSS {point['rss_mib']['max']:.1f} MiB")
        return result
    finally:
        sink.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", default="10000,100000")
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--skip-source", action="store_true", help="roundup only")
    ap.add_argument("--runs", type=int, default=5, help="runs of each")
    ap.add_argument("--bin", default=BIN, help="the roundup binary (default: target/release/roundup)")
    ap.add_argument("--baseline", help="another roundup binary to measure alongside (before/after)")
    a = ap.parse_args()
    counts = [int(x) for x in a.subscribers.split(",")]
    r = measure(counts, a.sessions, a.runs, a.bin, not a.skip_source, a.baseline, counts)
    print(f"message size as sent: {r['message_bytes'] / 1024:.1f} KB; {a.sessions} parallel sessions")
    for p in r["points"]:
        line = f"{p['subscribers']:>8} subscribers: roundup {fmt(p['rate'])} msg/s"
        if "source_rate" in p:
            line += f"; smtp-source {fmt(p['source_rate'])}; ratio {p['rate']['median'] / p['source_rate']['median']:.2f}"
        if "baseline_rate" in p:
            line += f"; baseline {fmt(p['baseline_rate'])}"
        print(line + f"; peak RSS {p['rss_mib']['max']:.1f} MiB")


def fmt(s):
    return f"{s['median']:.0f} (min {s['min']:.0f}, max {s['max']:.0f})"


if __name__ == "__main__":
    main()
