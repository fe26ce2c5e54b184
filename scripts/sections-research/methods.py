#!/usr/bin/env python3
"""Cross-corpus comparison of section classifiers.

Corpora: bbc (full articles; groups = article), uci (headlines; groups = story), w05 (W05 feed items with weak
labels; groups = FEED, so a held-out fold is a set of feeds the model never saw).
A test set whose corpus is not in the training configuration is scored with one model fitted on the whole
configuration (pure cross-corpus). A test set whose corpus IS in the configuration is scored by 5-fold grouped
cross-validation: the fold's groups (BBC articles / UCI stories / W05 feeds) are removed from training.
Nothing is ever tuned on a test fold (hyper-parameters are fixed in METHODS below).

usage: methods.py [--only NAME,...]   -> results/<method>__<config>.json and a printed table
"""
import argparse, json, os, random, re, sys, zlib
import numpy as np
from sklearn.linear_model import LogisticRegression
from common import load, macro, f1, SETS, DATA
import features as F

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS_OF = {"bbc_full": "bbc", "bbc_hd": "bbc", "bbc_head": "bbc", "uci_head": "uci",
             "w05_hd": "w05", "w05_head": "w05", "gold_hd": "w05", "gold_head": "w05"}
LABELS = ["other", "tech", "business"]
K = 5

def fold_of(group):
    return zlib.crc32(group.encode()) % K

def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 6]

def training_pool(corpus, aug):
    """Rows {text,label,group,src} for a corpus, with augmentation variants."""
    out = []
    if corpus == "bbc":
        full, hd, head = load("bbc_full"), load("bbc_hd"), load("bbc_head")
        for a, b, c in zip(full, hd, head):
            out.append(dict(a))
            if aug:
                out.append(dict(b)); out.append(dict(c))
                if aug >= 2:   # plus two random body sentences as pseudo-headlines
                    body = a["text"].split("\n\n", 1)[-1]
                    ss = sentences(body)
                    rnd = random.Random(a["id"])
                    for s in rnd.sample(ss, min(2, len(ss))):
                        out.append(dict(a, text=s + "\n\n"))
    elif corpus == "uci":
        out = load("uci_head")
    elif corpus == "w05":
        out = load("w05_hd")
        if aug:
            out = out + load("w05_head")
    return out

def weights(rows, mode):
    """mode 'srcbal': every source has total weight 1, classes balanced within a source; 'none': 1 each."""
    if mode == "none":
        return np.ones(len(rows))
    from collections import Counter
    c = Counter((r["src"], r["label"]) for r in rows)
    ncls = Counter(r["src"] for r in rows)
    nl = {s: len({l for (ss, l) in c if ss == s}) for s in ncls}
    w = np.array([1.0 / (c[(r["src"], r["label"])] * nl[r["src"]]) for r in rows])
    return w * len(rows) / w.sum()

# ---------------- models
class LinearModel:
    def __init__(self, C=4.0, char=True, bigrams=True, nb=F.NB, wmode="srcbal", bias_other=0.0):
        self.kw = dict(char=char, bigrams=bigrams, nb=nb); self.C = C; self.wmode = wmode; self.bias_other = bias_other
    def fit(self, rows):
        X = F.vectorize([r["text"] for r in rows], **self.kw)
        y = np.array([LABELS.index(r["label"]) for r in rows])
        self.used = np.unique(X.indices)   # fit only on buckets that occur (same model, faster)
        self.m = LogisticRegression(C=self.C, max_iter=3000, tol=1e-3)
        self.m.fit(X[:, self.used], y, sample_weight=weights(rows, self.wmode))
        return self
    def predict(self, texts):
        s = self.m.decision_function(F.vectorize(texts, **self.kw)[:, self.used])
        s[:, 0] += self.bias_other
        return [LABELS[i] for i in s.argmax(1)]

class LogOddsLexicon:
    """Monroe et al. (2008) log-odds ratio with an informative Dirichlet prior, class vs rest, on distinct
    unigrams per document (source-balanced). Keep the top `k` words per class with z > zmin; weight = z.
    score_c(doc) = sum of weights of its distinct tokens / sqrt(#distinct tokens); predict the larger of
    tech/business when it exceeds a threshold fitted on the TRAINING data (max training macro-F1), else other."""
    def __init__(self, k=400, zmin=2.0, alpha=100.0):
        self.k, self.zmin, self.alpha = k, zmin, alpha
    def _score(self, texts):
        out = []
        for t in texts:
            ts = set(F.tokens(t))
            n = max(1, len(ts)) ** 0.5
            out.append([sum(self.lex[c].get(w, 0.0) for w in ts) / n for c in ("tech", "business")])
        return np.array(out)
    def fit(self, rows):
        from collections import defaultdict
        w = weights(rows, "srcbal")
        cnt = {c: defaultdict(float) for c in LABELS}
        for r, wi in zip(rows, w):
            for t in set(F.tokens(r["text"])):
                cnt[r["label"]][t] += wi
        allc = defaultdict(float)
        for c in LABELS:
            for t, v in cnt[c].items(): allc[t] += v
        tot = sum(allc.values())
        self.lex = {}
        for c in ("tech", "business"):
            yk = cnt[c]; nk = sum(yk.values())
            yr = {t: allc[t] - yk.get(t, 0.0) for t in allc}; nr = tot - nk
            a0 = self.alpha
            z = {}
            for t, v in allc.items():
                if v < 3: continue
                aw = a0 * v / tot
                a, b = yk.get(t, 0.0), yr[t]
                d = np.log((a + aw) / (nk + a0 - a - aw)) - np.log((b + aw) / (nr + a0 - b - aw))
                z[t] = d / np.sqrt(1 / (a + aw) + 1 / (b + aw))
            top = sorted((t for t in z if z[t] > self.zmin), key=lambda t: -z[t])[: self.k]
            self.lex[c] = {t: z[t] for t in top}
        S = self._score([r["text"] for r in rows]); want = [r["label"] for r in rows]
        best = (-1, 0)
        for th in np.quantile(S.max(1), np.linspace(0.05, 0.95, 91)):
            got = self._decide(S, th)
            m = macro(want, got)
            if m > best[0]: best = (m, th)
        self.th = best[1]
        return self
    def _decide(self, S, th):
        return ["other" if s.max() < th else ("tech" if s[0] >= s[1] else "business") for s in S]
    def predict(self, texts):
        return self._decide(self._score(texts), self.th)

METHODS = {
    # name: (factory, augmentation level)
    "lr_word":        (lambda: LinearModel(char=False), 0),
    "lr_wordchar":    (lambda: LinearModel(), 0),
    "lr_wordchar_aug":  (lambda: LinearModel(), 1),
    "lr_wordchar_aug2": (lambda: LinearModel(), 2),
    "lr_wordchar_aug_nobal": (lambda: LinearModel(wmode="none"), 1),
    "lexicon_logodds": (lambda: LogOddsLexicon(), 1),
}
CONFIGS = {"bbc": ["bbc"], "uci": ["uci"], "bbc+uci": ["bbc", "uci"], "bbc+uci+w05": ["bbc", "uci", "w05"]}

def run(method, config):
    fac, aug = METHODS[method]
    corpora = CONFIGS[config]
    pools = {c: training_pool(c, aug) for c in corpora}
    tests = {s: load(s) for s in SETS}
    preds = {}
    full = fac().fit([r for c in corpora for r in pools[c]])
    for s, rows in tests.items():
        if CORPUS_OF[s] not in corpora:
            preds[s] = full.predict([r["text"] for r in rows])
    for c in corpora:
        ts = [s for s in SETS if CORPUS_OF[s] == c]
        for s in ts: preds[s] = [None] * len(tests[s])
        for k in range(K):
            tr = [r for cc in corpora if cc != c for r in pools[cc]] + [r for r in pools[c] if fold_of(r["group"]) != k]
            m = fac().fit(tr)
            for s in ts:
                idx = [i for i, r in enumerate(tests[s]) if fold_of(r["group"]) == k]
                if idx:
                    for i, p in zip(idx, m.predict([tests[s][i]["text"] for i in idx])): preds[s][i] = p
    res = {}
    for s, rows in tests.items():
        want = [r["label"] for r in rows]
        res[s] = dict(macro=macro(want, preds[s]), tech=f1(want, preds[s], "tech"), business=f1(want, preds[s], "business"),
                      protocol="cv" if CORPUS_OF[s] in corpora else "cross")
    return res, preds

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("--only", default=""); ap.add_argument("--configs", default="")
    a = ap.parse_args()
    os.makedirs(f"{ROOT}/results", exist_ok=True)
    ms = a.only.split(",") if a.only else list(METHODS)
    cs = a.configs.split(",") if a.configs else list(CONFIGS)
    for m in ms:
        for c in cs:
            res, preds = run(m, c)
            json.dump(res, open(f"{ROOT}/results/{m}__{c}.json", "w"), indent=1)
            json.dump(preds, open(f"{ROOT}/results/{m}__{c}.preds.json", "w"))
            print(f"{m:24s} {c:12s} " + " ".join(f"{s}={res[s]['macro']:.3f}{'*' if res[s]['protocol']=='cv' else ''}" for s in SETS), flush=True)
