"""Full-text search over article titles and text: BM25 over an index kept incrementally.

Words are tokenised by their script, which for the monitor's languages is their language:
Latin-script words are Porter-stemmed (English), Cyrillic ones stemmed by the Snowball
``russian`` stemmer, and runs of Chinese characters cut into overlapping character bigrams
(see :func:`article_terms`). A query is tokenised the same way, so a Russian word form finds
the Russian articles that use any form of it, and a Chinese word its articles, in SQL too.

Each ingest adds the terms of the articles it stored (:func:`index_new`) to two tables,
``search_terms`` and ``search_docs``, instead of rebuilding an index over the whole
warehouse: DuckDB's ``PRAGMA create_fts_index`` rebuilds everything, and its memory grew
with the warehouse (~300 MB at 5,000 articles). Latin words are split on anything but a-z
after lower-casing and stripping accents, English stop words dropped, then Porter-stemmed with
the ``stem`` function of DuckDB's ``fts`` extension (installed offline from the
``duckdb-extension-fts`` wheel, whose version matches the engine's). The table macro
``search_bm25(query)``, created with the index, gives the same ranking in SQL.

An ingest does the word splitting where the article is built, in the extraction workers
(:func:`article_terms`: the same words as the SQL, stemmed by the same ``stem`` from a
table of common words their fork server builds once, :func:`prestem`), stems the rarer
rest once per batch (:func:`resolve_terms`) and stores the terms with the article in one
transaction (:func:`store_terms`): ~0.6 ms an article in the workers instead of ~1.5 ms of
SQL on the run's one writer. :func:`index_new` indexes in SQL whatever a
warehouse still lacks (a killed run's articles, a warehouse from before the index).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import duckdb

from commentary_monitor.errors import WarehouseError
from commentary_monitor.extraction.stopwords import ENGLISH_STOP_WORDS

K1, B = 1.2, 0.75       # BM25's usual constants (as DuckDB's fts extension)


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


def _split(expr: str) -> str:
    """SQL: the words of the text ``expr``, lower-cased, accents stripped (a-z runs only)."""
    return f"string_split_regex(lower(strip_accents(coalesce({expr}, ''))), '[^a-z]+')"


def _words(expr: str) -> str:
    """SQL: the indexed words of the text ``expr`` (stop words out, not yet stemmed)."""
    stop = ", ".join(f"'{w}'" for w in sorted(ENGLISH_STOP_WORDS))   # a-z only: safe to inline
    return f"list_filter({_split(expr)}, w -> w <> '' AND NOT list_contains([{stop}], w))"


# Cyrillic and Chinese characters, as RE2 (DuckDB) and Python spell the same ranges.
_CYRILLIC_SQL = r"[\x{0400}-\x{04FF}]+"
_HAN_SQL = r"[\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}]+"
_CYRILLIC = re.compile("[\u0400-\u04ff]+")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")
_NOT_LATIN = re.compile("[\u0400-\u04ff\u3400-\u4dbf\u4e00-\u9fff]+")   # what the a-z split drops anyway

# The commonest Russian function words (after 'ё' -> 'е', as the text is folded): Snowball's
# Russian stop list, less its rarer entries. Cyrillic only: safe to inline in SQL.
RUSSIAN_STOP_WORDS = frozenset("""
а без более бы был была были было быть в вам вас ведь весь во вот все всего всех вы где да даже
для до другой его ее ей ему если есть еще же за здесь и из или им их к как какая какой когда
кто куда ли между меня мне много может можно мой моя мы на над надо нас не него нее нельзя нет
ней нем ни ним них ничего но ну о об он она они оно опять от очень перед по под после потом потому почти при
про раз с сам свою себе себя со так такой там тебя тем теперь то тогда того тоже только том ты
тут у уж уже хоть чем через что чтоб чтобы чуть эти этого этой этом этот эту я
""".split())


def _cyrillic_words(expr: str) -> str:
    """SQL: the Cyrillic words of the text ``expr``, lower-cased, 'ё' as 'е', stop words out."""
    stop = ", ".join(f"'{w}'" for w in sorted(RUSSIAN_STOP_WORDS))
    return (f"list_filter(regexp_extract_all(replace(lower(coalesce({expr}, '')), 'ё', 'е'), '{_CYRILLIC_SQL}'), "
            f"w -> NOT list_contains([{stop}], w))")


def _han_bigrams(expr: str) -> str:
    """SQL: each run of Chinese characters in ``expr`` as its overlapping bigrams (a run of
    one character as itself)."""
    return (f"flatten(list_transform(regexp_extract_all(coalesce({expr}, ''), '{_HAN_SQL}'), "
            "r -> CASE WHEN length(r) = 1 THEN [r] ELSE list_transform(range(1, length(r)), i -> substring(r, i, 2)) END))")


def _terms(expr: str) -> str:
    """SQL: the index terms of the text ``expr``, as a list with repeats (see :func:`article_terms`)."""
    return (f"list_concat(list_transform({_words(expr)}, w -> stem(w, 'porter')), "
            f"list_transform({_cyrillic_words(expr)}, w -> stem(w, 'russian')), {_han_bigrams(expr)})")


# --- the index's words in Python: the same as _split()/_words(), for the extraction workers ---

@lru_cache(maxsize=None)
def _fold_char(ch: str) -> str:
    """What ``strip_accents`` leaves of a non-ASCII character, as far as the a-z split can
    tell: its letters without their marks ('é' -> 'e'), nothing for a lone combining mark,
    else a separator."""
    if unicodedata.category(ch) == "Mn":
        return ""
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
    return base if base.isascii() and base.isalpha() else " "


@lru_cache(maxsize=4096)
def _fold_run(run: str) -> str:
    return "".join(_fold_char(c) for c in run)


def _fold_errors(exc: UnicodeEncodeError) -> tuple[str, int]:
    # called once per run of non-ASCII characters: mostly the same few (’ “ ” — é)
    return _fold_run(exc.object[exc.start : exc.end]), exc.end


codecs.register_error("commentary-monitor-fold", _fold_errors)
_AZ = re.compile(r"[a-z]+")
_stems: dict[str, str] = {}
_stem_lock = threading.Lock()
_stem_con: duckdb.DuckDBPyConnection | None = None


STEMS_MAX = 500_000     # a long-lived process (``serve``) starts its cache afresh past this


def _stem_all(words) -> dict[str, str]:
    """The stems of ``words``, with DuckDB's own ``stem``: Porter for a-z words, Snowball's
    Russian for Cyrillic ones; each word stemmed once per process (one query for all that are
    new: a query costs ~0.4 ms whatever its size, so words are stemmed in bulk, not one
    article at a time)."""
    global _stem_con
    with _stem_lock:
        words = set(words)
        new = [w for w in words if w not in _stems]
        if new:
            if len(_stems) + len(new) > STEMS_MAX:
                _stems.clear()
                new = list(words)
            if _stem_con is None:
                _stem_con = duckdb.connect(config={"threads": 1})
                load_fts(_stem_con)
            latin = [w for w in new if w.isascii()]
            for group, stemmer in ((latin, "porter"), (list(set(new) - set(latin)), "russian")):
                if group:
                    _stems.update(_stem_con.execute(
                        f"SELECT w, stem(w, '{stemmer}') FROM (SELECT unnest(string_split(?, ' ')) AS w)",
                        [" ".join(group)]).fetchall())
        return {w: _stems[w] for w in words}


COMMON_WORDS = 50_000


def prestem(close: bool = False) -> None:
    """Stem the most common English words (wordfreq's list) at once: a worker that starts
    with them leaves few words of an article to :func:`resolve_terms`. The stems are kept in
    the user's cache folder (:func:`common_stems_path`) and read back by the next run (~0.9 s
    of CPU to stem, ~0.05 s to read). With ``close``, the stemming connection is closed after
    (before a fork: see :mod:`.worker_start`). Russian words are left to :func:`resolve_terms`
    (one query a batch): loading wordfreq's Russian list alone took ~0.9 s, paid by every run
    whether or not it meets a Russian page."""
    global _stem_con
    path = common_stems_path()
    try:
        stems = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(stems, dict):
            raise ValueError("not a table of stems")
        with _stem_lock:
            _stems.update(stems)
    except (OSError, ValueError):    # not there yet, or damaged: stemmed again, and kept
        import wordfreq

        stems = _stem_all(w for w in wordfreq.top_n_list("en", COMMON_WORDS)
                          if w.isascii() and w.isalpha() and w.islower() and w not in ENGLISH_STOP_WORDS)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(stems, separators=(",", ":")), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass     # a read-only home only costs stemming them again next time
    if close:
        with _stem_lock:
            if _stem_con is not None:
                _stem_con.close()
                _stem_con = None


def common_stems_path() -> Path:
    """Where :func:`prestem` keeps the common words' stems: the user's cache folder
    (:func:`commentary_monitor.usercache.folder`), under a name that changes with what makes them
    (wordfreq's and DuckDB's versions, the list's length, the stop words)."""
    import hashlib

    from commentary_monitor.usercache import folder, package_version

    key = hashlib.sha256(f"{package_version('wordfreq')}|{duckdb.__version__}|{COMMON_WORDS}|"
                         f"{sorted(ENGLISH_STOP_WORDS)}".encode())
    return folder() / f"common-stems-{key.hexdigest()[:16]}.json"


@dataclass
class Terms:
    """An article's index terms as counted where it was built: ``stems`` already stemmed,
    ``words`` (rarer ones) to be stemmed by :func:`resolve_terms`."""
    stems: dict[str, int]
    words: dict[str, int]


def article_terms(title: str | None, text: str | None) -> Terms:
    """The words of ``title || ' ' || text`` exactly as :func:`index_new` splits them in
    SQL, counted: a-z runs after lower-casing and stripping accents (English stop words
    out), Cyrillic runs lower-cased with 'ё' as 'е' (Russian stop words out), those whose
    stem this process knows already stemmed; and the bigrams of runs of Chinese characters,
    which need no stemming."""
    raw = f"{title or ''} {text or ''}"
    folded = raw.lower()
    counts: Counter[str] = Counter()
    stems: dict[str, int] = {}
    if not folded.isascii():
        counts.update(w for w in _CYRILLIC.findall(folded.replace("ё", "е")) if w not in RUSSIAN_STOP_WORDS)
        for run in _HAN.findall(raw):
            for gram in ([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]):
                stems[gram] = stems.get(gram, 0) + 1
        folded = _NOT_LATIN.sub(" ", folded).encode("ascii", "commentary-monitor-fold").decode("ascii")
    counts.update(w for w in _AZ.findall(folded) if w not in ENGLISH_STOP_WORDS)
    words = {}
    known = _stems.get
    for w, n in counts.items():
        stem = known(w)
        if stem is None:
            words[w] = n
        else:
            stems[stem] = stems.get(stem, 0) + n
    return Terms(stems, words)


def resolve_terms(batch: list[Terms]) -> list[tuple[list[str], list[int]]]:
    """(terms, counts) of each article, its remaining words stemmed (one query for all)."""
    stemmed = _stem_all({w for t in batch for w in t.words})
    out = []
    for t in batch:
        stems = Counter(t.stems)
        for w, n in t.words.items():
            stems[stemmed[w]] += n
        out.append((list(stems), list(stems.values())))
    return out


def index_terms(title: str | None, text: str | None) -> tuple[list[str], list[int]]:
    """The index's terms of one article and how often each occurs (as :func:`index_new`)."""
    return resolve_terms([article_terms(title, text)])[0]


def store_terms(con: duckdb.DuckDBPyConnection, indexed: list[tuple[str, Terms]]) -> int:
    """Add (article_id, :func:`article_terms`) to the index, skipping an article it has
    already; in the caller's transaction. Returns how many were added."""
    if not indexed:
        return 0
    from commentary_monitor.warehouse.feed_queries import present

    have = present(con, "SELECT article_id FROM search_docs WHERE article_id IN {keys}", [i for i, _ in indexed])
    indexed = [(i, t) for i, t in indexed if i not in have]
    if not indexed:
        return 0
    fresh = [(i, *resolved) for (i, _), resolved in zip(indexed, resolve_terms([t for _, t in indexed]))]
    # One JSON row per article, its terms and counts as space-separated strings that DuckDB
    # splits: 0.15 ms an article, against ~0.9 ms for flat numpy arrays (DuckDB sorts string
    # arrays to scan them) and seconds for list parameters. Terms are a-z stems: no spaces.
    payload = json.dumps([[i, " ".join(terms), " ".join(map(str, tfs)), sum(tfs)] for i, terms, tfs in fresh])
    rows = "(SELECT unnest(from_json(?::JSON, '[[\"VARCHAR\"]]')) AS r)"
    con.execute(f"INSERT INTO search_docs SELECT r[1], r[4]::INTEGER FROM {rows}", [payload])
    con.execute(f"INSERT INTO search_terms SELECT unnest(string_split(r[2], ' ')), r[1], "
                f"unnest(string_split(r[3], ' '))::INTEGER FROM {rows} WHERE r[2] <> ''", [payload])
    return len(fresh)


def index_new(con: duckdb.DuckDBPyConnection) -> int:
    """Index, in SQL, every stored article the index lacks: at the end of each ingest (an
    article a killed run stored without its terms) and the first time over a warehouse from
    before the index. Returns how many. One transaction: an article is indexed whole or not
    at all."""
    if _index_complete(con):
        return 0
    load_fts(con)
    con.execute("BEGIN TRANSACTION")
    try:
        # The same words as _words(), but stop words dropped by a join: a list lookup per word
        # costs ~3 ms an article.
        con.execute("CREATE OR REPLACE TEMP TABLE _stop AS SELECT unnest(?::VARCHAR[]) AS word",
                    [sorted(ENGLISH_STOP_WORDS)])
        con.execute("CREATE OR REPLACE TEMP TABLE _new_ids AS SELECT article_id FROM articles a "
                    "WHERE NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.article_id = a.article_id)")
        n = con.execute("SELECT count(*) FROM _new_ids").fetchone()[0]
        if n:
            doc = "coalesce(title, '') || ' ' || coalesce(text, '')"
            new_articles = "FROM articles WHERE article_id IN (SELECT article_id FROM _new_ids)"
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _new_terms AS
                SELECT article_id, stem(w, 'porter') AS term FROM (
                    SELECT article_id, unnest({_split(doc)}) AS w {new_articles})
                WHERE w <> '' AND w NOT IN (SELECT word FROM _stop)
                UNION ALL
                SELECT article_id, stem(w, 'russian') FROM (SELECT article_id, unnest({_cyrillic_words(doc)}) AS w {new_articles})
                UNION ALL
                SELECT article_id, unnest({_han_bigrams(doc)}) {new_articles}""")
            con.execute("INSERT INTO search_terms SELECT term, article_id, count(*)::INTEGER FROM _new_terms "
                        "GROUP BY term, article_id")
            con.execute("INSERT INTO search_docs SELECT i.article_id, count(t.term)::INTEGER FROM _new_ids i "
                        "LEFT JOIN _new_terms t USING (article_id) GROUP BY i.article_id")
            con.execute("DROP TABLE _new_terms")
        con.execute("DROP TABLE _new_ids")
        # the same ranking in SQL: SELECT * FROM search_bm25('arctic shipping')
        con.execute(f"CREATE OR REPLACE MACRO search_bm25(query) AS TABLE {bm25_sql('query')}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return n


def _index_complete(con: duckdb.DuckDBPyConnection) -> bool:
    """Every stored article indexed, and the SQL macro in place: the usual case at the end
    of an ingest, told by two counts (articles are never deleted and each is indexed once,
    so equal counts are the same set) instead of an anti-join over the whole warehouse."""
    return con.execute(
        "SELECT (SELECT count(*) FROM articles) = (SELECT count(*) FROM search_docs) AND EXISTS "
        "(SELECT 1 FROM duckdb_functions() WHERE function_name = 'search_bm25' AND schema_name = 'main')").fetchone()[0]


def bm25_sql(query_param: str = "?") -> str:
    """SQL of (article_id, bm25) for the query text given as ``query_param``."""
    return f"""
        WITH qt AS (SELECT {query_param}::VARCHAR AS text),
        q AS (SELECT DISTINCT unnest({_terms("qt.text")}) AS term FROM qt),
        n AS (SELECT count(*) AS n, avg(len) AS avgdl FROM search_docs),
        df AS (SELECT term, count(*) AS df FROM search_terms WHERE term IN (SELECT term FROM q) GROUP BY term)
        SELECT t.article_id,
               sum(ln((n.n - df.df + 0.5) / (df.df + 0.5) + 1)
                   * t.tf * ({K1} + 1) / (t.tf + {K1} * (1 - {B} + {B} * d.len / n.avgdl))) AS bm25
        FROM search_terms t JOIN df USING (term) JOIN search_docs d USING (article_id) CROSS JOIN n
        GROUP BY t.article_id"""


def has_index(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM search_docs").fetchone()[0])


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
        WITH hits AS ({bm25_sql()})
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
