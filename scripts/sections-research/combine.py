#!/usr/bin/env python3
"""(d) Feed signals first, text classifier after. Scored on the W05 items: gold_* (human labels; the signals
are independent of them) and w05_* (weak labels = the signals themselves, so rules are circular there and the
figure is shown only for completeness).
Rules: d_all   URL-path section if any, else the feed's section hint, else the text classifier.
       d_pos   only POSITIVE signals (URL path tech/business, feed hint) override; an 'other' URL segment
               (/world/, /us/, /china/ ...) is ignored and the classifier decides.
       d_hint  only the feed hint overrides.
usage: combine.py PRED_NAME ...   (PRED_NAME = 'baseline' or a results/<method>__<config> stem)"""
import json, os, sys
from common import load, macro, f1, DATA
ROOT = os.path.dirname(os.path.abspath(__file__))

def preds_for(name, s):
    if name == "baseline":
        return json.load(open(f"{DATA}/baseline_{s}.json"))
    return json.load(open(f"{ROOT}/results/{name}.preds.json"))[s]

def rule(r, p, kind):
    u, h = r.get("url_sec"), r.get("hint")
    if kind == "model": return p
    if kind == "d_all": return u or h or p
    if kind == "d_pos": return (u if u in ("tech", "business") else None) or h or p
    if kind == "d_hint": return h or p

out = {}
for name in sys.argv[1:]:
    for s in ("gold_hd", "gold_head", "w05_hd", "w05_head"):
        rows = load(s); P = preds_for(name, s); want = [r["label"] for r in rows]
        for kind in ("model", "d_all", "d_pos", "d_hint"):
            got = [rule(r, p, kind) for r, p in zip(rows, P)]
            out[(name, s, kind)] = macro(want, got)
    print(name)
    for kind in ("model", "d_all", "d_pos", "d_hint"):
        print(f"  {kind:7s} " + " ".join(f"{s}={out[(name, s, kind)]:.3f}" for s in ("gold_hd", "gold_head", "w05_hd", "w05_head")))
json.dump({"|".join(k): v for k, v in out.items()}, open(f"{ROOT}/combine.json", "w"), indent=1)
