#!/usr/bin/env bash
# Every comparison with the tools people would use instead, in one command:
# installs the peers, builds roundup, and writes docs/BENCHMARKS.md (plus
# docs/benchmarks.json and docs/benchmarks-delivery.png).
#
#   bench/run.sh [--runs 5] [--only feeds,fetch,text,delivery]
#                [--subscribers 1000,10000,30000,100000] [--baseline OTHER_BINARY]
#
# Arguments go to bench/compare.py. Needs ../shared beside the checkout (the
# feed, page and article corpora), root or sudo for apt-get, and about half
# an hour on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian: Postfix's smtp-sink and smtp-source, GNU time for peak memory.
# Postfix itself is installed unconfigured and never started.
need=()
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || need+=(postfix)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "== apt-get install ${need[*]}"
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PyPI: the peers at the versions the comparison names, and matplotlib for
# the plot.
pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check "$@" 2>/dev/null ||
        python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
}
echo "== pip install the peers"
pip_install "feedparser>=6,<7" "rss2email==3.14" "trafilatura>=2.3,<3" "sumy>=0.11" "matplotlib>=3.7"

echo "== cargo build --release"
cargo build --release --locked

echo "== comparisons"
python3 bench/compare.py "$@"
