#!/usr/bin/env python3
"""Parse speed: roundup against Python feedparser 6 on the same files, in one run.

usage: python3 bench/feeds_parse.py [--corpus ../shared/corpus/feeds] [--runs 5]
Needs: cargo build --release; pip install feedparser.
Both sides read every feed file under the corpus and parse it. roundup
runs `parse-feed --json` once over all files (its time includes one process
start-up and writing the JSON lines); feedparser runs in this process.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import summary  # noqa: E402


def files(root):
    """The corpus's feed files: those expected-feedparser.json lists (the
    folders also hold licences and test-suite notes)."""
    listed = os.path.join(root, "expected-feedparser.json")
    if os.path.exists(listed):
        return [os.path.join(root, rel) for rel in sorted(json.load(open(listed)))]
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            if n in ("SOURCE.txt", "LICENSE") or n.endswith((".md", ".txt")):
                continue
            out.append(os.path.join(d, n))
    return sorted(out)


def run_roundup(binary, paths):
    t = time.perf_counter()
    subprocess.run([binary, "parse-feed", "--json", *paths], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def run_feedparser(paths):
    import feedparser

    t = time.perf_counter()
    for p in paths:
        with open(p, "rb") as f:
            feedparser.parse(f.read())
    return time.perf_counter() - t


def measure(corpus, binary, runs=5, log=print):
    """Both parsers over every file, runs alternating. Returns seconds."""
    paths = files(corpus)
    if not paths:
        sys.exit(f"no feed files under {corpus}")
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(run_roundup(binary, paths))
        theirs.append(run_feedparser(paths))
    log(f"  parse {len(paths)} files: roundup {statistics.median(ours):.2f} s, "
        f"feedparser {statistics.median(theirs):.2f} s")
    return {"files": len(paths), "roundup_s": summary(ours), "feedparser_s": summary(theirs)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus/feeds")
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    r = measure(a.corpus, a.bin, a.runs, log=lambda *_: None)
    o, f = r["roundup_s"], r["feedparser_s"]
    print(f"files={r['files']} runs={a.runs}")
    print(f"roundup    median={o['median']:.2f}s min={o['min']:.2f}s max={o['max']:.2f}s")
    print(f"feedparser median={f['median']:.2f}s min={f['min']:.2f}s max={f['max']:.2f}s")
    print(f"parse speed: roundup is {f['median'] / o['median']:.1f}x faster than feedparser")


if __name__ == "__main__":
    sys.exit(main())
