"""What the benchmark scripts share: the binary, Postfix's tools, a free
port, a sink, a child process timed with its peak RSS, and the summary of
repeated runs."""

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "roundup")
# config/demo.toml's database line, relative to the config's own folder.
DEMO_DATABASE = 'url = "sqlite://../data/demo.db"'


def tool(name):
    for d in ("/usr/sbin", "/usr/bin", "/usr/lib/postfix"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    sys.exit(f"{name} not found: apt-get install postfix")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, what, proc=None):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.05)
    sys.exit(f"{what} did not start on port {port}")


class Sink:
    """Postfix's smtp-sink on loopback: accepts every message and throws it
    away. `count()` reads its running counter (-c)."""

    def __init__(self, port=None, backlog=1024):
        self.port = port or free_port()
        args = [tool("smtp-sink"), "-c"]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        self._out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args + [f"127.0.0.1:{self.port}", str(backlog)], stdout=self._out,
                                     stderr=subprocess.DEVNULL)
        wait_for_port(self.port, "smtp-sink", self.proc)

    def count(self):
        self._out.seek(0)
        counts = re.findall(rb"mesg=(\d+)", self._out.read())
        return int(counts[-1]) if counts else 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def run_measured(cmd, cwd=None, env=None, ok=(0,)):
    """Runs a command to completion. Returns (seconds, peak RSS in MiB,
    CPU seconds, stdout). Exits the benchmark if the command fails."""
    env = {**os.environ, "ROUNDUP_LOG": "error", **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as stats:
        # GNU time starts the command from its own small process. A child
        # forked straight from this Python process would report Python's
        # resident size as its peak: Linux carries the high-water mark
        # across exec.
        timed = [time_binary(), "-q", "-o", stats.name, "-f", "%M %U %S", *cmd]
        t = time.perf_counter()
        code = subprocess.run(timed, cwd=cwd, env=env, stdout=out, stderr=err).returncode
        elapsed = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        fields = stats.read().split()
    if code not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{stdout[-2000:]}\n{stderr[-2000:]}")
    rss_kb, user, system = (float(x) for x in fields[-3:])
    return elapsed, rss_kb / 1024, user + system, stdout


def time_binary():
    if not os.path.exists("/usr/bin/time"):
        sys.exit("/usr/bin/time not found: apt-get install time")
    return "/usr/bin/time"


def summary(xs):
    """min, median and max of repeated runs."""
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "runs": list(xs)}


def with_database(demo, url):
    """The demo config on another database. Stops when demo.toml no longer
    has the line: a silent miss would measure the demo's own file."""
    if DEMO_DATABASE not in demo:
        sys.exit(f"config/demo.toml has no {DEMO_DATABASE!r}: update bench/common.py")
    return demo.replace(DEMO_DATABASE, f'url = "{url}"')


def require_binary(path):
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: run cargo build --release first")
    return os.path.abspath(path)
