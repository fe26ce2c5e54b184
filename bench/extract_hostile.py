#!/usr/bin/env python3
"""Pages and feed files built to exhaust roundup: time and peak RSS of one
`roundup extract --json PAGE` (or `parse-feed`) per input, and what it made of
it (refused, and why, or the words extracted).

usage: python3 bench/extract_hostile.py [--bin target/release/roundup] [--runs 3]
Needs: cargo build --release; GNU time (apt-get install time)

The inputs are generated in a temporary folder, never stored:
- deep N: N nested <div>s around one word (issue 18: 20,000 took a minute);
- wide 10 MiB: short paragraphs up to the fetch cap (140,000 elements);
- wide 49k: nearly the most short paragraphs that stay under the element limit;
- forest N: N chains of 397 nested <div>s; 120 stay under the depth and
  element limits but not under the depth sum, 60 stay under all three (the
  slowest kind of page still extracted).
- feed 200 MB: a sparse file given to parse-feed, over its byte cap.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PARAGRAPH = "<p>The quarterly report showed steady growth in several regions this year.</p>\n"
CAP = 10 * 1024 * 1024


def deep(n):
    return f"<html><body>{'<div>' * n}hello{'</div>' * n}</body></html>"


def wide(count):
    return f"<html><body>{PARAGRAPH * count}</body></html>"


def forest(chains):
    chain = "<div>" * 397 + "<p>Some words in the innermost box.</p>" + "</div>" * 397
    return f"<html><body>{chain * chains}</body></html>"


def inputs(folder):
    pages = [
        ("deep 5,000", deep(5_000)),
        ("deep 20,000", deep(20_000)),
        ("deep 200,000", deep(200_000)),
        ("wide 10 MiB", wide((CAP - 100) // len(PARAGRAPH))),
        ("wide 49k paragraphs", wide(49_000)),
        ("forest 120 x 397 deep", forest(120)),
        ("forest 60 x 397 deep", forest(60)),
    ]
    for i, (name, html) in enumerate(pages):
        path = os.path.join(folder, f"page{i}.html")
        with open(path, "w") as f:
            f.write(html)
        yield name, ["extract", "--json", path], path
    path = os.path.join(folder, "huge.xml")
    with open(path, "wb") as f:
        f.truncate(200_000_000)
    yield "feed 200 MB (parse-feed)", ["parse-feed", "--json", path], path


def outcome(stdout):
    line = json.loads(stdout.strip().splitlines()[-1])
    if line.get("error"):
        return "refused: " + line["error"]
    return f"extracted {len(line.get('text', '').split()):,} words"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=common.BIN)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    binary = common.require_binary(args.bin)
    print(f"{'input':<26} {'bytes':>12} {'median s':>9} {'max s':>7} {'CPU s':>6} {'peak MiB':>9}  result")
    with tempfile.TemporaryDirectory() as folder:
        for name, cmd, path in inputs(folder):
            times, peaks, cpus, out = [], [], [], ""
            for _ in range(args.runs):
                elapsed, rss, cpu, out = common.run_measured([binary, *cmd])
                times.append(elapsed)
                peaks.append(rss)
                cpus.append(cpu)
            s = common.summary(times)
            size = os.path.getsize(path)
            print(f"{name:<26} {size:>12,} {s['median']:>9.3f} {s['max']:>7.3f} "
                  f"{max(cpus):>6.2f} {max(peaks):>9.1f}  {outcome(out)}")


if __name__ == "__main__":
    main()
