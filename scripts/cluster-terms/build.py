#!/usr/bin/env python3
"""Rebuilds src/cluster/document_frequencies.tsv: in how many paragraphs of general news text each
title term occurs, so that a week's clustering weighs words by how rare they are in news at large,
not only in that week (a batch of three items says nothing about which words are common).

The paragraphs are those of the BBC articles (research use), the CNN/Daily Mail articles of the
summarization corpus (MIT) and the extraction corpus's article bodies (MIT), all under ../shared.
None of them is the UCI headline set clustering is scored on. Only counts are written, no text;
terms in fewer than two paragraphs are left out (they count as unseen).

Terms are made exactly as src/cluster/terms.rs makes them; tests there pin the rules.

usage: python3 scripts/cluster-terms/build.py [--corpus ../shared/corpus]
"""
import argparse, collections, json, os, re

HERE = os.path.dirname(os.path.abspath(__file__))
STOPWORDS = set(open(os.path.join(HERE, "..", "..", "src", "cluster", "stopwords.txt"), encoding="utf-8").read().split())
# Runs of letters and digits; an apostrophe between two of them, or a comma or point between two
# digits, stays inside the word.
WORD = re.compile(r"(?:[^\W_]|(?<=[^\W_])['’](?=[^\W_])|(?<=[0-9])[.,](?=[0-9]))+")
# "100b" and "1.5bn" are a figure and "billion".
AMOUNT = re.compile(r"^([0-9][0-9.,]*)(m|mn|b|bn|tn)$")
UNITS = {"m": "million", "mn": "million", "b": "billion", "bn": "billion", "tn": "trillion"}


def terms(text):
    out = []
    for w in WORD.findall(text.lower()):
        w = re.sub(r"['’]s$", "", w).replace("'", "").replace("’", "")
        m = AMOUNT.match(w)  # before the plural goes: "100ms" is not "100m"
        if m:
            out += [m.group(1), UNITS[m.group(2)]]
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        if w and w not in STOPWORDS:
            out.append(w)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "cluster", "document_frequencies.tsv"))
    a = ap.parse_args()
    texts = [json.loads(l)["article"] for l in open(os.path.join(a.corpus, "sections", "bbc.jsonl"))]
    texts += [json.loads(l)["article"] for l in open(os.path.join(a.corpus, "summarization", "cnndm.jsonl"))]
    pages = json.load(open(os.path.join(a.corpus, "extraction", "ground-truth.json")))
    texts += [v["articleBody"] for v in pages.values() if v.get("articleBody")]
    paragraphs = [p for t in texts for p in re.split(r"\n", t) if len(p.split()) >= 5]
    df = collections.Counter()
    for p in paragraphs:
        df.update(set(terms(p)))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(f"term\tparagraphs\n[ALL]\t{len(paragraphs)}\n")
        for t, n in sorted(df.items(), key=lambda x: (-x[1], x[0])):
            if n >= 2:
                f.write(f"{t}\t{n}\n")
    print(f"{len(paragraphs)} paragraphs, {sum(1 for n in df.values() if n >= 2)} terms -> {a.out}")


if __name__ == "__main__":
    main()
