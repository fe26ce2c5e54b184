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
import argparse, glob, json, os, re, resource, statistics, subprocess, sys, time


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--pages", default="../shared/corpus/extraction/html")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sentences", type=int, default=3)
    a = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(a.pages, "*.html")))
    if not paths:
        sys.exit(f"no pages in {a.pages}")
    if not os.path.exists(a.bin):
        sys.exit(f"{a.bin} is missing: cargo build --release first")
    pages = [open(p, encoding="utf-8", errors="replace").read() for p in paths]
    py_run, tokenizer_name = python_side(pages, a.sentences)
    rs_run = roundup_side(a.bin, paths, a.sentences)
    py_run()  # warm-up: imports, lazy initialisation
    rs_run()
    rs, rs_cpu, py_ex, py_sum, py_total, py_cpu = [], [], [], [], [], []
    for _ in range(a.runs):
        elapsed, cpu, recs = rs_run()
        rs.append(elapsed)
        rs_cpu.append(cpu)
        ex, sm, cpu, out = py_run()
        py_ex.append(ex)
        py_sum.append(sm)
        py_total.append(ex + sm)
        py_cpu.append(cpu)
    empty_rs = sum(1 for r in recs if not r.get("sentences"))
    empty_py = sum(1 for s in out if not s)
    med = statistics.median
    print(f"{len(paths)} pages, {a.sentences} sentences each, {a.runs} runs (medians)")
    print(f"  roundup (one process, start-up included) wall {med(rs):6.3f} s  cpu {med(rs_cpu):6.3f} s   empty summaries: {empty_rs}")
    print(
        f"  trafilatura + sumy LexRank               wall {med(py_total):6.3f} s  cpu {med(py_cpu):6.3f} s   "
        f"(extract {med(py_ex):.3f} s, summarize {med(py_sum):.3f} s; {tokenizer_name})   empty summaries: {empty_py}"
    )
    print(f"  per-run wall ratios: {' '.join(f'{p / r:.1f}' for p, r in zip(py_total, rs))}")
    print(
        f"extract+summarize speedup wall={med(py_total) / med(rs):.1f}x cpu={med(py_cpu) / med(rs_cpu):.1f}x"
    )


if __name__ == "__main__":
    main()
