#!/usr/bin/env python3
"""Several roundup processes draining one PostgreSQL ledger.

For each process count P, a fresh PostgreSQL database gets N subscribers and
one published edition; then P `roundup deliver` processes start together and
send it to Postfix's smtp-sink (each with its own pool of 4 connections).
Reported: wall time and messages per second, and whether every subscriber
got exactly one message (the ledger has N rows sent, and smtp-sink counted N
messages). With --sqlite, one process on SQLite runs the same edition for
comparison.

    python3 bench/multi_process.py [--subscribers 100000] [--processes 1,2,4] [--sqlite]

Needs smtp-sink (apt-get install postfix), psql, a PostgreSQL server whose
URL is in ROUNDUP_BENCH_POSTGRES_URL (default
postgres://roundup:roundup@127.0.0.1:5432/postgres, a role that may create
databases), and target/release/roundup.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import delivery_throughput as dt  # noqa: E402

ADMIN = os.environ.get("ROUNDUP_BENCH_POSTGRES_URL", "postgres://roundup:roundup@127.0.0.1:5432/postgres")


def psql(url, sql):
    out = subprocess.run(["psql", url, "-qtAX", "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def fresh_database(name):
    psql(ADMIN, f"DROP DATABASE IF EXISTS {name}")
    psql(ADMIN, f"CREATE DATABASE {name}")
    u = urllib.parse.urlparse(ADMIN)
    return urllib.parse.urlunparse(u._replace(path="/" + name))


def prepare(work, db_url, n, port, label):
    cfg = os.path.join(work, "config", f"mp-{label}.toml")
    text = dt.config("smtp", port, 4, "unused")
    text = text.replace('url = "sqlite://unused"', f'url = "{db_url}"')
    with open(cfg, "w") as f:
        f.write(text)
    cmd = [dt.BIN, "--config", cfg]
    dt.run(cmd + ["subscribers", "list"], work)
    return cmd


def run_processes(cmd, work, p):
    env = dict(os.environ, ROUNDUP_LOG="error")
    t = time.perf_counter()
    procs = [subprocess.Popen(cmd + ["deliver"], cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(p)]
    for pr in procs:
        out, err = pr.communicate()
        if pr.returncode not in (0, 2):
            sys.exit(f"deliver failed:\n{out.decode()}\n{err.decode()}")
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=100000)
    ap.add_argument("--processes", default="1,2,4")
    ap.add_argument("--sqlite", action="store_true", help="also one process on SQLite")
    ap.add_argument("--bin", default=dt.BIN)
    a = ap.parse_args()
    dt.BIN = os.path.abspath(a.bin)
    n = a.subscribers
    work = tempfile.mkdtemp(prefix="roundup-mp-bench-")
    try:
        shutil.copytree(os.path.join(dt.ROOT, "config"), os.path.join(work, "config"))
        print(f"{n} subscribers, 4 SMTP connections per process, {os.cpu_count()} cores")
        print(f"{'database':>10} {'processes':>9} {'deliver s':>9} {'msg/s':>7} {'ledger sent':>11} "
              f"{'sink got':>8} {'exactly once':>12}")
        rows = [("postgres", int(p)) for p in a.processes.split(",")]
        if a.sqlite:
            rows.append(("sqlite", 1))
        for kind, p in rows:
            sink = common.Sink()
            port = sink.port
            try:
                if kind == "postgres":
                    url = fresh_database(f"roundup_bench_{p}")
                    cmd = prepare(work, url, n, port, f"pg{p}")
                    psql(url, "INSERT INTO subscribers (email, status, bounce_count, created_at) "
                              f"SELECT 'reader' || g || '@example.com', 'active', 0, 0 FROM generate_series(0, {n - 1}) g")
                else:
                    db = os.path.join(work, "mp.db")
                    cmd = prepare(work, f"sqlite://{db}", n, port, "sqlite")
                    dt.add_subscribers(db, n)
                dt.run(cmd + ["publish"], work)
                elapsed = run_processes(cmd, work, p)
                time.sleep(0.5)
                got = sink.count()
                if kind == "postgres":
                    sent = int(psql(url, "SELECT count(*) FROM deliveries WHERE status = 'sent'"))
                else:
                    import sqlite3
                    con = sqlite3.connect(db)
                    sent = con.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()[0]
                    con.close()
                once = "yes" if sent == n and got == n else "NO"
                print(f"{kind:>10} {p:>9} {elapsed:>9.1f} {n / elapsed:>7.0f} {sent:>11} {got:>8} {once:>12}",
                      flush=True)
            finally:
                sink.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
