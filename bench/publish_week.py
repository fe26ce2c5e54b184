#!/usr/bin/env python3
"""Publish over a real week: the 23 news feeds of ../shared/corpus/weeks/2026-W05 (about 3,700 items in
the window), served on loopback, refreshed once, then `roundup publish` timed at the week's end under
faketime, with its peak RSS from GNU time. Linked pages are not fetched (a proxy that refuses), so the
figure is roundup's own work: parse what is stored, classify, cluster, rank, summarize, render, store.

usage: python3 bench/publish_week.py [--week ../shared/corpus/weeks/2026-W05] [--bin target/release/roundup]
                                     [--runs 3]
Prints one line: `publish_week items=N seconds=S cpu_seconds=C (best of R) peak_rss_mib=M stories=K`.
Offline, most of the wall time is waiting: each linked page's host is resolved (and checked against
the address guard) before the refusing proxy is tried, and with no network the lookups time out.
cpu_seconds (user + system) is roundup's own work.
Skips (exit 0, with a note) when ../shared is absent.
"""
import argparse, json, os, re, shutil, socket, sqlite3, subprocess, sys, tempfile, time, datetime

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL = os.path.join(HERE, "..", "..", "shared", "eval")


WEEK = os.path.join(HERE, "..", "..", "shared", "corpus", "weeks", "2026-W05")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--week", default=WEEK)
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if not os.path.isdir(a.week) or not os.path.isdir(EVAL):
        print(f"publish_week: skipped, no week at {a.week} (../shared is absent)")
        return
    r = measure(a.week, a.bin, a.runs)
    print(f"publish_week items={r['items']} seconds={r['seconds']:.2f} cpu_seconds={r['cpu_seconds']:.2f} "
          f"(best of {r['runs']}) peak_rss_mib={r['peak_rss_mib']} stories={r['stories']}")


def measure(week_dir, bin_path, runs):
    """The fastest of `runs` publishes over the week, with its CPU time, and the largest peak RSS."""
    a = argparse.Namespace(week=week_dir, bin=bin_path, runs=runs)
    sys.path.insert(0, EVAL)
    import week as replay  # the scorer's own feed server and config, so the run is the scored one
    binary = os.path.abspath(a.bin)
    if not os.path.exists(binary):
        sys.exit(f"no binary at {a.bin}: build it first (cargo build --release)")
    gnu_time = shutil.which("time") or "/usr/bin/time"
    week = json.load(open(os.path.join(a.week, "week.json")))
    now = datetime.datetime.fromisoformat(week["now"].replace("Z", "+00:00"))
    stamp = now.strftime("@%Y-%m-%d %H:%M:%S")
    ft = replay.faketime_bin()
    best, cpu, rss, stories, items = None, 0.0, 0, 0, 0
    for _ in range(a.runs):
        work = tempfile.mkdtemp(prefix="publish-week-")
        srv = replay.serve(a.week)
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        try:
            conf = os.path.join(work, "roundup.toml")
            replay.write_config(conf, week, srv.server_address[1], work, 5)
            env = {k: v for k, v in os.environ.items() if not k.startswith("ROUNDUP_")}
            env.update(TZ="UTC", ROUNDUP_LOG="roundup=warn", NO_PROXY="127.0.0.1,localhost",
                       no_proxy="127.0.0.1,localhost")
            for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
                env[k] = f"http://127.0.0.1:{dead.getsockname()[1]}"
            subprocess.run([ft, "-f", stamp, binary, "refresh", "--config", conf], cwd=work, env=env,
                           capture_output=True, check=False)
            db = sqlite3.connect(os.path.join(work, "roundup.db"))
            since = int(now.timestamp()) - 7 * 86400
            items = db.execute("SELECT COUNT(*) FROM items WHERE published_at >= ?", (since,)).fetchone()[0]
            db.close()
            t = time.time()
            p = subprocess.run([gnu_time, "-v", ft, "-f", stamp, binary, "publish", "--config", conf], cwd=work,
                               env=env, capture_output=True, text=True)
            spent = time.time() - t
            if p.returncode not in (0, 2):
                sys.exit(f"roundup publish exited {p.returncode}: {p.stderr[-2000:]}")
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
            cpu_s = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", p.stderr))
            m_st = re.search(r"with (\d+) stor", p.stdout)
            if best is None or spent < best:
                best, cpu = spent, cpu_s
            rss = max(rss, int(m.group(1)) // 1024 if m else 0)
            stories = int(m_st.group(1)) if m_st else stories
        finally:
            dead.close()
            srv.shutdown()
            srv.server_close()
            shutil.rmtree(work, ignore_errors=True)
    return {"week": os.path.basename(os.path.normpath(week_dir)), "items": items, "seconds": best,
            "cpu_seconds": cpu, "runs": runs, "peak_rss_mib": rss, "stories": stories}


if __name__ == "__main__":
    main()
