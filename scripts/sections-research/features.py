"""Feature extraction, written so it can be re-implemented byte-for-byte in Rust.

normalise(text):  text.lower() (Unicode lower-casing), then map U+2018/U+2019/U+201B/U+02BC -> "'" and
                  U+201C/U+201D -> '"'.
tokens(text):     every maximal run of [a-z0-9] in the normalised text (regex [a-z0-9]+, ASCII only; all other
                  characters, including apostrophes and non-ASCII letters, separate tokens). A token made only of
                  digits is replaced by "0".
features(text):   the SET (each counted once) of
                    "w " + t                 for every token t                    (unigrams)
                    "b " + t1 + " " + t2     for every adjacent token pair        (bigrams)
                    "c " + g                 for every character n-gram g, n=3..5, of "<" + t + ">" for every
                                             token t with len(t) >= 2 (so "ai" -> "<ai", "ai>", "<ai>")
hash(f):          FNV-1a 32-bit over the UTF-8 bytes of f (offset 2166136261, prime 16777619, wrapping u32),
                  bucket = hash % NBUCKETS  (NBUCKETS = 2**18 unless stated)
vector:           x[bucket] = number of distinct features falling in that bucket, then x /= ||x||_2.
"""
import re
import numpy as np
import scipy.sparse as sp

NB = 2 ** 18
_TR = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})
_TOK = re.compile(r"[a-z0-9]+")

def tokens(text):
    return ["0" if t.isdigit() else t for t in _TOK.findall(text.lower().translate(_TR))]

def fnv1a(s):
    h = 2166136261
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 16777619) & 0xFFFFFFFF
    return h

_cache = {}
def bucket(f, nb):
    k = (f, nb)
    v = _cache.get(k)
    if v is None:
        v = _cache[k] = fnv1a(f) % nb
    return v

def feature_set(text, char=True, bigrams=True):
    ts = tokens(text)
    fs = {"w " + t for t in ts}
    if bigrams:
        fs.update("b " + a + " " + b for a, b in zip(ts, ts[1:]))
    if char:
        for t in set(ts):
            if len(t) < 2:
                continue
            s = "<" + t + ">"
            for n in (3, 4, 5):
                for i in range(len(s) - n + 1):
                    fs.add("c " + s[i:i + n])
    return fs

_vcache = {}
def _row(t, nb, char, bigrams, norm):
    key = (t, nb, char, bigrams, norm)
    r = _vcache.get(key)
    if r is None:
        d = {}
        for f in feature_set(t, char, bigrams):
            b = bucket(f, nb)
            d[b] = d.get(b, 0) + 1.0
        v = np.array(list(d.values()))
        if norm and len(v):
            v = v / np.sqrt((v * v).sum())
        r = _vcache[key] = (list(d.keys()), list(v))
    return r

def vectorize(texts, nb=NB, char=True, bigrams=True, norm=True):
    rows, cols, vals = [], [], []
    for i, t in enumerate(texts):
        c, v = _row(t, nb, char, bigrams, norm)
        rows += [i] * len(c); cols += c; vals += v
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), nb))
