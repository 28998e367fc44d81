"""Full-text search over article titles and text (DuckDB's ``fts`` extension, BM25).

The extension cannot be downloaded at run time here, so it is installed from the
``duckdb-extension-fts`` wheel, whose version matches the engine's. The index is a
snapshot: ingest rebuilds it after storing new articles.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from .errors import WarehouseError

INDEX_SCHEMA = "fts_main_articles"


def extension_path() -> Path:
    import duckdb_extension_fts

    root = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = root / "fts.duckdb_extension"
    if not path.exists():
        raise WarehouseError(root, f"no fts extension for duckdb {duckdb.__version__} (install duckdb-extension-fts=={duckdb.__version__})")
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("LOAD fts")
    except duckdb.Error:
        # First use on this machine: install from the wheel (copies it into ~/.duckdb).
        con.execute(f"INSTALL '{extension_path()}'")
        con.execute("LOAD fts")


def rebuild_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the BM25 index over articles' title and text (Porter stemmer, English stop words)."""
    load_fts(con)
    con.execute(
        "PRAGMA create_fts_index('articles', 'article_id', 'title', 'text', "
        "stemmer = 'porter', stopwords = 'english', ignore = '(\\.|[^a-z])+', strip_accents = 1, lower = 1, overwrite = 1)"
    )


def has_index(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", [INDEX_SCHEMA]
    ).fetchone()[0])


def search(con: duckdb.DuckDBPyConnection, query: str, profile: str | None = None,
           since: datetime | None = None, limit: int = 20) -> list[dict]:
    """Articles matching ``query`` best first; with ``profile``, only its relevant ones.

    A query in double quotes is a phrase: ranked by BM25, and the exact words must
    appear in that order in the title or text (case-insensitive).
    """
    query = query.strip()
    phrase = None
    if len(query) > 2 and query[0] == query[-1] == '"':
        query = query[1:-1].strip()
        phrase = " ".join(query.split())
    if not query:
        return []
    load_fts(con)
    if not has_index(con):
        return []
    sql = f"""
        WITH hits AS (
            SELECT article_id, {INDEX_SCHEMA}.match_bm25(article_id, ?) AS bm25
            FROM articles
        )
        SELECT a.article_id, a.title, a.outlet, coalesce(a.published_at, a.fetched_at) AS published_at, a.url,
               round(h.bm25, 3) AS bm25
        FROM hits h JOIN articles a USING (article_id)
        WHERE h.bm25 IS NOT NULL
    """
    params: list = [query]
    if phrase:
        sql += " AND (a.title ILIKE ? ESCAPE '\\' OR regexp_replace(a.text, '\\s+', ' ', 'g') ILIKE ? ESCAPE '\\')"
        pattern = "%" + phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [pattern, pattern]
    if since is not None:
        sql += " AND coalesce(a.published_at, a.fetched_at) >= ?"
        params.append(since)
    if profile is not None:
        sql += " AND a.article_id IN (SELECT article_id FROM scores WHERE profile = ? AND relevant)"
        params.append(profile)
    sql += " ORDER BY h.bm25 DESC, a.article_id LIMIT ?"
    params.append(limit)
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]
