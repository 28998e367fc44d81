"""The benchmark command runs end to end (tiny sizes, generated pages, loopback only) and
writes its document: the figures themselves are for docs/benchmarks.md, not for a test."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .conftest import REPO


def test_the_pipeline_benchmark_runs_and_writes_its_tables(tmp_path):
    out = tmp_path / "bench.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "pipeline.py"), "--sizes", "24", "--feeds", "3", "--warm-feeds", "4",
         "--warehouse-rows", "3000", "--insert-rows", "200", "--repeat", "1", "--server", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    doc = out.read_text(encoding="utf-8")
    assert doc.startswith("# Benchmarks") and "Machine:" in doc
    # the cold-ingest row: 24 articles, a ratio to the floor and to text-only extraction
    row = next(line for line in doc.splitlines() if line.startswith("| 24 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # (at 24 articles the ratios are mostly Prefect's start-up noise: only their form is checked)
    assert len(cells) == 19 and all(re.fullmatch(r"-?\d+\.\d\d", cells[i]) for i in (9, 10, 11, 12))
    assert float(cells[4].removesuffix(" s")) > 0 and float(cells[11]) > 0    # the flow's own time; text-only share
    assert cells[14] == "3"          # the warm run asks each of the 3 feeds once (conditional GET), no page
    # the warm run over 4 feeds: 304s only, no page fetched
    warm = re.search(r"Warm run, 4 feeds with nothing new: .* (\d+) requests, (\d+) KB of bodies .* (\d+) pages fetched", doc)
    assert warm and warm.groups() == ("4", "0", "0")
    assert "| weekly digest query (both profiles, median of 5) |" in doc and "| storing 200 articles" in doc
    for table in ("| N | flow process", "| N | set-up |"):
        assert table in doc
    # --server: the same size with a Prefect server up, a first run and a nothing-new run
    served = doc.split("| N | first run, server up |", 1)[1].splitlines()
    cells = [c.strip() for c in served[2].strip("|").split("|")]
    assert cells[0] == "24" and all(re.fullmatch(r"\d+\.\d s", cells[i]) for i in (1, 2, 4))


def test_the_extraction_benchmark_scores_both_modes_against_ground_truth(tmp_path):
    import gzip
    import json

    body = "\n\n".join(f"Paragraph {i} of the article on pipelines and tariffs, long enough to be kept by the "
                       "extractor as the main text of the page, with more words." for i in range(8))
    truth = {}
    for k in ("a", "b"):
        html = ("<html><head><title>T</title></head><body><nav>Home | About</nav><article>"
                + "".join(f"<p>{p}</p>" for p in body.split("\n\n")) + "</article><footer>(c) site</footer></body></html>")
        (tmp_path / f"{k}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[k] = {"url": f"https://example.com/{k}", "articleBody": body}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "extraction.py"), "--html-dir", str(tmp_path), "--rounds", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| with") or line.startswith("| without")]
    assert len(rows) == 2
    for row in rows:
        f1 = float(row.split("|")[4])
        assert f1 > 0.9       # the article's text, without the navigation and the footer


def test_the_fixed_cost_benchmark_times_both_ways_of_reporting_to_prefect(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "fixed_cost.py"), "--runs", "1"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "machine: " in proc.stdout
    for way in ("temporary Prefect API: median", "serve's server reused: median"):
        assert way in proc.stdout, proc.stdout


def test_the_fixed_cost_benchmark_compares_with_a_baseline_commit(tmp_path):
    """--baseline REF: the same commands of REF's code (here HEAD's), alternated with this
    code's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "fixed_cost.py"), "--runs", "1", "--baseline", "HEAD"],
                          capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in ("temporary Prefect API, HEAD: median", "serve's server reused, HEAD: median",
                 "temporary Prefect API: this code / HEAD, pair by pair: median"):
        assert line in proc.stdout, proc.stdout


def test_the_fixed_cost_benchmark_times_the_temporary_api_alone_with_no_serve(tmp_path):
    """--no-serve: only the usual case (no Prefect server up), nothing running beside it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "fixed_cost.py"), "--runs", "1", "--no-serve"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "temporary Prefect API: median" in proc.stdout and "serve's server reused" not in proc.stdout


def test_the_calibration_bench_scores_other_language_articles_as_the_scorer_does():
    """A topic profile's article in another language has no topical features (all zero): the
    scorer reads it with the multilingual stage, so the held-out benches take that stage's
    log-odds for it and leave it out of their fits, instead of scoring it as an English article
    without evidence."""
    import math

    sys.path.insert(0, str(REPO / "bench"))
    try:
        import calibrate
    finally:
        sys.path.remove(str(REPO / "bench"))
    from commentary_monitor.relevance.scoring import CALIBRATION

    feats = [{"stage": "multilingual", "multilingual": 1.2}, {"stage": "hybrid", "semantic": 0.9}, {"stage": "lexical"},
             {"stage": "multilingual", "multilingual": 1.2, "language": "uk"}]
    ml, z = calibrate.multilingual_rows(feats)
    assert ml.tolist() == [True, False, False, True]
    assert math.isclose(z[0], CALIBRATION["multilingual"] * 1.2 + CALIBRATION["multilingual_bias"])
    # a language the multilingual model was not trained on has weights of its own (hybrid-v36)
    assert math.isclose(z[3], CALIBRATION["multilingual_other"] * 1.2 + CALIBRATION["multilingual_other_bias"])
