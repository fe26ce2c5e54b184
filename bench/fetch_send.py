#!/usr/bin/env python3
"""Fetch, and fetch then send: roundup against rss2email on the same feeds,
in one run.

N feeds (200) of 10 items each are served from loopback by a server that
answers every request after 100 ms. The feeds are spread over
127.0.0.1-127.0.0.250, one host a feed, as they would be on the web. Their
stories are real prose, so the classifier and the summarizer have their
usual work: the bundled demo's (config/demo/pages) and, when ../shared is
there, the 445 BBC articles of its sections corpus; each story then appears
in about four feeds. Items carry a one-paragraph excerpt and link to the
story's page, served by the same server with the same delay.

Each run starts from nothing (a new database, a new rss2email state file):

- fetch:          `roundup refresh`  against  `r2e run --no-send`
- fetch and send: `roundup run`      against  `r2e run`

Both send to Postfix's smtp-sink. They do not do the same work, and that is
the comparison a user makes: rss2email mails each new item on its own (one
message per item, one SMTP connection per message) to one address; roundup
picks the week's stories, fetches their pages, summarizes them and sends one
digest to each subscriber (one here).

    python3 bench/fetch_send.py [--feeds 200] [--delay 0.1] [--runs 5]

Needs `cargo build --release`, `pip install rss2email==3.14` and smtp-sink
(apt-get install postfix).
"""

import argparse
import email.utils
import html
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Sink, require_binary, run_measured, summary, with_database  # noqa: E402

ITEMS_PER_FEED = 10


def demo_stories():
    """(slug, title, excerpt, page) for each bundled demo page."""
    out = []
    pages = os.path.join(ROOT, "config", "demo", "pages")
    for name in sorted(os.listdir(pages)):
        if not name.endswith(".html"):
            continue
        page = open(os.path.join(pages, name), encoding="utf-8").read()
        title = re.search(r'og:title" content="([^"]+)"', page)
        para = re.search(r"<article.*?<p[^>]*>(.*?)</p>", page, re.S)
        if not title or not para:
            continue
        excerpt = html.unescape(re.sub(r"<[^>]+>", "", para.group(1))).strip()
        out.append((name[:-5], html.unescape(title.group(1)), excerpt, page.encode()))
    if not out:
        sys.exit("no demo pages under config/demo/pages")
    return out


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench News</title>
</head><body><header><a href="/">Bench News</a><nav><a href="/">Home</a> <a href="/business">Business</a>
<a href="/tech">Tech</a> <a href="/politics">Politics</a></nav></header><main><article><h1>{title}</h1>
<p class="byline">By Staff Reporter</p>{body}</article></main><aside><h2>Most read</h2><ul><li><a href="/">Other
story one</a></li><li><a href="/">Other story two</a></li></ul></aside><footer>&copy; Bench News. All rights
reserved. <a href="/privacy">Privacy</a></footer></body></html>"""


def corpus_stories(path):
    """The BBC articles of ../shared/corpus/sections (first line the title,
    the rest paragraphs), as pages with the usual site furniture."""
    import json

    out = []
    if not os.path.exists(path):
        return out
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        parts = [p.strip() for p in rec["article"].split("\n") if p.strip()]
        if len(parts) < 3:
            continue
        title, paras = parts[0][:1].upper() + parts[0][1:], parts[1:]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
        page = PAGE.format(title=html.escape(title), body=body).encode()
        out.append((rec["id"], title, paras[0], page))
    return out


def all_stories():
    """Distinct stories for the feeds: the demo's, and the BBC articles of
    ../shared when it is there (2,000 items then repeat each story about
    four times, as several outlets covering one event would)."""
    return demo_stories() + corpus_stories(os.path.join(ROOT, "..", "shared", "corpus", "sections", "bbc.jsonl"))


def host(i):
    return f"127.0.0.{1 + i % 250}"


class Server:
    """The feeds and their pages, every answer after `delay` seconds."""

    def __init__(self, feeds, delay):
        stories = all_stories()
        self.pages = {slug: page for slug, _, _, page in stories}
        now = time.time()
        self.feeds = {}
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                time.sleep(delay)
                path = self.path.split("?", 1)[0]
                if path.startswith("/feed/"):
                    body, kind = srv.feeds.get(path[len("/feed/"):]), "application/rss+xml"
                else:
                    body, kind = srv.pages.get(path.rsplit("/", 1)[-1].removesuffix(".html")), "text/html"
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        ThreadingHTTPServer.daemon_threads = True
        ThreadingHTTPServer.request_queue_size = 1024
        self.http = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
        self.port = self.http.server_address[1]
        for i in range(feeds):
            items = []
            for j in range(ITEMS_PER_FEED):
                slug, title, excerpt, _ = stories[(i * ITEMS_PER_FEED + j) % len(stories)]
                link = f"http://{host(i)}:{self.port}/page/{slug}.html?feed={i}"
                date = email.utils.formatdate(now - 3600 * (1 + (i + j * 7) % 120), usegmt=True)
                items.append(
                    f"<item><title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
                    f'<guid isPermaLink="false">bench-{i}-{j}</guid><pubDate>{date}</pubDate>'
                    f"<description>{html.escape(excerpt)}</description></item>")
            self.feeds[str(i)] = (
                f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench feed {i}</title>'
                f"<link>http://{host(i)}:{self.port}/</link><description>Feed {i}</description>{''.join(items)}"
                "</channel></rss>").encode()
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, i):
        return f"http://{host(i)}:{self.port}/feed/{i}"

    def stop(self):
        self.http.shutdown()


def roundup_config(path, db, server, feeds, sink_port):
    demo = open(os.path.join(ROOT, "config", "demo.toml")).read()
    head = demo[: demo.index("[[feeds]]")]
    head = with_database(head, f"sqlite://{db}")
    # This config sits in the work folder, not in a config/ beside it: the
    # demo's ../ would reach outside. Neither is written with smtp and no
    # archive, but they stay inside the work folder all the same.
    head = head.replace('outbox_dir = "../outbox"', 'outbox_dir = "outbox"')
    head = head.replace('dir = "../archive"', 'dir = "archive"')
    head = head.replace("[archive]\nenabled = true", "[archive]\nenabled = false")
    head = head.replace('transport = "outbox"', 'transport = "smtp"')
    with open(path, "w") as f:
        f.write(head)
        f.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {sink_port}\ntls = "none"\n')
        for i in range(feeds):
            f.write(f'\n[[feeds]]\nurl = "{server.url(i)}"\nname = "Bench feed {i}"\n')
        f.write('\n[[subscribers]]\nemail = "reader@example.com"\n')


def r2e_config(path, server, feeds, sink_port):
    with open(path, "w") as f:
        f.write("[DEFAULT]\nto = reader@example.com\nfrom = r2e@example.com\nemail-protocol = smtp\n"
                f"smtp-server = 127.0.0.1:{sink_port}\nsmtp-auth = False\nsmtp-ssl = False\n"
                "feed-timeout = 30\n")
        for i in range(feeds):
            f.write(f"\n[feed.bench{i}]\nurl = {server.url(i)}\n")


def r2e():
    path = shutil.which("r2e")
    if not path:
        sys.exit("r2e not found: pip install rss2email==3.14")
    return path


def measure(feeds=200, delay=0.1, runs=5, binary=BIN, baseline=None, log=print):
    """`baseline`, another roundup binary, is timed on fetch and send too
    (a before/after)."""
    binary = require_binary(binary)
    server = Server(feeds, delay)
    sink = Sink()
    work = tempfile.mkdtemp(prefix="roundup-fetch-")
    samples = {k: [] for k in ("roundup_fetch", "roundup_send", "r2e_fetch", "r2e_send",
                               "roundup_fetch_rss", "roundup_send_rss", "baseline_send")}
    mails = {"roundup": 0, "r2e": 0}
    try:
        r2e_cfg = os.path.join(work, "r2e.cfg")
        r2e_config(r2e_cfg, server, feeds, sink.port)
        for r in range(runs):
            for label, args in (("fetch", ["refresh"]), ("send", ["run"])):
                cfg = os.path.join(work, f"roundup-{label}-{r}.toml")
                roundup_config(cfg, os.path.join(work, f"{label}-{r}.db"), server, feeds, sink.port)
                before = sink.count()
                secs, rss, _, out = run_measured([binary, "--config", cfg, *args], cwd=work)
                if label == "send":
                    time.sleep(0.2)
                    mails["roundup"] = sink.count() - before
                samples[f"roundup_{label}"].append(secs)
                samples[f"roundup_{label}_rss"].append(rss)
            if baseline:
                cfg = os.path.join(work, f"baseline-{r}.toml")
                roundup_config(cfg, os.path.join(work, f"baseline-{r}.db"), server, feeds, sink.port)
                secs, _, _, _ = run_measured([require_binary(baseline), "--config", cfg, "run"], cwd=work)
                samples["baseline_send"].append(secs)
            for label, extra in (("fetch", ["--no-send"]), ("send", [])):
                data = os.path.join(work, f"r2e-{label}-{r}.json")
                before = sink.count()
                secs, _, _, _ = run_measured([r2e(), "-c", r2e_cfg, "-d", data, "run", *extra], cwd=work)
                if label == "send":
                    time.sleep(0.2)
                    mails["r2e"] = sink.count() - before
                samples[f"r2e_{label}"].append(secs)
        result = {k: summary(v) for k, v in samples.items() if v}
        result.update(feeds=feeds, items=feeds * ITEMS_PER_FEED, delay_s=delay,
                      roundup_messages=mails["roundup"], r2e_messages=mails["r2e"])
        med = lambda k: result[k]["median"]  # noqa: E731
        log(f"  fetch {feeds} feeds: roundup {med('roundup_fetch'):.2f} s, rss2email {med('r2e_fetch'):.2f} s; "
            f"fetch and send: roundup {med('roundup_send'):.2f} s ({mails['roundup']} message), "
            f"rss2email {med('r2e_send'):.2f} s ({mails['r2e']} messages)")
        return result
    finally:
        sink.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", help="another roundup binary to time on fetch and send")
    a = ap.parse_args()
    measure(a.feeds, a.delay, a.runs, a.bin, a.baseline)


if __name__ == "__main__":
    main()
