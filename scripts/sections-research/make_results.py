#!/usr/bin/env python3
"""Assemble results/*.json + baseline.json into results_table.md (macro-F1; * = grouped 5-fold CV because the
test corpus is in the training configuration, otherwise pure cross-corpus)."""
import json, glob, os
from common import SETS
ROOT = os.path.dirname(os.path.abspath(__file__))
lines = ["| method | train | " + " | ".join(SETS) + " |", "|---|---|" + "---|" * len(SETS)]
b = json.load(open(f"{ROOT}/baseline.json"))
lines.append("| baseline (hand lexicon) | (hand-tuned on BBC dev) | " + " | ".join(f"{b[s]['macro']:.3f}" for s in SETS) + " |")
order = ["bbc", "uci", "bbc+uci", "bbc+uci+w05"]
for f in sorted(glob.glob(f"{ROOT}/results/*__*.json"), key=lambda p: (os.path.basename(p).split("__")[0], order.index(os.path.basename(p).split("__")[1][:-5]) if os.path.basename(p).split("__")[1][:-5] in order else 9)):
    if f.endswith(".preds.json"): continue
    m, c = os.path.basename(f)[:-5].split("__")
    r = json.load(open(f))
    lines.append(f"| {m} | {c} | " + " | ".join(f"{r[s]['macro']:.3f}{'*' if r[s]['protocol']=='cv' else ''}" for s in SETS) + " |")
open(f"{ROOT}/results_table.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
