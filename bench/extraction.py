"""Text extraction with and without trafilatura's fallback extractors, against ground truth.

    .venv/bin/python bench/extraction.py --html-dir ../shared/corpus/news-html [--rounds 2]

The pages of --html-dir (gzipped HTML named by key, with ground-truth.json: key -> {url,
articleBody}) are extracted as the pipeline extracts them (``bare_extraction`` without
metadata or comments) once with trafilatura's fallbacks (readability, jusText: its default)
and once without (``fast=True``: what ``extract.extract_page`` does), on one core. Quality is
the bag-of-words precision, recall and F1 of the text against the page's article body,
averaged over pages; cost is CPU per page, the rounds alternated. Pages where one mode's F1
is 0.05 or more below the other's are listed. Nothing is fitted.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import machine  # noqa: E402


def words(text: str | None) -> Counter:
    return Counter(re.findall(r"\w+", (text or "").lower()))


def prf(text: str | None, truth: str) -> tuple[float, float, float]:
    a, b = words(text), words(truth)
    if not a or not b:
        return 0.0, 0.0, 0.0
    common = sum((a & b).values())
    p, r = common / sum(a.values()), common / sum(b.values())
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def extract(html: bytes, url: str, fast: bool) -> str:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=False, include_comments=False, fast=fast)
    return doc.text if doc else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--html-dir", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    truth = json.loads((args.html_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = [(v["url"], gzip.decompress((args.html_dir / f"{k}.html.gz").read_bytes()), v["articleBody"])
             for k, v in truth.items() if (args.html_dir / f"{k}.html.gz").exists()]
    print(f"{len(pages)} pages; {machine()}\n")
    cpu = {False: [], True: []}
    texts = {}
    for _ in range(args.rounds):
        for fast in (False, True):
            t0 = time.process_time()
            texts[fast] = [extract(html, url, fast) for url, html, _ in pages]
            cpu[fast].append((time.process_time() - t0) / len(pages) * 1000)
    print("| extraction | precision | recall | F1 | CPU a page (each round) |\n|---|---|---|---|---|")
    f1 = {}
    for fast in (False, True):
        scores = [prf(t, body) for t, (_, _, body) in zip(texts[fast], pages)]
        f1[fast] = [s[2] for s in scores]
        mean = [sum(s[k] for s in scores) / len(scores) for k in range(3)]
        label = "without fallbacks (`fast=True`, the pipeline's)" if fast else "with fallbacks (trafilatura's default)"
        print(f"| {label} | {mean[0]:.3f} | {mean[1]:.3f} | {mean[2]:.3f} | "
              f"{', '.join(f'{c:.1f}' for c in cpu[fast])} ms |")
    print()
    for (url, _, _), a, b in zip(pages, f1[False], f1[True]):
        if abs(a - b) >= 0.05:
            print(f"- F1 {a:.2f} with fallbacks, {b:.2f} without: {url}")


if __name__ == "__main__":
    main()
