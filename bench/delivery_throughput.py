#!/usr/bin/env python3
"""Delivery throughput against the physical limit of this machine.

An edition (the demo's, ~30 KB as sent) goes to N subscribers (SQLite) into
Postfix's smtp-sink; in the same run Postfix's own client, smtp-source,
sends N messages of the same size with the same number of parallel
sessions and connection reuse (-d). Peak RSS of `roundup deliver` is read
with wait4.

    python3 bench/delivery_throughput.py [--subscribers 10000,100000] [--sessions 4] [--runs 3]

Rates are medians over the runs, roundup's and smtp-source's runs
alternating so both see the same (noisy, shared) machine.

Needs `cargo build --release` and Debian's postfix package (smtp-sink and
smtp-source); the postfix service itself need not run.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "roundup")


def tool(name):
    for d in ("/usr/sbin", "/usr/bin", "/usr/lib/postfix"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    sys.exit(f"{name} not found: apt-get install postfix")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port):
    args = [tool("smtp-sink")]
    if os.geteuid() == 0:
        args += ["-u", "nobody"]
    p = subprocess.Popen(args + [f"127.0.0.1:{port}", "1024"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return p
        except OSError:
            time.sleep(0.05)
    sys.exit("smtp-sink did not start")


def config(transport, port, sessions, db):
    demo = open(os.path.join(ROOT, "config", "demo.toml")).read()
    demo = re.sub(r"\[\[subscribers\]\][^\[]*", "", demo)
    demo = demo.replace('transport = "outbox"', f'transport = "{transport}"')
    demo = demo.replace('url = "sqlite://data/demo.db"', f'url = "sqlite://{db}"')
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
    """Runs to completion; returns (seconds, peak RSS in MiB)."""
    env = dict(os.environ, ROUNDUP_LOG="error")
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        sys.exit(f"{' '.join(cmd)} failed:\n{out}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out


def message_size(work, sessions):
    """One subscriber, outbox transport: the size of the message as sent."""
    db = os.path.join(work, "size.db")
    with open(os.path.join(work, "config", "size.toml"), "w") as f:
        f.write(config("outbox", 25, sessions, db))
    cmd = [BIN, "--config", "config/size.toml"]
    run(cmd + ["subscribers", "list"], work)
    add_subscribers(db, 1)
    run(cmd + ["run"], work)
    emls = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(work, "outbox")) for f in fs
            if f.endswith(".eml")]
    return os.path.getsize(emls[0])


def main():
    global BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", default="10000,100000")
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--skip-source", action="store_true", help="roundup only")
    ap.add_argument("--runs", type=int, default=3, help="medians over this many runs of each")
    ap.add_argument("--bin", default=BIN, help="the roundup binary (default: target/release/roundup)")
    a = ap.parse_args()
    BIN = a.bin
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run cargo build --release first")
    work = tempfile.mkdtemp(prefix="roundup-bench-")
    port = free_port()
    sink = start_sink(port)
    try:
        shutil.copytree(os.path.join(ROOT, "config"), os.path.join(work, "config"))
        size = message_size(work, a.sessions)
        print(f"message size as sent: {size / 1024:.1f} KB; {a.sessions} parallel sessions; smtp-sink on :{port}")
        print(f"{'subscribers':>11} {'publish s':>9} {'deliver s':>9} {'roundup msg/s':>13} "
              f"{'smtp-source msg/s':>17} {'ratio':>6} {'peak RSS MiB':>12}")
        for n in [int(x) for x in a.subscribers.split(",")]:
            ours, theirs, pubs, rss_peak = [], [], [], 0.0
            for r in range(a.runs):
                db = os.path.join(work, f"bench-{n}-{r}.db")
                cfg = os.path.join(work, "config", f"bench-{n}-{r}.toml")
                with open(cfg, "w") as f:
                    f.write(config("smtp", port, a.sessions, db))
                cmd = [BIN, "--config", cfg]
                run(cmd + ["subscribers", "list"], work)
                add_subscribers(db, n)
                t_pub, _, _ = run(cmd + ["publish"], work)
                t_del, rss, out = run(cmd + ["deliver"], work)
                sent = int(re.search(r"sent (\d+) message", out).group(1))
                if sent != n:
                    sys.exit(f"roundup sent {sent} of {n}:\n{out}")
                pubs.append(t_pub)
                ours.append(n / t_del)
                rss_peak = max(rss_peak, rss)
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(db + suffix):
                        os.remove(db + suffix)
                if not a.skip_source:
                    # Alternated with roundup's runs, so both see the same machine.
                    t = time.perf_counter()
                    subprocess.run([tool("smtp-source"), "-s", str(a.sessions), "-m", str(n), "-l", str(size),
                                    "-d", "-f", "digest@roundup.example", "-t", "reader@example.com",
                                    f"127.0.0.1:{port}"], check=True)
                    theirs.append(n / (time.perf_counter() - t))
            rate = statistics.median(ours)
            src = statistics.median(theirs) if theirs else float("nan")
            print(f"{n:>11} {statistics.median(pubs):>9.2f} {n / rate:>9.2f} {rate:>13.0f} {src:>17.0f} "
                  f"{rate / src:>6.2f} {rss_peak:>12.1f}", flush=True)
            if a.runs > 1:
                pairs = ", ".join(f"{o:.0f}/{t:.0f}" for o, t in zip(ours, theirs)) if theirs else \
                    ", ".join(f"{o:.0f}" for o in ours)
                print(f"{'':>11} runs (roundup/smtp-source msg/s): {pairs}", flush=True)
    finally:
        sink.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
