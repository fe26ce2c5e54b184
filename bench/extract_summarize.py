#!/usr/bin/env python3
"""Extraction plus summarization over saved article pages: roundup against
trafilatura + sumy (LexRank), measured in one run, runs interleaved so the
machine's noise falls on both alike.

usage: python3 bench/extract_summarize.py [--bin target/release/roundup]
           [--pages ../shared/corpus/extraction/html] [--runs 5] [--sentences 3]
Needs: cargo build --release; pip install trafilatura sumy

roundup runs as one process over all pages (`roundup summarize --json`, which
extracts a page's main text, cleans it and summarizes it), start-up included.
Python runs in this process, imports excluded: trafilatura.extract() on each
page, then LexRank over the text it returns.
"""
import argparse
import glob
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import summary  # noqa: E402


class RegexTokenizer:
    """sumy's own tokenizer needs NLTK's punkt data, which is downloaded from
    outside the package registries. This splitter is as cheap as it gets, so
    it can only flatter sumy's time."""

    language = "english"
    _split = re.compile(r"(?<=[.!?])\s+(?=[\"'“A-Z0-9])")
    _word = re.compile(r"\w+")

    def to_sentences(self, paragraph):
        return [s for s in self._split.split(paragraph) if s.strip()]

    def to_words(self, sentence):
        return self._word.findall(sentence)


def python_side(pages, sentences):
    import trafilatura
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    try:
        from sumy.nlp.tokenizers import Tokenizer

        tokenizer = Tokenizer("english")
        tokenizer.to_sentences("Warm up. Twice.")
        tokenizer_name = "sumy Tokenizer (NLTK punkt)"
    except Exception:
        tokenizer = RegexTokenizer()
        tokenizer_name = "regex tokenizer (NLTK punkt data not installed)"
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def run():
        c0, t0 = time.process_time(), time.perf_counter()
        texts = [trafilatura.extract(html) or "" for html in pages]
        t1 = time.perf_counter()
        out = []
        for text in texts:
            doc = PlaintextParser.from_string(text, tokenizer).document
            out.append([str(s) for s in summarizer(doc, sentences)])
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, time.process_time() - c0, out

    return run, tokenizer_name


def roundup_side(binary, paths, sentences):
    def cpu():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    def run():
        c0, t0 = cpu(), time.perf_counter()
        p = subprocess.run(
            [binary, "summarize", "--sentences", str(sentences), "--json", *paths],
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - t0
        return elapsed, cpu() - c0, [json.loads(l) for l in p.stdout.splitlines()]

    return run


def measure(pages_dir, binary, runs=5, sentences=3, log=print):
    paths = sorted(glob.glob(os.path.join(pages_dir, "*.html")))
    if not paths:
        sys.exit(f"no pages in {pages_dir}")
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: cargo build --release first")
    pages = [open(p, encoding="utf-8", errors="replace").read() for p in paths]
    py_run, tokenizer_name = python_side(pages, sentences)
    rs_run = roundup_side(binary, paths, sentences)
    py_run()  # warm-up: imports, lazy initialisation
    rs_run()
    rs, rs_cpu, py_ex, py_sum, py_total, py_cpu = [], [], [], [], [], []
    for _ in range(runs):
        elapsed, cpu, recs = rs_run()
        rs.append(elapsed)
        rs_cpu.append(cpu)
        ex, sm, cpu, out = py_run()
        py_ex.append(ex)
        py_sum.append(sm)
        py_total.append(ex + sm)
        py_cpu.append(cpu)
    med = statistics.median
    log(f"  extract+summarize {len(paths)} pages: roundup {med(rs):.2f} s, trafilatura + sumy {med(py_total):.2f} s")
    return {
        "pages": len(paths),
        "sentences": sentences,
        "tokenizer": tokenizer_name,
        "roundup_s": summary(rs),
        "roundup_cpu_s": summary(rs_cpu),
        "python_s": summary(py_total),
        "python_cpu_s": summary(py_cpu),
        "python_extract_s": summary(py_ex),
        "python_summarize_s": summary(py_sum),
        "roundup_empty": sum(1 for r in recs if not r.get("sentences")),
        "python_empty": sum(1 for s in out if not s),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--pages", default="../shared/corpus/extraction/html")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sentences", type=int, default=3)
    a = ap.parse_args()
    r = measure(a.pages, a.bin, a.runs, a.sentences, log=lambda *_: None)
    m = lambda k: r[k]["median"]  # noqa: E731
    print(f"{r['pages']} pages, {r['sentences']} sentences each, {a.runs} runs (medians)")
    print(f"  roundup (one process, start-up included) wall {m('roundup_s'):6.3f} s  cpu {m('roundup_cpu_s'):6.3f} s"
          f"   empty summaries: {r['roundup_empty']}")
    print(f"  trafilatura + sumy LexRank               wall {m('python_s'):6.3f} s  cpu {m('python_cpu_s'):6.3f} s   "
          f"(extract {m('python_extract_s'):.3f} s, summarize {m('python_summarize_s'):.3f} s; {r['tokenizer']})"
          f"   empty summaries: {r['python_empty']}")
    print(f"extract+summarize speedup wall={m('python_s') / m('roundup_s'):.1f}x "
          f"cpu={m('python_cpu_s') / m('roundup_cpu_s'):.1f}x")


if __name__ == "__main__":
    main()
