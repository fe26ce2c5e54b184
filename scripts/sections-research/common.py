import json, os, subprocess, tempfile
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SETS = ["bbc_full", "bbc_hd", "bbc_head", "uci_head", "w05_hd", "w05_head", "gold_hd", "gold_head"]
BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "release", "roundup")

def load(name):
    return [json.loads(l) for l in open(f"{DATA}/{name}.jsonl")]

def f1(want, got, label):
    tp = sum(1 for w, g in zip(want, got) if w == label and g == label)
    fp = sum(1 for w, g in zip(want, got) if w != label and g == label)
    fn = sum(1 for w, g in zip(want, got) if w == label and g != label)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

def macro(want, got):
    return (f1(want, got, "tech") + f1(want, got, "business")) / 2

def roundup_classify(texts, chunk=200):
    """Same protocol as /work/shared/eval/sections.py: one text file per item, `classify --json`."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, t in enumerate(texts):
            p = os.path.join(tmp, f"{i}.txt"); open(p, "w").write(t); paths.append(p)
        got = {}
        for i in range(0, len(paths), chunk):
            r = subprocess.run([BIN, "classify", "--json", *paths[i:i + chunk]], capture_output=True, text=True)
            for line in r.stdout.splitlines():
                if line.strip():
                    rec = json.loads(line); got[rec["path"]] = rec.get("section", "missing")
        return [got.get(p, "missing") for p in paths]
