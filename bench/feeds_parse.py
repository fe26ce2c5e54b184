#!/usr/bin/env python3
"""Parse speed: roundup against Python feedparser 6 on the same files, in one run.

usage: python3 bench/feeds_parse.py [--corpus ../shared/corpus/feeds] [--runs 3]
Needs: cargo build --release; pip install feedparser.
Both sides read every feed file under the corpus and parse it. roundup
runs `parse-feed --json` once over all files (its time includes one process
start-up and writing the JSON lines); feedparser runs in this process.
"""
import argparse, os, statistics, subprocess, sys, time


def files(root):
    out = []
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(".json") and n.startswith("expected"):
                continue
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus/feeds")
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    paths = files(a.corpus)
    ours, theirs = [], []
    for _ in range(a.runs):
        ours.append(run_roundup(a.bin, paths))
        theirs.append(run_feedparser(paths))
    o, f = statistics.median(ours), statistics.median(theirs)
    print(f"files={len(paths)} runs={a.runs}")
    print(f"roundup    median={o:.2f}s min={min(ours):.2f}s max={max(ours):.2f}s")
    print(f"feedparser median={f:.2f}s min={min(theirs):.2f}s max={max(theirs):.2f}s")
    print(f"parse speed: roundup is {f / o:.1f}x faster than feedparser")


if __name__ == "__main__":
    sys.exit(main())
