#!/usr/bin/env python3
"""Length router: the hand lexicon (`roundup classify`, baseline) for long texts (> N tokens), the learned
linear model for short ones; optionally followed by the positive feed signals (rule d_pos of combine.py).
usage: hybrid.py MODEL_STEM [N]"""
import json, os, sys
from common import load, macro, SETS, DATA
import features as F
ROOT = os.path.dirname(os.path.abspath(__file__))
stem = sys.argv[1]; N = int(sys.argv[2]) if len(sys.argv) > 2 else 150
P = json.load(open(f"{ROOT}/results/{stem}.preds.json"))
res = {}
for s in SETS:
    rows = load(s); B = json.load(open(f"{DATA}/baseline_{s}.json")); want = [r["label"] for r in rows]
    got = [b if len(F.tokens(r["text"])) > N else p for r, b, p in zip(rows, B, P[s])]
    res[s] = macro(want, got)
    if s.startswith(("gold", "w05")):
        g2 = [(r.get("url_sec") if r.get("url_sec") in ("tech", "business") else None) or r.get("hint") or g for r, g in zip(rows, got)]
        res[s + "+d_pos"] = macro(want, g2)
print(f"hybrid({stem}, N={N}) " + " ".join(f"{k}={v:.3f}" for k, v in res.items()))
json.dump(res, open(f"{ROOT}/hybrid/{stem}_{N}.json", "w"), indent=1)
