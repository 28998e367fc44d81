"""Write manifest.jsonl from the gathered Russian and Chinese pages (pages/*.jsonl, git-ignored: third-party texts).

    python eval/multilingual/manifest.py

The manifest keeps what is ours to publish: each page's id, URL, outlet, grades, the
one-line reason for them and the query that found it; never the text.
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEEP = ("id", "url", "outlet", "lang", "labels", "kind", "why", "query")

with (HERE / "manifest.jsonl").open("w", encoding="utf-8") as out:
    for f in sorted((HERE / "pages").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                out.write(json.dumps({k: obj.get(k) for k in KEEP}, ensure_ascii=False) + "\n")
