"""Rebuild the git-ignored page texts from the manifest and texts looked up again.

    python eval/real/restore.py --queries [FOLDER]   # restore/<batch>.queries.txt: what to ask again
    python eval/real/restore.py [FOLDER] [--fresh rpQ] # eval/real (default) or eval/multilingual

A new checkout has the manifest but not ``pages/`` or ``fresh/`` (third-party texts stay out
of git). Each manifest query, asked again of the same stored pages, returns the same
excerpts; whoever asks writes the manifest's pages it finds to ``restore/<batch>.jsonl``
(git-ignored), one ``{"id", "title", "body"}`` per line, or as text files
``restore/<batch>/*.txt``, each page a line ``### id: rpX-001``, a line ``### title: ...``
and the excerpt below them (an id written twice: its first block). This script joins them with the
manifest's grades, reason and query and writes ``pages/<batch>.jsonl`` (a multilingual
set's without its ids' ``ml-``: ``pages/ru-b.jsonl``), or
``fresh/<batch>.jsonl`` for a batch kept unscored (``--fresh rpQ``). It prints
what is still missing, per batch. ``--queries`` writes, per batch, ``restore/<batch>.queries.txt``:
each distinct query (``Q001<TAB>query``) with the ids and URLs it must bring back under it.
"""
import argparse
import json
from collections import defaultdict
from pathlib import Path

KEEP = ("id", "url", "outlet", "lang", "labels", "kind", "why", "query")


def file_name(batch: str) -> str:
    """The file a batch of pages is kept in: its ids' prefix ('rpA' -> rpA.jsonl), but for the
    multilingual sets, whose ids carry 'ml-' and whose files do not ('ml-ru-b' -> ru-b.jsonl,
    as bench/crosslingual.py reads them)."""
    return batch.removeprefix("ml-")


def read_text_pages(path: Path) -> list[dict]:
    pages: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### id:"):
            pages.append({"id": line.split(":", 1)[1].strip(), "title": "", "body": ""})
        elif line.startswith("### title:") and pages and not pages[-1]["body"]:
            pages[-1]["title"] = line.split(":", 1)[1].strip()
        elif pages:
            pages[-1]["body"] += line + "\n"
        elif line.strip():
            raise SystemExit(f"{path}: text before the first '### id:' line")
    for page in pages:
        page["body"] = page["body"].strip("\n")
    return pages


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--queries", action="store_true", help="write restore/<batch>.queries.txt and stop")
    ap.add_argument("--fresh", default="", help="batches kept unscored (written to fresh/), comma-separated")
    args = ap.parse_args()
    here = Path(args.folder).resolve()
    fresh = {b for b in args.fresh.split(",") if b}
    manifest = [json.loads(l) for l in (here / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    by_batch: dict[str, list[dict]] = defaultdict(list)
    for row in manifest:
        by_batch[row["id"].rsplit("-", 1)[0]].append(row)
    if args.queries:
        (here / "restore").mkdir(exist_ok=True)
        for batch, rows in sorted(by_batch.items()):
            queries: dict[str, list[dict]] = {}
            for row in rows:
                queries.setdefault(row["query"], []).append(row)
            with (here / "restore" / f"{batch}.queries.txt").open("w", encoding="utf-8") as out:
                for n, (query, found) in enumerate(queries.items(), 1):
                    out.write(f"Q{n:03d}\t{query}\n" + "".join(f"\t{r['id']}\t{r['url']}\n" for r in found))
            print(f"{batch}: {len(queries)} queries for {len(rows)} pages")
        return 0
    for batch, rows in sorted(by_batch.items()):
        src = here / "restore" / f"{batch}.jsonl"
        texts = {}
        for txt in sorted((here / "restore" / batch).glob("*.txt")):
            for obj in read_text_pages(txt):
                if obj["id"] not in {r["id"] for r in rows} or not obj["body"].strip():
                    raise SystemExit(f"{txt}: id {obj['id']!r} is not in the manifest's {batch}, or its body is empty")
                # a search may return one address twice with different excerpts: the first
                # (the higher-ranked, as the page was first found) is the page's
                texts.setdefault(obj["id"], obj)
        if not src.exists() and not texts:
            continue
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines() if src.exists() else [], 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{src}:{n}: not JSON ({exc})")
            if obj.get("id") not in {r["id"] for r in rows} or not (obj.get("body") or "").strip():
                raise SystemExit(f"{src}:{n}: id {obj.get('id')!r} is not in the manifest's {batch}, or its body is empty")
            texts[obj["id"]] = obj
        out_dir = here / ("fresh" if batch in fresh else "pages")
        out_dir.mkdir(exist_ok=True)
        missing = [r["id"] for r in rows if r["id"] not in texts]
        with (out_dir / f"{file_name(batch)}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                if row["id"] in texts:
                    t = texts[row["id"]]
                    page = {k: row[k] for k in KEEP}
                    page["title"] = (t.get("title") or "").strip()
                    page["body"] = t["body"]
                    out.write(json.dumps(page, ensure_ascii=False) + "\n")
        print(f"{batch}: {len(rows) - len(missing)} of {len(rows)} restored to {out_dir.name}/{file_name(batch)}.jsonl"
              + (f"; missing {', '.join(missing[:30])}{' ...' if len(missing) > 30 else ''}" if missing else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
