#!/usr/bin/env python3
"""`roundup serve` under load: delivery rate and HTTP latency while it sends.

For each runtime setting (service.worker_threads: 1 is tokio's
single-threaded runtime, 0 one thread per core), the script starts
`roundup serve` on the demo feeds with N subscribers, asks for the send
through the admin API, and times the delivery to Postfix's smtp-sink
(from the API's 202 to the ledger showing nothing pending). Meanwhile two
clients keep requesting a subscriber's unsubscribe page (a database read
and a template) and /healthz, and their latencies are kept.

    python3 bench/serve_load.py [--subscribers 10000] [--runs 3] [--threads 1,0]

Needs smtp-sink (apt-get install postfix) and target/release/roundup.
"""

import argparse
import hashlib
import hmac
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import delivery_throughput as dt  # noqa: E402

TOKEN = "bench-admin-token-0123456789"
SECRET = "demo-secret-not-for-production"


def request(url, method="GET", timeout=30):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def unsubscribe_path(sub_id, email):
    mac = hmac.new(SECRET.encode(), f"unsubscribe:{sub_id}:{email}".encode(), hashlib.sha256)
    return f"/u/{sub_id}.{mac.hexdigest()[:32]}"


def probe(base, path, stop, out):
    while not stop.is_set():
        t = time.perf_counter()
        try:
            request(base + path)
            out.append(time.perf_counter() - t)
        except OSError:
            pass
        time.sleep(0.01)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else float("nan")


def one_run(work, sink_port, n, threads, run_no):
    http_port = common.free_port()
    db = os.path.join(work, f"serve-{n}-{threads}-{run_no}.db")
    cfg = os.path.join(work, "config", f"serve-{n}-{threads}-{run_no}.toml")
    text = dt.config("smtp", sink_port, 4, db)
    text += (f'\n[service]\nbind = "127.0.0.1:{http_port}"\nadmin_token = "{TOKEN}"\n'
             f"worker_threads = {threads}\nlog_format = \"json\"\n"
             f'\n[schedule]\npublish = "0 0 8 1 1 *"\ncatch_up_secs = 0\n')
    with open(cfg, "w") as f:
        f.write(text)
    dt.run([dt.BIN, "--config", cfg, "subscribers", "list"], work)
    dt.add_subscribers(db, n)
    env = dict(os.environ, ROUNDUP_LOG="error")
    serve = subprocess.Popen([dt.BIN, "--config", cfg, "serve"], cwd=work, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(200):
            try:
                request(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("serve did not answer: " + serve.stderr.read().decode())
        stop = threading.Event()
        unsub, health = [], []
        probes = [threading.Thread(target=probe, args=(base, unsubscribe_path(1, "reader0@example.com"), stop, unsub)),
                  threading.Thread(target=probe, args=(base, "/healthz", stop, health))]
        # The send waits for the start-up refresh; the clock starts at its 202.
        status, _ = request(base + "/api/send", method="POST", timeout=120)
        assert status == 202, status
        t0 = time.perf_counter()
        for p in probes:
            p.start()
        while True:
            _, body = request(base + "/api/deliveries")
            d = json.loads(body)
            if d["pending"] == 0:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        stop.set()
        for p in probes:
            p.join()
        if d["counts"]["sent"] != n:
            sys.exit(f"sent {d['counts']['sent']} of {n}")
        return n / elapsed, unsub, health
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", default="1,0", help="service.worker_threads values to compare")
    ap.add_argument("--bin", default=dt.BIN)
    a = ap.parse_args()
    dt.BIN = os.path.abspath(a.bin)
    if not os.path.exists(dt.BIN):
        sys.exit(f"{dt.BIN} is missing: run cargo build --release first")
    work = tempfile.mkdtemp(prefix="roundup-serve-bench-")
    sink = common.Sink()
    sink_port = sink.port
    settings = [int(x) for x in a.threads.split(",")]
    results = {t: ([], [], []) for t in settings}
    try:
        shutil.copytree(os.path.join(dt.ROOT, "config"), os.path.join(work, "config"))
        for r in range(a.runs):
            for t in settings:  # alternated, so each sees the same machine
                rate, unsub, health = one_run(work, sink_port, a.subscribers, t, r)
                results[t][0].append(rate)
                results[t][1].extend(unsub)
                results[t][2].extend(health)
        print(f"{a.subscribers} subscribers, 4 SMTP connections, {a.runs} runs each, {os.cpu_count()} cores")
        print(f"{'worker_threads':>14} {'msg/s':>7} {'unsub p50 ms':>12} {'unsub p99 ms':>12} "
              f"{'healthz p50':>11} {'healthz p99':>11} {'requests':>8}")
        for t, (rates, unsub, health) in results.items():
            label = {0: "0 (per core)", 1: "1 (single)"}.get(t, str(t))
            print(f"{label:>14} {statistics.median(rates):>7.0f} {pct(unsub, 0.5):>12.1f} {pct(unsub, 0.99):>12.1f} "
                  f"{pct(health, 0.5):>11.1f} {pct(health, 0.99):>11.1f} {len(unsub) + len(health):>8}")
            print(f"{'':>14} runs msg/s: {', '.join(f'{x:.0f}' for x in rates)}")
    finally:
        sink.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
