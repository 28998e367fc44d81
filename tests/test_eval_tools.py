"""The evaluation folder's own tools: restoring the git-ignored page texts of a new checkout
from the manifest (eval/real/restore.py), and writing the manifest (eval/real/manifest.py)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _folder(tmp_path: Path) -> Path:
    rows = [{"id": f"rpZ-00{i}", "url": f"https://example.org/{i}", "outlet": "example.org", "lang": "en",
             "labels": {"sino_russian": i % 3, "memory_politics": 0}, "kind": "news", "why": f"reason {i}",
             "query": "first query" if i < 3 else "second query"} for i in range(1, 5)]
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    shutil.copy(ROOT / "eval/real/restore.py", folder)
    shutil.copy(ROOT / "eval/real/manifest.py", folder)
    return folder


def _run(folder: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(folder / script), str(folder), *args], capture_output=True, text=True)


def test_restore_lists_the_queries_and_rebuilds_the_pages_with_the_manifests_grades(tmp_path):
    folder = _folder(tmp_path)
    out = _run(folder, "restore.py", "--queries")
    assert out.returncode == 0, out.stderr
    queries = (folder / "restore/rpZ.queries.txt").read_text(encoding="utf-8")
    assert queries.startswith("Q001\tfirst query\n\trpZ-001\thttps://example.org/1\n") and "Q002\tsecond query" in queries
    (folder / "restore/rpZ").mkdir()
    (folder / "restore/rpZ/Q001.txt").write_text(
        "### id: rpZ-002\n### title: A headline\nA headline\n\nIts first paragraph.\n### id: rpZ-001\n### title:\n"
        "A sentence that opens the page.\n"
        "### id: rpZ-002\n### title: Another copy\nThe same address, a lower-ranked excerpt.\n", encoding="utf-8")
    out = _run(folder, "restore.py", "--fresh", "rpY")
    assert out.returncode == 0, out.stderr
    assert "rpZ: 2 of 4 restored to pages/rpZ.jsonl; missing rpZ-003, rpZ-004" in out.stdout
    pages = [json.loads(x) for x in (folder / "pages/rpZ.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in pages] == ["rpZ-001", "rpZ-002"]
    assert pages[1]["title"] == "A headline" and pages[1]["body"] == "A headline\n\nIts first paragraph."
    assert pages[1]["labels"] == {"sino_russian": 2, "memory_politics": 0} and pages[1]["why"] == "reason 2"
    # the manifest is rewritten from the pages present without losing the pages still missing
    before = (folder / "manifest.jsonl").read_text(encoding="utf-8")
    assert subprocess.run([sys.executable, str(folder / "manifest.py"), str(folder)]).returncode == 0
    assert (folder / "manifest.jsonl").read_text(encoding="utf-8") == before


def test_restore_names_the_file_of_a_page_the_manifest_does_not_list(tmp_path):
    folder = _folder(tmp_path)
    (folder / "restore/rpZ").mkdir(parents=True)
    (folder / "restore/rpZ/Q002.txt").write_text("### id: rpZ-009\n### title:\nSome text.\n", encoding="utf-8")
    out = _run(folder, "restore.py")
    assert out.returncode != 0 and "Q002.txt" in out.stderr and "rpZ-009" in out.stderr


def test_restore_names_a_multilingual_sets_file_as_its_bench_reads_it(tmp_path):
    """The multilingual sets' ids carry 'ml-' ('ml-ru-b-001') and their files do not
    (ru-b.jsonl, as bench/crosslingual.py --sets ru-b reads them)."""
    folder = tmp_path / "multilingual"
    folder.mkdir()
    row = {"id": "ml-ru-b-001", "url": "https://example.ru/1", "outlet": "example.ru", "lang": "ru",
           "labels": {"sino_russian": 2, "memory_politics": 0}, "kind": "news", "why": "r", "query": "запрос"}
    (folder / "manifest.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.copy(ROOT / "eval/real/restore.py", folder)
    (folder / "restore/ml-ru-b").mkdir(parents=True)
    (folder / "restore/ml-ru-b/Q001.txt").write_text("### id: ml-ru-b-001\n### title:\nТекст.\n", encoding="utf-8")
    out = _run(folder, "restore.py")
    assert out.returncode == 0, out.stderr
    assert "ml-ru-b: 1 of 1 restored to pages/ru-b.jsonl" in out.stdout
    assert json.loads((folder / "pages/ru-b.jsonl").read_text(encoding="utf-8"))["body"] == "Текст."
