#!/usr/bin/env python3
"""Every comparison with the tools people would use instead, in one run,
written up as docs/BENCHMARKS.md (with docs/benchmarks.json, the raw runs,
and docs/benchmarks-delivery.png).

    python3 bench/compare.py [--runs 5] [--only feeds,fetch,text,delivery]
        [--subscribers 1000,10000,30000,100000] [--baseline OTHER_ROUNDUP_BINARY]

bench/run.sh installs the peers and builds roundup first; this script
expects them in place:
- feeds:    roundup parse-feed against Python feedparser 6 (bench/feeds_parse.py)
- fetch:    roundup refresh / run against rss2email 3.14 (bench/fetch_send.py)
- text:     roundup summarize against trafilatura + sumy (bench/extract_summarize.py)
- delivery: roundup deliver against Postfix's smtp-source (bench/delivery_throughput.py)
- scale:    roundup publish over 1,000 to 100,000 items in the week (bench/publish_scale.py)
- week:     roundup publish over a real week of 23 news feeds (bench/publish_week.py)

With --only, the stages not measured keep their figures from the last
docs/benchmarks.json, each section saying which commit measured it.

--baseline times another build of roundup on fetch-and-send and on delivery
at 10,000 subscribers, beside the current one: the before and after of a
change, measured in the same run.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import delivery_throughput  # noqa: E402
import extract_summarize  # noqa: E402
import feeds_parse  # noqa: E402
import fetch_send  # noqa: E402
import publish_scale  # noqa: E402
import publish_week  # noqa: E402

SHARED = os.path.join(common.ROOT, "..", "shared", "corpus")
STAGES = ("feeds", "fetch", "text", "delivery", "scale", "week")


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    mem_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor() or "unknown")

    def version(pkg):
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    postfix = sh("dpkg-query", "-W", "-f=${Version}", "postfix")
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": model,
        "kernel": platform.release(),
        "rustc": sh("rustc", "--version"),
        "python": platform.python_version(),
        "commit": sh("git", "-C", common.ROOT, "rev-parse", "--short", "HEAD"),
        "peers": {
            "feedparser": version("feedparser"),
            "rss2email": version("rss2email"),
            "trafilatura": version("trafilatura"),
            "sumy": version("sumy"),
            "postfix (smtp-source, smtp-sink)": postfix,
        },
    }


def fmt_s(s, digits=2):
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def fmt_rate(s):
    return f"{s['median']:,.0f} ({s['min']:,.0f}–{s['max']:,.0f})"


def plot(delivery, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = delivery["points"]
    xs = [p["subscribers"] for p in pts]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for key, label, style in (("rate", "roundup deliver", "o-"), ("source_rate", "smtp-source (the limit)", "s--"),
                              ("baseline_rate", "roundup, baseline build", "^:")):
        have = [p for p in pts if key in p]
        if not have:
            continue
        x = [p["subscribers"] for p in have]
        med = [p[key]["median"] for p in have]
        lo = [p[key]["median"] - p[key]["min"] for p in have]
        hi = [p[key]["max"] - p[key]["median"] for p in have]
        a.errorbar(x, med, yerr=[lo, hi], fmt=style, capsize=3, label=label)
    a.set_xscale("log")
    a.set_xlabel("subscribers")
    a.set_ylabel("messages per second (median, min–max)")
    a.set_title(f"Delivery to smtp-sink, {delivery['sessions']} sessions, "
                f"{delivery['message_bytes'] / 1024:.0f} KB messages")
    a.set_ylim(bottom=0)
    a.grid(alpha=0.3)
    a.legend()
    b.plot(xs, [p["rss_mib"]["max"] for p in pts], "o-", label="roundup deliver, peak RSS (max of runs)")
    b.set_xscale("log")
    b.set_xlabel("subscribers")
    b.set_ylabel("MiB")
    b.set_ylim(0, max(p["rss_mib"]["max"] for p in pts) * 1.25)
    b.set_title("Memory against subscriber count")
    b.grid(alpha=0.3)
    b.legend()
    fig.tight_layout()
    fig.savefig(path)


def report(r, args):
    m = r["machine"]
    out = [
        "# Benchmarks",
        "",
        f"Written by `bench/run.sh` on {r['date']} (commit {m['commit']}); run it again rather than edit this "
        "page. How the slowest stages were profiled and what changed is in [PROFILING.md](PROFILING.md).",
        "",
        "Every comparison runs both sides in one run, on the same inputs, alternating run by run so both see "
        f"the same (shared, noisy) machine. Figures are the median of {args.runs} runs with the minimum and "
        "maximum in brackets; ratios are of medians. Absolute figures vary between runs of this page; the ratios "
        "hold better.",
        "",
    ]
    if r.get("earlier"):
        out += ["Kept from earlier runs (this one measured only the rest): "
                + "; ".join(f"{k} ({v})" for k, v in sorted(r["earlier"].items())) + ".", ""]
    out += [
        "## Headline",
        "",
        "| comparison | roundup | the other tool | ratio |",
        "|---|---|---|---|",
    ]

    def faster(what, ours, peer, theirs):
        ours, theirs = ours["median"], theirs["median"]
        return f"| {what} | {ours:.2f} s | {peer} {theirs:.2f} s | **{theirs / ours:.1f}× faster** |"

    if "feeds" in r:
        f = r["feeds"]
        out.append(faster(f"parse {f['files']:,} feed files", f["roundup_s"], "feedparser", f["feedparser_s"]))
    if "fetch" in r:
        f = r["fetch"]
        out.append(faster(f"fetch {f['feeds']} feeds (100 ms each)", f["roundup_fetch"], "rss2email",
                          f["r2e_fetch"]))
        out.append(faster("fetch, then send", f["roundup_send"], "rss2email", f["r2e_send"]))
    if "text" in r:
        t = r["text"]
        out.append(faster(f"extract and summarize {t['pages']} pages", t["roundup_s"], "trafilatura + sumy",
                          t["python_s"]))
    if "scale" in r:
        big = r["scale"]["points"][-1]
        out.append(f"| publish over {big['items']:,} items in the week | {big['seconds']:.2f} s, "
                   f"{big['peak_rss_mib']:.0f} MiB | | |")
    if "week" in r:
        w = r["week"]
        out.append(f"| publish the real week {w['week']} ({w['items']:,} items) | {w['cpu_seconds']:.2f} s CPU, "
                   f"{w['peak_rss_mib']:.0f} MiB | | |")
    if "delivery" in r:
        d = r["delivery"]
        p = next((p for p in d["points"] if p["subscribers"] == 10000), d["points"][0])
        if "source_rate" in p:
            out.append(f"| deliver to {p['subscribers']:,} subscribers | {p['rate']['median']:,.0f} msg/s | "
                       f"smtp-source {p['source_rate']['median']:,.0f} msg/s | **{p['rate']['median'] / p['source_rate']['median']:.2f}** "
                       "of the limit |")
        big = d["points"][-1]
        out.append(f"| peak memory, {big['subscribers']:,} subscribers | {big['rss_mib']['max']:.1f} MiB | | |")
    out += ["", "## Machine", ""]
    out.append(f"- {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB of memory, Linux {m['kernel']}")
    out.append(f"- {m['rustc']}; Python {m['python']}")
    out.append("- peers: " + ", ".join(f"{k} {v}" for k, v in m["peers"].items()))
    out.append("- everything (roundup, the peers, the HTTP server, smtp-sink) runs on this one machine, over loopback")
    out += ["", "## Commands", "", "```sh", "bench/run.sh            # installs the peers, builds roundup, runs:",
            f"python3 bench/compare.py --runs {args.runs} --subscribers {args.subscribers}"
            + (" --baseline BINARY" if args.baseline else ""), "```", "",
            "Each comparison also runs on its own: the script is named in its section."]
    if "feeds" in r:
        f = r["feeds"]
        out += ["", "## Feed parsing", "",
                f"`python3 bench/feeds_parse.py --runs {args.runs}`: every file of ../shared/corpus/feeds "
                f"({f['files']:,} files from four parser test suites, many malformed). roundup runs "
                "`parse-feed --json` once over all files (one process start included, JSON written); feedparser "
                "parses each file's bytes in the benchmark's own process.", "",
                "| | seconds |", "|---|---|",
                f"| roundup | {fmt_s(f['roundup_s'])} |",
                f"| feedparser {m['peers']['feedparser']} | {fmt_s(f['feedparser_s'])} |"]
    if "fetch" in r:
        f = r["fetch"]
        out += ["", "## Fetch, and fetch then send", "",
                f"`python3 bench/fetch_send.py --runs {args.runs}`: {f['feeds']} RSS feeds of "
                f"{f['items'] // f['feeds']} items on 200 loopback hosts, every request answered after "
                f"{f['delay_s'] * 1000:.0f} ms; each run starts from an empty database and an empty rss2email "
                "state file. Fetch is `roundup refresh` against `r2e run --no-send`. Fetch and send is `roundup run` "
                "(fetch, pick, fetch the picked stories' pages, summarize, render, send one digest to one "
                "subscriber) against `r2e run` (fetch, then one message per item, each over a new SMTP connection).",
                "",
                "| | roundup | rss2email |", "|---|---|---|",
                f"| fetch, seconds | {fmt_s(f['roundup_fetch'])} | {fmt_s(f['r2e_fetch'])} |",
                f"| fetch and send, seconds | {fmt_s(f['roundup_send'])} | {fmt_s(f['r2e_send'])} |",
                f"| messages sent | {f['roundup_messages']} | {f['r2e_messages']:,} |",
                f"| peak RSS, MiB (fetch and send) | {f['roundup_send_rss']['max']:.1f} | |"]
        if "baseline_send" in f:
            out.append(f"| fetch and send, {args.baseline_label}, seconds | {fmt_s(f['baseline_send'])} | |")
        out += ["", "rss2email fetches one feed after another, so its fetch time is about feeds × latency; roundup "
                "fetches 16 at a time (two per host)."]
    if "text" in r:
        t = r["text"]
        out += ["", "## Extraction and summaries", "",
                f"`python3 bench/extract_summarize.py --runs {args.runs}`: the {t['pages']} saved news pages of "
                f"../shared/corpus/extraction, {t['sentences']} sentences each. roundup runs `summarize --json` once "
                "over all pages (it extracts the main text, cleans it and summarizes it; start-up included). Python "
                "runs trafilatura.extract() on each page and then sumy's LexRank on the text, in the benchmark's "
                f"process, imports excluded. Sentences for sumy: {t['tokenizer']}.", "",
                "| | wall seconds | CPU seconds | empty summaries |", "|---|---|---|---|",
                f"| roundup | {fmt_s(t['roundup_s'], 3)} | {fmt_s(t['roundup_cpu_s'], 3)} | {t['roundup_empty']} |",
                f"| trafilatura {m['peers']['trafilatura']} + sumy {m['peers']['sumy']} | {fmt_s(t['python_s'], 3)} | "
                f"{fmt_s(t['python_cpu_s'], 3)} | {t['python_empty']} |",
                f"| of which trafilatura | {fmt_s(t['python_extract_s'], 3)} | | |",
                f"| of which sumy LexRank | {fmt_s(t['python_summarize_s'], 3)} | | |"]
    if "delivery" in r:
        d = r["delivery"]
        baseline = any("baseline_rate" in p for p in d["points"])
        out += ["", "## Delivery", "",
                f"`python3 bench/delivery_throughput.py --subscribers {args.subscribers} --runs {args.runs}`: the "
                f"demo's edition ({d['message_bytes'] / 1024:.1f} KB as sent, HTML and text) to N subscribers in "
                f"SQLite, over {d['sessions']} SMTP sessions into Postfix's smtp-sink. In the same run smtp-source, "
                "Postfix's own test client, sends N messages of the same size over the same number of sessions: it "
                "only writes a fixed buffer, so it is the most this machine's loopback and smtp-sink take. Of its "
                "two modes the faster here was used: "
                + ", ".join(f"{k} {v['median']:,.0f} msg/s" for k, v in d.get("source_modes", {}).items())
                + ". roundup's time is `roundup deliver` alone (the edition is published beforehand); peak RSS is "
                "that process's, read by GNU time.", "",
                "| subscribers | roundup msg/s | smtp-source msg/s | ratio | peak RSS MiB |"
                + (f" {args.baseline_label} msg/s |" if baseline else ""),
                "|---|---|---|---|---|" + ("---|" if baseline else "")]
        for p in d["points"]:
            src = p.get("source_rate")
            ratio = f"{p['rate']['median'] / src['median']:.2f}" if src else "–"
            row = (f"| {p['subscribers']:,} | {fmt_rate(p['rate'])} | {fmt_rate(src) if src else '–'} | {ratio} | "
                   f"{fmt_s(p['rss_mib'], 1)} |")
            if baseline:
                row += f" {fmt_rate(p['baseline_rate']) if 'baseline_rate' in p else ''} |"
            out.append(row)
        out += ["", "![Delivery throughput and peak memory against subscriber count](benchmarks-delivery.png)"]
    if "scale" in r:
        sc = r["scale"]
        out += ["", "## Publish at scale", "",
                f"`python3 bench/publish_scale.py --sizes {sc['sizes']}` (commit {sc['commit']}, {sc['date']}): N "
                "generated items in local RSS feeds of 500 items each (the default fetch.max_items_per_fetch), all "
                "within the week, stored by one `roundup refresh`; then `roundup publish` is timed (its refresh, "
                "which finds nothing new, included), with its peak RSS from GNU time. Titles and texts are drawn "
                "from a Zipf-skewed vocabulary, so some words are in thousands of items. One run per size.", "",
                "| items | seconds | CPU seconds | peak RSS MiB |", "|---|---|---|---|"]
        for p in sc["points"]:
            out.append(f"| {p['items']:,} | {p['seconds']:.2f} | {p['cpu_seconds']:.2f} | {p['peak_rss_mib']:.1f} |"
                       + (" timed out |" if p["timed_out"] else ""))
    if "week" in r:
        w = r["week"]
        out += ["", "## Publish over a real week", "",
                f"`python3 bench/publish_week.py --runs {w['runs']}` (commit {w.get('commit', '?')}, {w.get('date', '?')}): "
                f"the {w['week']} week's 23 news feeds (../shared/corpus/weeks) served on loopback and stored by one "
                "`roundup refresh` at the week's end under faketime; then `roundup publish` is timed, with its CPU "
                "time and peak RSS from GNU time. Linked pages are not fetched (a proxy that refuses): offline, the "
                "wall time is mostly waiting for the address guard's lookups of their hosts to fail, so the CPU time "
                "is roundup's own work.", "",
                "| items in the window | stories | wall seconds | CPU seconds | peak RSS MiB |", "|---|---|---|---|---|",
                f"| {w['items']:,} | {w['stories']} | {w['seconds']:.2f} | {w['cpu_seconds']:.2f} | {w['peak_rss_mib']:.0f} |"]
    out += ["", "The raw runs are in [benchmarks.json](benchmarks.json).", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default=",".join(STAGES))
    ap.add_argument("--subscribers", default="1000,10000,30000,100000")
    ap.add_argument("--baseline", help="another roundup build, measured beside this one")
    ap.add_argument("--bin", default=common.BIN)
    ap.add_argument("--baseline-label", default="baseline build",
                    help="what --baseline is, for the page (e.g. its commit)")
    ap.add_argument("--out", default=os.path.join(common.ROOT, "docs"))
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite BENCHMARKS.md and the plot from benchmarks.json, measuring nothing")
    args = ap.parse_args()
    if args.render_only:
        r = json.load(open(os.path.join(args.out, "benchmarks.json")))
        args.runs, args.subscribers = r["args"]["runs"], r["args"]["subscribers"]
        args.baseline, args.baseline_label = r["args"]["baseline"], r["args"]["baseline_label"]
        write(r, args)
        return
    if args.runs < 5:
        print("note: fewer than 5 runs; fine for a try, not for docs/BENCHMARKS.md", file=sys.stderr)
    binary = common.require_binary(args.bin)
    only = set(args.only.split(","))
    unknown = only - set(STAGES)
    if unknown:
        sys.exit(f"unknown stage(s) {', '.join(sorted(unknown))}; pick from {', '.join(STAGES)}")
    if not os.path.isdir(SHARED) and only & {"feeds", "text"}:
        sys.exit(f"{SHARED} is missing: the feeds and text comparisons read ../shared/corpus")
    r = {"date": datetime.date.today().isoformat(), "machine": machine(),
         "args": {"runs": args.runs, "subscribers": args.subscribers, "baseline": args.baseline,
                  "baseline_label": args.baseline_label}}
    print(f"roundup {r['machine']['commit']} on {r['machine']['cores']} cores; {args.runs} runs each", flush=True)
    if "feeds" in only:
        r["feeds"] = feeds_parse.measure(os.path.join(SHARED, "feeds"), binary, args.runs)
    if "fetch" in only:
        r["fetch"] = fetch_send.measure(200, 0.1, args.runs, binary, args.baseline)
    if "text" in only:
        r["text"] = extract_summarize.measure(os.path.join(SHARED, "extraction", "html"), binary, args.runs)
    if "delivery" in only:
        counts = [int(x) for x in args.subscribers.split(",")]
        r["delivery"] = delivery_throughput.measure(counts, 4, args.runs, binary, True, args.baseline, (10000,))
    if "scale" in only:
        sizes = "1000,10000,50000,100000"
        r["scale"] = {"sizes": sizes, "commit": r["machine"]["commit"], "date": r["date"],
                      "points": [publish_scale.measure(int(n), binary, 120) for n in sizes.split(",")]}
    if "week" in only:
        if os.path.isdir(publish_week.WEEK):
            r["week"] = {**publish_week.measure(publish_week.WEEK, binary, 3), "commit": r["machine"]["commit"],
                         "date": r["date"]}
        else:
            print("week: skipped, ../shared/corpus/weeks is absent", file=sys.stderr)
    previous = os.path.join(args.out, "benchmarks.json")
    if only != set(STAGES) and os.path.exists(previous):
        # A partial run keeps the other stages' last figures.
        old = json.load(open(previous))
        for stage in STAGES:
            if stage not in only and stage in old:
                r[stage] = old[stage]
                r.setdefault("earlier", {})[stage] = old.get("earlier", {}).get(
                    stage, f"commit {old['machine']['commit']} on {old['date']}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "benchmarks.json"), "w") as f:
        json.dump(r, f, indent=1)
    write(r, args)


def write(r, args):
    # Kept figures keep their plot.
    if "delivery" in r and "delivery" not in r.get("earlier", {}):
        plot(r["delivery"], os.path.join(args.out, "benchmarks-delivery.png"))
    with open(os.path.join(args.out, "BENCHMARKS.md"), "w") as f:
        f.write(report(r, args))
    print(f"wrote {os.path.join(args.out, 'BENCHMARKS.md')}")


if __name__ == "__main__":
    main()
