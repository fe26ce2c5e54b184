#!/usr/bin/env python3
"""Baseline: the current hand-weighted lexicon (`roundup classify`) on every evaluation set."""
import json, os
from common import *
res = {}
for s in SETS:
    rows = load(s)
    got = roundup_classify([r["text"] for r in rows])
    want = [r["label"] for r in rows]
    res[s] = dict(macro=macro(want, got), tech=f1(want, got, "tech"), business=f1(want, got, "business"), n=len(rows))
    print(f"baseline {s:10s} macro={res[s]['macro']:.3f} tech={res[s]['tech']:.3f} business={res[s]['business']:.3f} n={len(rows)}")
    with open(f"{DATA}/baseline_{s}.json", "w") as f: json.dump(got, f)
json.dump(res, open(os.path.join(os.path.dirname(DATA), "baseline.json"), "w"), indent=1)
