"""Russian and Chinese commentary scored against the English-built profiles, beside boolean alerts.

    python bench/crosslingual.py [--pages eval/multilingual/pages] [--sets ru,zh,ru-b,zh-b]

Per set of pages (``ru.jsonl``, ``zh.jsonl``, and the later ``ru-b.jsonl``, ``zh-b.jsonl``:
the graded pages of eval/multilingual, texts git-ignored; a set's language is its name's
first two letters): the shipped sino-russian profile; the boolean alert built from the profile's
own sides in that language (the names the profile finds for them, as ``eval`` prints it);
and an expert's boolean written in that language (both sides named in one paragraph, with
the stems and abbreviations a reader of the language would type: kept here, as the
yardstick, never in the product). Nothing is fitted on these pages. Also the CPU per
article, English against Russian and Chinese.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from relevance_cv import HEAD, report  # noqa: E402

EXPERT = {   # (side A, side B) as an expert would write the query
    "ru": (re.compile(r"кита|пекин|кнр|си цзиньпин", re.I), re.compile(r"росси|российск|москв|кремл|путин|\bрф\b|советск|ссср", re.I)),
    "zh": (re.compile(r"中国|中國|中方|北京|习近平|習近平|中俄|俄中|中苏|中蘇"), re.compile(r"俄罗斯|俄羅斯|俄方|莫斯科|普京|苏联|蘇聯|中俄|俄中|中苏|中蘇")),
}


def expert(lang: str, text: str) -> float:
    a, b = EXPERT[lang]
    paras = [p for p in re.split(r"\n+", text) if p.strip()]
    return float(sum(1 for p in paras if a.search(p) and b.search(p)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=Path, default=ROOT / "eval/multilingual/pages")
    ap.add_argument("--sets", default="ru,zh", help="the files of --pages to score, by name, comma-separated")
    args = ap.parse_args()
    from commentary_monitor.relevance.anchors import boolean_alert
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.labels import parse_labels
    from commentary_monitor.relevance.profiles import build_profile
    from commentary_monitor.relevance.scoring import Scorer

    cfg = load_config(ROOT / "config/monitor.toml")
    prof = build_profile(next(p for p in cfg.profiles if p.name == "sino-russian"))
    scorer = Scorer([prof])
    print("sides in other languages:", prof.reference.get("foreign_sides"))
    for name in args.sets.split(","):
        lang = name[:2]
        f = args.pages / f"{name}.jsonl"
        if not f.exists():
            continue
        arts = parse_labels(f.read_text(encoding="utf-8").splitlines(), str(f))
        g = [a.grades.get("sino_russian", 0) for a in arts]
        t0 = time.process_time()
        scores = [s[0].score for s in scorer.score_many([(a.title, a.text) for a in arts])]
        cpu = (time.process_time() - t0) / len(arts) * 1000
        t0 = time.process_time()     # again, with the country tables and the word caches filled
        scorer.score_many([(a.title, a.text) for a in arts])
        warm = (time.process_time() - t0) / len(arts) * 1000
        print(f"\n## {name}: {len(arts)} pages, scoring {cpu:.2f} ms CPU an article (first pass), {warm:.2f} ms (again)\n")
        print(HEAD)
        print(report("profile (shipped config)", scores, g, prof.threshold))
        print(report("boolean alert, the profile's sides in its names", [boolean_alert(prof, a.title, a.text) for a in arts], g, float("inf")))
        print(report("expert boolean in the language", [expert(lang, f"{a.title}\n{a.text}") for a in arts], g, float("inf")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
