#!/usr/bin/env python3
"""ROUGE-1 of `roundup summarize` against the first three sentences (Lead-3), per half of a corpus.

usage: python3 scripts/summaries-research/halves.py [--bin target/release/roundup]
           [--corpus ../shared/corpus/summarization/cnndm.jsonl] [--against OTHER_BIN]

The corpus is split into two halves by crc32(id) % 2, so a setting chosen on one half can be read on
the other. The scoring is ../shared/eval/summaries.py's (rouge-score, Porter stemmer; Lead-3 uses its
sentence split). With --against, it also prints the mean per-article difference between the two
binaries and a 95% bootstrap interval for it (5,000 resamples, seed 1). Reads the corpus; writes nothing.
Needs: pip install rouge-score
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "eval"))
from summaries import detok, sentences  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402


def summaries(binary, rows):
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for r in rows:
            p = os.path.join(tmp, r["id"] + ".txt")
            open(p, "w", encoding="utf-8").write(r["article"])
            paths.append(p)
        out = subprocess.run([binary, "summarize", "--sentences", "3", "--json", *paths],
                             capture_output=True, text=True, check=True).stdout
        recs = {json.loads(l)["path"]: json.loads(l) for l in out.splitlines()}
    return [recs[p]["sentences"] for p in paths]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/roundup")
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "..", "shared", "corpus",
                                                     "summarization", "cnndm.jsonl"))
    ap.add_argument("--against")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.corpus, encoding="utf-8")]
    sc = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    refs = ["\n".join(sentences(detok(r["reference"]))) for r in rows]
    r1 = lambda hyps: [sc.score(ref, "\n".join(h))["rouge1"].fmeasure * 100 for ref, h in zip(refs, hyps)]
    ours = r1(summaries(a.bin, rows))
    lead = r1([sentences(r["article"])[:3] for r in rows])
    half = [zlib.crc32(r["id"].encode()) % 2 for r in rows]
    mean = lambda xs: statistics.mean(xs) if xs else float("nan")
    for h in (0, 1):
        pick = lambda xs: [x for x, k in zip(xs, half) if k == h]
        print(f"half {h}: docs={half.count(h)} R1={mean(pick(ours)):.2f} lead3={mean(pick(lead)):.2f}")
    print(f"all: docs={len(rows)} R1={mean(ours):.2f} lead3={mean(lead):.2f}")
    if a.against:
        other = r1(summaries(a.against, rows))
        d = [x - y for x, y in zip(ours, other)]
        random.seed(1)
        boot = sorted(mean(random.choices(d, k=len(d))) for _ in range(5000))
        print(f"against {a.against}: mean difference {mean(d):+.2f}, 95% interval {boot[125]:+.2f} to "
              f"{boot[-126]:+.2f}, articles changed {sum(1 for x in d if abs(x) > 1e-9)}")


if __name__ == "__main__":
    main()
