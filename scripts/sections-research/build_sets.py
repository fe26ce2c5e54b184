#!/usr/bin/env python3
"""Build the evaluation/training sets (JSONL: id, label, text, group, src) under data/.
text = "headline\n\nbody" (the same shape `roundup classify` reads).
Sets:
  bbc_full   BBC full article                       (445, gold labels)
  bbc_hd     BBC headline + first paragraph          (proxy for headline+description)
  bbc_head   BBC headline only
  uci_head   UCI headlines                           (5482, aggregator labels, group=story)
  w05_hd     W05 feed items headline+description, WEAK label (URL path > feed hint)
  w05_head   same items, headline only
  gold_hd    W05 items linked by gold.json (top/good -> its section, reject -> other): human-judged
  gold_head  same, headline only
Also prints the weak-signal availability / consistency report (signals.txt)."""
import json, glob, os, re, html, collections
from urllib.parse import urlparse

import os
C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus")
W = f"{C}/weeks/2026-W05"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
os.makedirs(OUT, exist_ok=True)

def lab(c):
    return c if c in ("tech", "business") else "other"

def dump(name, rows):
    with open(f"{OUT}/{name}.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    cnt = collections.Counter(r["label"] for r in rows)
    print(f"{name:10s} n={len(rows):5d} {dict(cnt)}")

# ---- BBC
bbc = [json.loads(l) for l in open(f"{C}/sections/bbc.jsonl")]
full, hd, head = [], [], []
for d in bbc:
    a = d["article"].strip()
    paras = [p.strip() for p in re.split(r"\n\s*\n", a) if p.strip()]
    h = paras[0]
    first = paras[1] if len(paras) > 1 else ""
    base = dict(id=d["id"], label=lab(d["category"]), group=d["id"], src="bbc", cat=d["category"])
    full.append(dict(base, text=a))
    hd.append(dict(base, text=h + "\n\n" + first))
    head.append(dict(base, text=h + "\n\n"))
dump("bbc_full", full); dump("bbc_hd", hd); dump("bbc_head", head)

# ---- UCI
uci = [json.loads(l) for l in open(f"{C}/stories/uci-dev.jsonl")]
dump("uci_head", [dict(id=d["id"], label=lab(d["category"]), group=d["story"], src="uci",
                       cat=d["category"], text=d["title"] + "\n\n") for d in uci])

# ---- W05 weak labels
URL_SEC = {
    "tech": {"technology", "tech", "artificial-intelligence", "gadgets", "personal-tech", "big-tech",
             "tech-trends", "cybersecurity"},
    "business": {"business", "markets", "economy", "economics", "finance", "money", "dealbook", "buyside",
                 "banking-finance", "companies", "china-economy", "global-economy", "china-business",
                 "personal-finance", "wealth", "markets-main", "logistics"},
    "other": {"sport", "sports", "world", "politics", "entertainment", "culture", "lifestyle", "health",
              "arts", "arts-culture", "us-news", "us", "national", "nyregion", "style", "travel", "traveller",
              "goodfood", "weather", "obituaries", "books", "movies", "theater", "climate", "environment",
              "food", "well", "magazine", "science", "hong-kong", "china", "asia", "people-culture",
              "football", "tennis", "cricket", "golf", "boxing", "rugby-union", "formula1", "darts",
              "africa", "europe", "middle-east", "americas", "australia", "uk", "dining", "realestate",
              "lifestyle-culture", "people", "health-environment", "education", "crime", "fashion"},
}
NEUTRAL_HINT = {"news", "articles", "article", "amp", "opinion", "live", "video", "videos", "audio",
                "newsletters", "live-blog", "features", "briefing", "podcasts", "plus", "index", "blog"}
SEG2SEC = {s: k for k, v in URL_SEC.items() for s in v}

def url_section(url):
    u = urlparse(url)
    for s in [s for s in u.path.lower().split("/") if s][:4]:
        if s in SEG2SEC:
            return SEG2SEC[s], s
        if s.isdigit() or s in NEUTRAL_HINT or re.fullmatch(r"[\d-]+", s):
            continue
        # slugs (long, many hyphens) end the section part of the path
        if s.count("-") >= 3:
            break
    return None, None

def canon(url):
    u = urlparse(url)
    return (u.netloc.lower().replace("www.", "") + u.path.rstrip("/")).lower()

def clean(s):
    s = html.unescape(html.unescape(s or ""))
    s = re.sub(r"<[^>]+>", " ", s)
    return s

def description(it):
    t = clean(it.get("content_text") or it.get("summary") or it.get("content_html") or "")
    lines = [l for l in t.splitlines() if not re.match(r"\s*(Article URL|Comments URL|Points|# Comments):", l)]
    t = "\n".join(lines).strip()
    para = re.split(r"\n\s*\n|\n", t)[0].strip() if t else ""
    para = re.sub(r"\s+", " ", para)
    if len(para) > 600:
        para = para[:600].rsplit(" ", 1)[0]
    if para.startswith("http"):
        para = ""
    return para

def english(s):
    letters = [c for c in s if c.isalpha()]
    return letters and sum(1 for c in letters if ord(c) < 0x250) / len(letters) > 0.8

week = json.load(open(f"{W}/week.json"))
hint = {os.path.basename(f["file"]): f.get("section") for f in week["feeds"]}
gold = json.load(open(f"{W}/gold.json"))
gold_lab = {}
for k in ("top", "good"):
    for st in gold[k]:
        for l in st["links"]:
            gold_lab[canon(l)] = st["section"]
for st in gold["reject"]:
    for l in st["links"]:
        gold_lab.setdefault(canon(l), "other")

items = {}
stats = collections.Counter()
for f in sorted(glob.glob(f"{W}/feeds/*.json")):
    fn = os.path.basename(f)
    for it in json.load(open(f))["items"]:
        stats["raw"] += 1
        title = re.sub(r"\s+", " ", clean(it.get("title"))).strip()
        if not title or not english(title):
            stats["dropped_nonenglish_or_empty"] += 1
            continue
        key = canon(it["url"])
        if key in items:  # same item in two feeds: keep the first, record the other hint
            items[key]["hints"].add(hint.get(fn))
            stats["duplicate"] += 1
            continue
        us, seg = url_section(it["url"])
        items[key] = dict(id=key, title=title, desc=description(it), feed=fn, hints={hint.get(fn)},
                          url_sec=us, url_seg=seg, tags=it.get("tags") or [], gold=gold_lab.get(key))

rows_hd, rows_head, g_hd, g_head = [], [], [], []
rep = []
n = len(items)
av = collections.Counter(); agree = collections.Counter(); per_seg = collections.defaultdict(collections.Counter)
for k, it in items.items():
    hs = {h for h in it["hints"] if h}
    h = sorted(hs)[0] if len(hs) == 1 else None
    if hs: av["feed_hint"] += 1
    if it["url_sec"]: av["url_path"] += 1
    if it["tags"]: av["tags"] += 1
    if it["desc"]: av["has_description"] += 1
    if it["gold"]: av["gold"] += 1
    if hs and it["url_sec"]:
        av["hint_and_url"] += 1
        agree["hint_vs_url"] += (it["url_sec"] == h)
    weak = it["url_sec"] or h
    if weak: av["weak_label"] += 1
    if it["gold"] and weak:
        av["gold_and_weak"] += 1
        agree["weak_vs_gold"] += (weak == it["gold"])
    if it["gold"] and it["url_sec"]:
        av["gold_and_url"] += 1; agree["url_vs_gold"] += (it["url_sec"] == it["gold"])
        per_seg[it["url_seg"]][("ok" if it["url_sec"] == it["gold"] else f"gold={it['gold']}")] += 1
    if it["gold"] and h:
        av["gold_and_hint"] += 1; agree["hint_vs_gold"] += (h == it["gold"])
    text_hd = it["title"] + "\n\n" + it["desc"]
    text_h = it["title"] + "\n\n"
    group = it["feed"]
    meta = dict(id=k, group=group, src="w05", feed=it["feed"], url_sec=it["url_sec"], hint=h)
    if weak:
        rows_hd.append(dict(meta, label=weak, text=text_hd))
        rows_head.append(dict(meta, label=weak, text=text_h))
    if it["gold"]:
        g_hd.append(dict(meta, label=it["gold"], text=text_hd))
        g_head.append(dict(meta, label=it["gold"], text=text_h))
dump("w05_hd", rows_hd); dump("w05_head", rows_head); dump("gold_hd", g_hd); dump("gold_head", g_head)

with open(os.path.join(os.path.dirname(OUT), "signals.txt"), "w") as f:
    p = lambda *a: (print(*a), print(*a, file=f))
    p(f"W05 raw items {stats['raw']}, dropped non-English/empty {stats['dropped_nonenglish_or_empty']}, "
      f"cross-feed duplicates {stats['duplicate']}, unique English items {n}")
    for k in ("feed_hint", "url_path", "tags", "weak_label", "has_description", "gold"):
        p(f"  signal {k:16s} available {av[k]:5d}/{n} = {av[k]/n:.1%}")
    for k, d in (("hint_vs_url", "hint_and_url"), ("weak_vs_gold", "gold_and_weak"),
                 ("url_vs_gold", "gold_and_url"), ("hint_vs_gold", "gold_and_hint")):
        p(f"  consistency {k:14s} {agree[k]}/{av[d]} = {agree[k]/max(1,av[d]):.1%}")
    p("  URL segment vs gold (segment: counts):")
    for s, c in sorted(per_seg.items(), key=lambda x: -sum(x[1].values())):
        p(f"    {s:18s} {dict(c)}")
    lc = collections.Counter((r["label"], "url" if r["url_sec"] else "hint") for r in rows_hd)
    p("  weak label by source:", dict(lc))
