"""Write manifest.jsonl from gathered pages (pages/*.jsonl and fresh/*.jsonl, git-ignored: third-party texts).

    python eval/real/manifest.py [FOLDER]      # eval/real (default) or eval/multilingual

The manifest keeps what is ours to publish: each page's id, URL, outlet, language, grades,
the one-line reason for them and the query that found it; never the text.
"""
import json
import sys
from pathlib import Path

HERE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent
KEEP = ("id", "url", "outlet", "lang", "labels", "kind", "why", "query")

# A page the manifest lists and whose text is not here (a new checkout restored only some
# batches: restore.py) keeps its line: the manifest is never shortened by a missing text.
path = HERE / "manifest.jsonl"
rows = {}
if path.exists():
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            rows[obj["id"]] = obj
# pages/: the batches in use; fresh/: a batch gathered blind and kept unscored, the test
# of the next change to the scorer (moved to pages/ when it is used)
for f in sorted((HERE / "pages").glob("*.jsonl")) + sorted((HERE / "fresh").glob("*.jsonl")):
    for line in f.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            rows[obj["id"]] = {k: obj.get(k) for k in KEEP}
with path.open("w", encoding="utf-8") as out:
    for obj in rows.values():     # the manifest's order, then pages new to it
        out.write(json.dumps({k: obj.get(k) for k in KEEP}, ensure_ascii=False) + "\n")
