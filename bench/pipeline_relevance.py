"""Relevance through the real pipeline: labeled articles served as a web site, ingested, then measured.

    python bench/pipeline_relevance.py eval/real/pages/*.jsonl [--no-description] [--dump FILE]

Each labeled article (the labels format of ``commentary-monitor eval``) becomes a page on a
site on 127.0.0.1 (its paragraphs as <p>, its title as <h1>), listed in an RSS feed per
outlet; ``commentary-monitor ingest`` fetches, extracts and scores them with the shipped
config (its profiles; ``--no-description``: the descriptions removed) into a fresh
warehouse, and the figures come from the ``scored_articles`` view: what a user would get.
A body that opens with its title loses that paragraph (the page shows the headline once).
For Russian or Chinese pages, the expert's boolean in that language (bench/crosslingual.py)
is also measured on the text as stored. ``--dump FILE`` writes each page's id, grades, scores
and stored text (JSONL) to compare with the texts' own scores. Loopback only.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from relevance_cv import HEAD, report  # noqa: E402

from commentary_monitor.localsite import LocalSite, SampleArticle, article_page, rss_feed  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("labels", nargs="+", type=Path)
    ap.add_argument("--no-description", action="store_true")
    ap.add_argument("--dump", type=Path, help="write each page's id, grades, scores and stored text here (JSONL)")
    args = ap.parse_args()
    rows = [json.loads(x) for f in args.labels for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
    now = datetime.now(timezone.utc)
    with LocalSite() as site, tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "seeds", project / "seeds")
        by_outlet: dict[str, list[SampleArticle]] = {}
        paths = {}
        for i, r in enumerate(rows):
            # the page shows its headline once, as its <h1>: a body that opens with it (the stored
            # excerpts often do) loses that paragraph, and one without a title gives its first
            # short paragraph as the headline
            paras = [p for p in re.split(r"\n+", r.get("body", "")) if p.strip()]
            title = (r.get("title") or "").strip()
            if not title and paras and len(paras[0]) <= 90:
                title = paras.pop(0).strip()
            elif title and paras and paras[0].strip() == title:
                paras.pop(0)
            body = "\n\n".join(paras)
            title = title or body[:90]
            path = f"/a/{i}"
            a = SampleArticle(site.url(path), title, "Staff", body[:200], body, now - timedelta(hours=i % 100))
            site.add(path, article_page(a, r.get("outlet", "site")))
            by_outlet.setdefault(r.get("outlet", "site"), []).append(a)
            paths[site.url(path)] = r
        feeds = []
        for k, (outlet, items) in enumerate(sorted(by_outlet.items())):
            feeds.append(site.add(f"/feed/{k}.xml", rss_feed(outlet, site.url("/"), items), "application/rss+xml"))
        config = (ROOT / "config/monitor.toml").read_text(encoding="utf-8")
        config = re.sub(r"^\[\[feeds\]\]\n(?:[a-z_]+ = .*\n)*", "", config, flags=re.M)   # the shipped feeds out
        if args.no_description:
            config = re.sub(r'description = """.*?"""\n', "", config, flags=re.S)
        config = re.sub(r"^allow_private = \[\]", f'allow_private = ["{site.host_port}"]', config, flags=re.M)
        config += "".join(f'\n[[feeds]]\nurl = "{u}"\n' for u in feeds)
        (project / "config").mkdir()
        (project / "config/monitor.toml").write_text(config, encoding="utf-8")
        out = subprocess.run([str(Path(sys.executable).with_name("commentary-monitor")), "ingest"], cwd=project,
                             capture_output=True, text=True)
        print(out.stdout[-3000:], out.stderr[-3000:])
        import duckdb

        con = duckdb.connect(str(project / "warehouse/monitor.duckdb"), read_only=True)
        got = con.execute("SELECT url, profile, score FROM scored_articles").fetchall()
        from commentary_monitor.config import load_config

        thresholds = {p.name: p.threshold for p in load_config(project / "config/monitor.toml").profiles}
        stored = dict(con.execute("SELECT url, text FROM articles").fetchall())     # the headline is in it (the <h1>)
        con.close()
    scores: dict[str, dict[str, float]] = {}
    for url, profile, score in got:
        scores.setdefault(profile, {})[url] = score
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for u, r in paths.items():
                out.write(json.dumps({"id": r.get("id"), "labels": r.get("labels"), "lang": r.get("lang"),
                                      "scores": {p: scores[p].get(u) for p in scores}, "text": stored.get(u)},
                                     ensure_ascii=False) + "\n")
    print(f"{len(paths)} pages served, {len({u for u, _, _ in got})} stored and scored\n")
    print(HEAD)
    for profile in sorted(scores):
        key = profile.replace("-", "_")
        urls = [u for u in paths if u in scores[profile] and key in paths[u].get("labels", {})]
        print(report(profile, [scores[profile][u] for u in urls], [int(paths[u]["labels"][key]) for u in urls],
                     thresholds[profile]))
    # Russian or Chinese pages: the expert's boolean in that language (bench/crosslingual.py) on
    # the text as stored, beside the profile as the pipeline scored it
    langs = {r.get("lang") for r in paths.values()}
    if len(langs) == 1 and (lang := langs.pop()) in ("ru", "zh") and "sino-russian" in scores:
        from crosslingual import expert

        urls = [u for u in paths if u in stored and "sino_russian" in paths[u].get("labels", {})]
        print(report(f"expert boolean in {lang}, on the stored text", [expert(lang, stored[u]) for u in urls],
                     [int(paths[u]["labels"]["sino_russian"]) for u in urls], float("inf")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
