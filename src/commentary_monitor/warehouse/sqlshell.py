"""``commentary-monitor sql``: run a query read-only and print or write its result."""

from __future__ import annotations

import sys

import duckdb

from commentary_monitor.warehouse.search import load_fts


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Make the full-text index's functions usable in ad-hoc queries when possible."""
    try:
        load_fts(con)
    except Exception:  # noqa: BLE001 - search is optional for plain SQL
        pass


def run(con: duckdb.DuckDBPyConnection, query: str, fmt: str = "table", out: str | None = None) -> int:
    try:
        rel = con.sql(query)
    except duckdb.Error as exc:
        print(f"commentary-monitor: sql: {exc}", file=sys.stderr)
        return 1
    if rel is None:          # a statement without a result (SET, PRAGMA, ...)
        return 0
    try:
        if fmt == "table":
            rel.show(max_width=10_000, max_rows=10_000)
        elif fmt == "parquet":
            rel.write_parquet(out)
        elif fmt == "csv" and out:
            rel.write_csv(out, header=True)
        else:
            _write_text(rel, fmt, out)
    except duckdb.Error as exc:
        print(f"commentary-monitor: sql: {exc}", file=sys.stderr)
        return 1
    if out:
        print(f"wrote {out}", file=sys.stderr)
    return 0


def _write_text(rel: duckdb.DuckDBPyRelation, fmt: str, out: str | None) -> None:
    import csv
    import json

    cols, rows = rel.columns, rel.fetchall()
    stream = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "csv":
            w = csv.writer(stream, lineterminator="\n")
            w.writerow(cols)
            w.writerows(rows)
        else:
            json.dump([dict(zip(cols, r)) for r in rows], stream, default=str, ensure_ascii=False, indent=1)
            stream.write("\n")
    finally:
        if out:
            stream.close()


def interactive(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """A small prompt: one statement per line (end with ';' to continue over lines); .quit or Ctrl-D."""
    try:
        import readline  # noqa: F401 - line editing and history when available
    except ImportError:
        pass
    print(f"{name} (read-only). End statements with ';'. .tables lists tables, .quit leaves.")
    buffer: list[str] = []
    while True:
        try:
            line = input("... " if buffer else "sql> ")
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            buffer = []
            continue
        if not buffer and line.strip() in (".quit", ".exit", "\\q"):
            return 0
        if not buffer and line.strip() == ".tables":
            run(con, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
            continue
        buffer.append(line)
        text = "\n".join(buffer).strip()
        if text.endswith(";") or (len(buffer) == 1 and not text):
            if text.rstrip(";").strip():
                run(con, text.rstrip(";"))
            buffer = []
