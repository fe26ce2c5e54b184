#!/usr/bin/env python3
"""Crash safety, measured: an edition goes to 2,000 subscribers through a real
SMTP server (aiosmtpd) that records every message, while roundup is killed
with SIGKILL mid-send three times and restarted each time. Then we count
what each subscriber got.

    python3 bench/delivery_crash.py [--subscribers 2000] [--kills 3]
    python3 bench/delivery_crash.py --database-url postgres://... --processes 3

With --processes, that many `roundup run` processes share the ledger (which
needs PostgreSQL), and each kill takes down one of them while the others go
on; a replacement starts for the next round.

Needs `cargo build --release` and `pip install aiosmtpd`. Exit status 1 if
anyone is missing the edition, or if the duplicates exceed the messages that
were in flight at the kills (2 x pool size x kills), the most a crash can cost.
"""

import argparse
import collections
import csv
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from aiosmtpd.controller import Controller

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import with_database  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "roundup")
POOL = 4


class Recorder:
    """Stores (recipient, Message-ID) for every message it accepts."""

    def __init__(self, delay):
        self.delay = delay
        self.lock = threading.Lock()
        self.got = []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # slows the whole server: kills land mid-send
        text = envelope.content.decode("utf-8", "replace")
        m = re.search(r"^Message-ID:\s*(\S+)", text, re.M | re.I)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.got.append((rcpt.lower(), m.group(1) if m else ""))
        return "250 2.0.0 stored"

    def count(self):
        with self.lock:
            return len(self.got)


def config(port, lease, database_url):
    demo = open(os.path.join(ROOT, "config", "demo.toml")).read()
    if database_url:
        demo = with_database(demo, database_url)
    demo = re.sub(r"\[\[subscribers\]\][^\[]*", "", demo)
    demo = demo.replace('transport = "outbox"', 'transport = "smtp"')
    demo = demo.replace("[delivery]", f"[delivery]\nlease_secs = {lease}\nretry_after_secs = 0", 1)
    return demo + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\npool_size = {POOL}\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.002, help="seconds the server takes per message")
    ap.add_argument("--lease", type=int, default=3)
    ap.add_argument("--jitter-ms", type=float, default=0.0,
                    help="kill this long (random, up to) after the mark instead of at once; "
                         "0 kills right after the server stored a message, the worst moment")
    ap.add_argument("--database-url", default="", help="default: the demo's SQLite file")
    ap.add_argument("--processes", type=int, default=1, help="roundup processes sending at once")
    a = ap.parse_args()
    if a.processes > 1 and not a.database_url.startswith("postgres"):
        sys.exit("several processes share a ledger on PostgreSQL: pass --database-url postgres://...")
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run cargo build --release first")

    rec = Recorder(a.delay)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(rec, hostname="127.0.0.1", port=port)
    ctl.start()
    work = tempfile.mkdtemp(prefix="roundup-crash-")
    try:
        shutil.copytree(os.path.join(ROOT, "config"), os.path.join(work, "config"))
        with open(os.path.join(work, "config", "crash.toml"), "w") as f:
            f.write(config(port, a.lease, a.database_url))
        emails = [f"reader{i}@example.com" for i in range(a.subscribers)]
        with open(os.path.join(work, "subs.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["email", "name"])
            for e in emails:
                w.writerow([e, ""])
        env = dict(os.environ, ROUNDUP_LOG="error")
        cmd = [BIN, "--config", "config/crash.toml"]
        subprocess.run(cmd + ["subscribers", "import", "subs.csv"], cwd=work, env=env,
                       check=True, stdout=subprocess.DEVNULL)

        step = a.subscribers // (a.kills + 1)
        kills = []
        running = []
        for k in range(a.kills):
            target = step * (k + 1)
            running = [p for p in running if p.poll() is None]
            while len(running) < a.processes:
                running.append(subprocess.Popen(cmd + ["run"], cwd=work, env=env,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            while rec.count() < target and any(p.poll() is None for p in running):
                time.sleep(0.002)
            if a.jitter_ms:
                time.sleep(random.uniform(0, a.jitter_ms) / 1000)
            alive = [p for p in running if p.poll() is None]
            if not alive:
                # They finished (or were waiting on leases) before the mark: try again.
                time.sleep(a.lease + 1)
                continue
            victim = random.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills.append(rec.count())
            print(f"kill {len(kills)}: SIGKILL to one of {len(alive)} processes after {kills[-1]} messages had arrived")
        for p in running:
            p.wait()
        # Restart until the ledger is drained: rows the dead processes held
        # come back once their leases run out.
        for _ in range(30):
            subprocess.run(cmd + ["run"], cwd=work, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out = subprocess.run(cmd + ["deliveries"], cwd=work, env=env,
                                 capture_output=True, text=True).stdout
            m = re.search(r"queued (\d+), sending (\d+), retry (\d+)", out)
            if m and all(int(x) == 0 for x in m.groups()):
                break
            time.sleep(1)
        print(out.strip().splitlines()[1].strip() if out.strip() else "no ledger")

        per = collections.Counter(r for r, _ in rec.got)
        missing = [e for e in emails if per[e] == 0]
        duplicates = sum(n - 1 for n in per.values() if n > 1)
        same_id = sum(n - 1 for n in collections.Counter(rec.got).values() if n > 1)
        # The worker holds two messages per connection (one on the wire, one
        # being rendered or recorded); each can be accepted and not recorded.
        bound = 2 * POOL * len(kills)
        print(f"subscribers {a.subscribers}, kills {len(kills)}, messages received {len(rec.got)}")
        print(f"missing {len(missing)}, duplicates {duplicates} (with the same Message-ID: {same_id}); "
              f"bound: {bound} in flight at the kills")
        if len(kills) < a.kills:
            print(f"only {len(kills)} of {a.kills} kills landed mid-send")
            return 1
        if missing or duplicates > bound:
            return 1
        return 0
    finally:
        ctl.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
