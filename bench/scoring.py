"""What scoring costs: model load, profile build, and milliseconds per article.

    .venv/bin/python bench/scoring.py ../shared

Scores the 181 real news pages of ``shared/corpus/news-html`` (extracted first, as the
pipeline does; the extraction time is measured too, for scale) and the 50 dev articles
against the shipped profiles, in one process on one core, and prints the figures the
README quotes. The first pass starts with cold word caches (as a fresh process); the
others show a long-running process. Run it on an idle machine.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def cold(code: str) -> float:
    """Seconds a fresh interpreter needs for ``code`` (imports included)."""
    out = subprocess.run([sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(shared: str) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.extraction.extract import extract_page
    from commentary_monitor.relevance.profiles import load_profiles
    from commentary_monitor.relevance.scoring import Scorer

    shared_path = Path(shared)
    print(f"machine: {machine()}")
    print(f"load the static model (cold process): {cold('from commentary_monitor.relevance.semantic import default_encoder; default_encoder()'):.2f} s")
    wf = cold("from wordfreq import word_frequency; word_frequency('moscow', 'en')")
    print(f"import wordfreq and look up one word (cold): {wf:.2f} s")
    cfg = load_config(ROOT / "config" / "monitor.toml")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        profiles = load_profiles(cfg.profiles, Path(tmp))
        build = time.perf_counter() - t
        cached = cold(f"from pathlib import Path; from commentary_monitor.config import load_config; "
                      f"from commentary_monitor.relevance.profiles import load_profiles; "
                      f"load_profiles(load_config('config/monitor.toml').profiles, Path({tmp!r}))")
    print(f"build {len(profiles)} profiles (model loaded): {build:.2f} s; load them from the cache (cold process): {cached:.2f} s")

    pages = sorted((shared_path / "corpus" / "news-html").glob("*.html.gz"))
    texts, extract_ms = [], []
    for f in pages:
        raw = gzip.decompress(f.read_bytes())
        t = time.perf_counter()
        ex = extract_page(raw, f"https://example.invalid/{f.name}")
        extract_ms.append((time.perf_counter() - t) * 1000)
        if ex:
            texts.append((ex.title or "", ex.text))
    for line in (shared_path / "eval" / "dev" / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        texts.append((o["title"], "\n\n".join(x for x in (o.get("dek"), o.get("body")) if x)))

    scorer = Scorer(profiles)
    # the multilingual encoder's share: its encode calls timed inside each article's scoring
    from commentary_monitor.relevance import multilingual

    model, spent = multilingual.encoder(), [0.0]
    encode = model.encode

    def timed(batch):
        t = time.perf_counter()
        try:
            return encode(batch)
        finally:
            spent[0] += time.perf_counter() - t

    model.encode = timed
    passes, encoder_passes = [], []
    for _ in range(3):
        per, enc = [], []
        for title, text in texts:
            t, spent[0] = time.perf_counter(), 0.0
            scorer.score_many([(title, text)])
            per.append((time.perf_counter() - t) * 1000)
            enc.append(spent[0] * 1000)
        passes.append(per)
        encoder_passes.append(enc)
    model.encode = encode
    encoder_ms = [statistics.median(x) for x in zip(*encoder_passes)]
    first = passes[0]
    per = [statistics.median(x) for x in zip(*passes)]
    # the articles read in another language than English, and the English ones
    scored = scorer.score_many(texts)
    foreign = {i for i, row in enumerate(scored) if any("language" in s.features for s in row)}
    english = [x for i, x in enumerate(per) if i not in foreign]
    other = [x for i, x in enumerate(per) if i in foreign] or [0.0]
    stages = [s.features["stage"] for row in scored for s in row]
    both_cheap = sum(all(s.features["stage"] == "lexical" for s in row) for row in scored)
    meaning = sum(any("meaning" in s.features for s in row) for row in scored)
    per.sort()
    print(f"articles: {len(texts)} ({len(pages)} real pages, extracted, + dev articles); profiles: {len(profiles)}")
    print(f"extraction (trafilatura, for scale): mean {statistics.mean(extract_ms):.1f} ms/page, median {statistics.median(extract_ms):.1f}")
    print(f"scoring against all profiles, first pass (word caches cold): mean {statistics.mean(first):.2f} ms/article, "
          f"median {statistics.median(first):.2f}")
    print(f"scoring against all profiles, median of 3 passes: mean {statistics.mean(per):.2f} ms/article, "
          f"median {statistics.median(per):.2f}, p95 {per[int(0.95 * (len(per) - 1))]:.2f}")
    print(f"of which in English: {len(english)} articles, mean {statistics.mean(english):.2f} ms/article; in another "
          f"language: {len(foreign)}, mean {statistics.mean(other):.2f}")
    print(f"of which in the multilingual encoder (articles in another language, and English ones a topic profile is "
          f"unsure of): mean {statistics.mean(encoder_ms):.2f} ms/article; without it {statistics.mean(per) - statistics.mean(encoder_ms):.2f}")
    print(f"read for a topic profile's description's meaning too (multilingual encoder, English articles at or "
          f"above the gate): {meaning} of {len(texts)} articles")
    print(f"decided by the cheap lexical stage: {stages.count('lexical')} of {len(stages)} (article, profile) pairs; "
          f"{both_cheap} of {len(texts)} articles never embedded")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared"))
