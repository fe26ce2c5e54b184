#!/usr/bin/env python3
"""How publish grows with the week's items: N generated items in local RSS
feeds (500 per feed, dated within the last six days), stored by one
`roundup refresh`, then `roundup publish` timed with its peak RSS.

    python3 bench/publish_scale.py [--sizes 1000,10000] [--bin PATH] [--timeout S]

The items are made from a fixed seed: titles and descriptions drawn from a
vocabulary with a Zipf-like skew, so some words are common to many items
(as "Apple" or "Trump" are in a real week) and most are rare. A size that
runs past --timeout is reported as such and the larger ones are skipped.
"""

import argparse
import datetime
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# At the default fetch.max_items_per_fetch, so every item is stored.
PER_FEED = 500
VOCABULARY = 5000


def words(rng, n):
    # Zipf-like: word k is drawn with weight 1/k.
    return [f"w{int(VOCABULARY ** rng.random())}" for _ in range(n)]


def feed_xml(rng, feed, count, now):
    items = []
    for i in range(count):
        when = now - datetime.timedelta(seconds=rng.randrange(6 * 86400))
        title = " ".join(words(rng, rng.randrange(5, 11))).capitalize()
        text = " ".join(words(rng, 45)) + "."
        items.append(
            f"<item><title>{title}</title><link>https://f{feed}.example.com/{i}</link>"
            f"<guid>f{feed}-{i}</guid><pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{text}</description></item>"
        )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title>'
        + "".join(items)
        + "</channel></rss>"
    )


def config(feeds):
    parts = [
        '[newsletter]\nname = "Scale"\nfrom = "Scale <s@example.com>"\n'
        'secret = "scale-benchmark-secret"\n\n'
        '[database]\nurl = "sqlite://state/scale.db"\n\n'
        '[delivery]\noutbox_dir = "outbox"\n\n'
        "[summary]\nexcerpt_words = 10\n"
    ]
    for f in range(feeds):
        section = "tech" if f % 2 else "business"
        parts.append(f'\n[[feeds]]\nurl = "feeds/f{f}.xml"\nsection = "{section}"\n')
    return "".join(parts)


def measure(n, binary, timeout):
    rng = random.Random(n)
    now = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "feeds"))
        feeds = math.ceil(n / PER_FEED)
        for f in range(feeds):
            count = min(PER_FEED, n - f * PER_FEED)
            with open(os.path.join(d, "feeds", f"f{f}.xml"), "w") as out:
                out.write(feed_xml(rng, f, count, now))
        with open(os.path.join(d, "scale.toml"), "w") as out:
            out.write(config(feeds))
        subprocess.run(
            [binary, "--config", "scale.toml", "refresh"],
            cwd=d, check=True, stdout=subprocess.DEVNULL,
            env={**os.environ, "ROUNDUP_LOG": "error"},
        )
        cmd = ["timeout", str(timeout), binary, "--config", "scale.toml", "publish"]
        start = time.perf_counter()
        seconds, rss, cpu, _ = common.run_measured(cmd, cwd=d, ok=(0, 2, 124, 137))
        timed_out = seconds >= timeout - 0.5 or time.perf_counter() - start >= timeout
        return {"items": n, "seconds": round(seconds, 2), "peak_rss_mib": round(rss, 1),
                "cpu_seconds": round(cpu, 2), "timed_out": timed_out}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000,50000,100000")
    p.add_argument("--bin", default=common.BIN)
    p.add_argument("--timeout", type=int, default=120)
    a = p.parse_args()
    binary = os.path.abspath(a.bin)
    common.require_binary(binary)
    for n in (int(s) for s in a.sizes.split(",")):
        r = measure(n, binary, a.timeout)
        print(json.dumps(r), flush=True)
        if r["timed_out"]:
            print(f"{n} items ran past {a.timeout} s; larger sizes skipped", file=sys.stderr)
            break


if __name__ == "__main__":
    main()
