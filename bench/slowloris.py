#!/usr/bin/env python3
"""`roundup serve` against slow clients, on loopback only.

Starts `roundup serve` on the demo feeds under a file limit (1024 by
default, the usual soft limit outside the systemd unit), opens N
connections that each send one byte of a request head every few seconds
and never finish it, and meanwhile asks for /healthz once a second on a
fresh connection. Reports /healthz's latencies (and failures), and when the
server closed the slow clients: right away (no room: evicted or refused) or
once the header timeout had passed.

    python3 bench/slowloris.py [--clients 2000] [--interval 5] [--seconds 40]
                               [--nofile 1024] [--bin target/release/roundup]

Bounded: N connections (at most 5,000), at most 120 s, 127.0.0.1 only.
"""

import argparse
import errno
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import delivery_throughput as dt  # noqa: E402

HEAD = b"GET /archive/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000


def probe(port, stop, out):
    """One /healthz a second, each on a new connection; None is a failure."""
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                reply = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            ok = reply.startswith(b"HTTP/1.1 200")
            out.append((time.perf_counter() - t0) if ok else None)
        except OSError:
            out.append(None)
        stop.wait(max(0.0, 1.0 - (time.perf_counter() - t0)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between a slow client's bytes")
    ap.add_argument("--seconds", type=float, default=40.0, help="how long to keep probing")
    ap.add_argument("--nofile", type=int, default=1024, help="serve's file limit")
    ap.add_argument("--header-timeout", type=int, default=None,
                    help="service.header_timeout_secs to set (default: the built-in one)")
    ap.add_argument("--bin", default=dt.BIN)
    a = ap.parse_args()
    a.clients = min(a.clients, 5000)
    a.seconds = min(a.seconds, 120.0)
    binary = os.path.abspath(a.bin)
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: run cargo build --release first")
    # This side holds every slow client's socket.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.clients + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    work = tempfile.mkdtemp(prefix="roundup-slowloris-")
    shutil.copytree(os.path.join(dt.ROOT, "config"), os.path.join(work, "config"))
    port = common.free_port()
    cfg = os.path.join(work, "config", "slowloris.toml")
    text = dt.config("outbox", 2525, 1, os.path.join(work, "slowloris.db"))
    text += (f'\n[service]\nbind = "127.0.0.1:{port}"\nlog_format = "json"\n'
             + (f"header_timeout_secs = {a.header_timeout}\n" if a.header_timeout else "")
             + '\n[schedule]\npublish = "0 0 8 1 1 *"\ncatch_up_secs = 0\n')
    with open(cfg, "w") as f:
        f.write(text)

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (a.nofile, a.nofile))

    serve = subprocess.Popen([binary, "--config", cfg, "serve"], cwd=work, preexec_fn=limit,
                             env=dict(os.environ, ROUNDUP_LOG="error"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    try:
        common.wait_for_port(port, "roundup serve", serve)
        stop = threading.Event()
        health = []
        prober = threading.Thread(target=probe, args=(port, stop, health))
        prober.start()
        start = time.perf_counter()
        clients = {}  # socket -> [opened at, bytes sent, closed at, connected]
        failed_connects = 0
        # Non-blocking connects: past the listen queue the kernel drops SYNs,
        # and a blocking connect would wait out its retries one by one.
        for _ in range(a.clients):
            s = socket.socket()
            s.setblocking(False)
            err = s.connect_ex(("127.0.0.1", port))
            if err not in (0, errno.EINPROGRESS):
                failed_connects += 1
                s.close()
                continue
            clients[s] = [time.perf_counter(), 0, None, False]
            sel.register(s, selectors.EVENT_WRITE)
        opened = time.perf_counter() - start
        next_byte = time.perf_counter() + a.interval
        while time.perf_counter() - start < a.seconds:
            for key, events in sel.select(timeout=0.2):
                s = key.fileobj
                st = clients[s]
                if not st[3]:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        failed_connects += 1
                        st[2] = time.perf_counter()
                        sel.unregister(s)
                        continue
                    st[3] = True
                    st[0] = time.perf_counter()
                    try:
                        s.send(HEAD[:1])
                        st[1] = 1
                    except OSError:
                        pass
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    st[2] = time.perf_counter()
                    sel.unregister(s)
            if time.perf_counter() >= next_byte:
                next_byte += a.interval
                for s, st in clients.items():
                    if st[3] and st[2] is None and st[1] < len(HEAD):
                        try:
                            s.send(HEAD[st[1]:st[1] + 1])
                            st[1] += 1
                        except OSError as e:
                            if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                                st[2] = time.perf_counter()
                                sel.unregister(s)
        stop.set()
        prober.join()
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
        sel.close()
        shutil.rmtree(work, ignore_errors=True)

    timeout = a.header_timeout or 10
    lived = [st[2] - st[0] for st in clients.values() if st[2] is not None and st[3]]
    early = sum(1 for t in lived if t < timeout - 0.5)
    late = len(lived) - early
    still = sum(1 for st in clients.values() if st[2] is None and st[3])
    never = sum(1 for st in clients.values() if not st[3])
    ok = [t for t in health if t is not None]
    print(f"slow clients: {len(clients)} opened in {opened:.1f} s ({never} never connected, "
          f"{failed_connects} connects failed), "
          f"a byte every {a.interval:g} s; serve under nofile={a.nofile}")
    print(f"  closed by the server before {timeout - 0.5:g} s: {early}; "
          f"after: {late} (longest lived {max(lived, default=0):.1f} s); still open after {a.seconds:g} s: {still}")
    if ok:
        ok_sorted = sorted(ok)
        print(f"/healthz: {len(health)} probes, {len(health) - len(ok)} failed; "
              f"p50 {ok_sorted[len(ok) // 2] * 1000:.1f} ms, max {ok_sorted[-1] * 1000:.1f} ms")
    else:
        print(f"/healthz: {len(health)} probes, all failed")


if __name__ == "__main__":
    main()
