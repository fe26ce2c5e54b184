#!/usr/bin/env python3
"""Fetch benchmark: N feeds from a local HTTP server that delays every
response by 100 ms, fetched by `roundup refresh`; then a second pass in
which every feed answers 304.

usage: python3 bench/feeds_fetch.py [--feeds 1000] [--delay 0.1] [--concurrency 16]
Needs: cargo build --release. Only loopback addresses are used: the feeds are
spread over 127.0.0.1-127.0.0.250 so that the per-host cap (2) does not
hide the global concurrency being measured.
Prints wall time against the ideal (feeds x delay / concurrency), peak RSS,
and how many response bodies each pass transferred.
"""
import argparse, os, re, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODIES = {"count": 0}
LOCK = threading.Lock()


def feed(i):
    items = "".join(
        f"<item><title>Feed {i} story {j}</title><link>https://example.com/{i}/{j}</link><guid>f{i}-{j}</guid>"
        f"<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate><description>Story {j} of feed {i}.</description></item>"
        for j in range(10)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>{items}</channel></rss>'.encode()


class Handler(BaseHTTPRequestHandler):
    delay = 0.1

    def do_GET(self):
        time.sleep(self.delay)
        etag = '"v1"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        i = int(self.path.rsplit("/", 1)[-1])
        body = feed(i)
        with LOCK:
            BODIES["count"] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def run(binary, config):
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", binary, "refresh", "--config", config],
                       capture_output=True, text=True, env={**os.environ, "ROUNDUP_LOG": "warn"})
    wall = time.perf_counter() - t
    rss = re.search(r"maxrss_kb=(\d+)", p.stderr)
    summary = [l for l in p.stdout.splitlines() if l.startswith("refreshed")]
    return wall, int(rss.group(1)) if rss else -1, summary[-1] if summary else p.stdout[-300:] + p.stderr[-300:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=16)
    a = ap.parse_args()
    Handler.delay = a.delay
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    binary = os.path.abspath(a.bin)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "bench.toml")
        with open(cfg, "w") as f:
            f.write(f'[database]\nurl = "sqlite://{tmp}/bench.db"\n[fetch]\nconcurrency = {a.concurrency}\nper_host = 2\n')
            for i in range(a.feeds):
                f.write(f'[[feeds]]\nurl = "http://127.0.0.{1 + i % 250}:{port}/feed/{i}"\nname = "feed {i}"\n')
        ideal = a.feeds * a.delay / a.concurrency
        for label in ("first pass (200)", "second pass (304)"):
            before = BODIES["count"]
            wall, rss, summary = run(binary, cfg)
            bodies = BODIES["count"] - before
            print(f"{label}: wall={wall:.2f}s ideal={ideal:.2f}s ratio={wall / ideal:.2f} peak_rss={rss / 1024:.1f}MiB bodies={bodies} | {summary}")
    srv.shutdown()


if __name__ == "__main__":
    sys.exit(main())
