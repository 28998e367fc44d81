"""Shared fixtures: a real HTTP server on 127.0.0.1, a project folder with a config."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from commentary_monitor.runs.prefect_server import prefect_quiet_defaults

prefect_quiet_defaults()   # before anything imports prefect

from commentary_monitor.localsite import LocalSite, SampleArticle, article_page, atom_feed, rss_feed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DATA = Path(__file__).resolve().parent / "data"

RELATION_PARAGRAPHS = [
    "Moscow and Beijing have spent a decade describing their partnership as having no limits, yet the "
    "relationship between China and Russia remains asymmetric. Beijing is now the senior partner, and the "
    "Kremlin depends on Chinese markets for its oil and gas, on yuan settlement for its trade, and on Chinese "
    "components for its industry.",
    "The history of the Sino-Soviet alliance and of the split that followed still shapes how each side sees "
    "the other. Memory politics matters: Xi Jinping and Vladimir Putin commemorate the Second World War "
    "together, but Chinese and Russian official narratives of the past diverge on the border treaties of the "
    "nineteenth century.",
    "Central Asia, the Arctic and the Shanghai Cooperation Organisation are where the two neighbours either "
    "coordinate or compete. Western policy that hopes to split Russia from China misreads the partnership.",
]
OFFTOPIC_PARAGRAPHS = [
    "The city council voted on Tuesday to extend the tram line to the new hospital, a project that has been "
    "debated for years. Commuters welcomed the decision, although shopkeepers worry about the construction.",
    "Ticket prices will stay the same next year, the operator said, and night services will run on weekends. "
    "Cycling groups asked for protected lanes alongside the tracks and for more parking near the stations.",
    "Local football fans were more interested in the weekend derby, which ended in a draw after a late penalty "
    "that the home side's coach called a disgrace to the game.",
]


def sample(site: LocalSite, path: str, title: str, paragraphs: list[str], published: datetime,
           author: str = "A. Writer") -> SampleArticle:
    return SampleArticle(
        link=site.url(path), title=title, author=author, summary=paragraphs[0][:160],
        body="\n\n".join(paragraphs), published=published,
    )


def last_week_day(days: int = 2) -> datetime:
    """A moment inside the last complete ISO week (UTC)."""
    from commentary_monitor.digest.weeks import last_complete_week

    week = last_complete_week(datetime.now(timezone.utc), "UTC")
    return datetime.combine(week.monday + timedelta(days=days), datetime.min.time(), timezone.utc) + timedelta(hours=10)


@pytest.fixture
def site():
    with LocalSite() as s:
        yield s


# The [warehouse] keys of each backend the flow tests run on (the ``backend`` fixture of
# tests/flows): the default file, and a DuckLake on a SQLite catalog (no server needed).
BACKENDS = {
    "duckdb": [],
    "ducklake": ['backend = "ducklake"', 'catalog = "sqlite:warehouse/lake.sqlite"', 'data_path = "warehouse/lake/"'],
}


def write_config(root: Path, feeds: list[str], allow: list[str], extra: str = "", backend: str = "duckdb") -> Path:
    """A project folder with config/monitor.toml, the repo's seed essays and a warehouse path
    (and, for ``backend="ducklake"``, a lake beside it: see :data:`BACKENDS`)."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    if not (root / "seeds").exists():
        shutil.copytree(SEEDS, root / "seeds")
    lines = [
        "[warehouse]", 'path = "warehouse/monitor.duckdb"', *BACKENDS[backend],
        "[digest]", 'timezone = "UTC"',
        "[fetch]", "allow_private = [" + ", ".join(f'"{a}"' for a in allow) + "]",
        "timeout = 5.0", "deadline = 10.0", "min_text_chars = 200",
        "per_host_concurrency = 8", "per_host_delay = 0.0", "backoff = 0.2",
    ]
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"']
    lines += [
        "[profiles.sino-russian]",
        'seeds = ["seeds/*.txt"]',
        "[profiles.memory-politics]",
        'seeds = ["seeds/chang-*.txt"]',
        'description = "How states use history and war remembrance in politics: commemorations, parades, memory laws, textbooks, monuments."',
    ]
    path = root / "config" / "monitor.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def read_warehouse(cfg: Path):
    """The warehouse ``cfg`` names, opened read-only on either backend (a context manager
    whose ``con`` answers SQL)."""
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    return Warehouse.open_reader(load_config(str(cfg)).store)


def write_warehouse(cfg: Path):
    """The warehouse ``cfg`` names, opened read-write on either backend (created and migrated
    if new)."""
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    return Warehouse.open(load_config(str(cfg)).store)


@pytest.fixture
def news_site(site):
    """Two outlets (RSS and Atom) with three articles each, plus a broken feed and a 404 feed."""
    when = last_week_day(2)
    rss_items, atom_items = [], []
    for i in range(3):
        paragraphs = RELATION_PARAGRAPHS if i == 0 else OFFTOPIC_PARAGRAPHS
        a = sample(site, f"/east/{i}/", f"East story {i}" if i else "Moscow and Beijing: an unequal partnership",
                   paragraphs, when - timedelta(hours=i))
        site.add(f"/east/{i}/", article_page(a, "East Review"))
        # Tracking parameters in the feed link must not create a second article.
        rss_items.append(SampleArticle(a.link + "?utm_source=rss&utm_campaign=x#top", a.title, a.author, a.summary, a.body, a.published))
        b = sample(site, f"/west/{i}/", f"West story {i}", OFFTOPIC_PARAGRAPHS, when - timedelta(hours=5 + i))
        site.add(f"/west/{i}/", article_page(b, "West Weekly"))
        atom_items.append(b)
    site.add("/east/feed.xml", rss_feed("East Review", site.url("/east/"), rss_items), "application/rss+xml")
    site.add("/west/atom.xml", atom_feed("West Weekly", site.url("/west/"), atom_items), "application/atom+xml")
    site.add("/broken/feed.xml", "<html><body>this is not a feed</body></html>", "text/html")
    return site


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    monkeypatch.delenv("COMMENTARY_MONITOR_CONFIG", raising=False)
    yield


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """libpq parameters of a PostgreSQL for DuckLake catalogs: the one `.ci/run` started
    (``$COMMENTARY_MONITOR_TEST_PG``), else a throw-away one started here (initdb in a temp
    folder, trust auth, a free 127.0.0.1 port), stopped at the end of the session."""
    import subprocess

    dsn = os.environ.get("COMMENTARY_MONITOR_TEST_PG")
    if dsn:
        yield dsn
        return
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries (/usr/lib/postgresql/*/bin): the PostgreSQL-catalog tests need them")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import tempfile

    # Its own folder under /tmp: the postgres user cannot enter pytest's (mode 700, root's).
    root = Path(tempfile.mkdtemp(prefix="cm-pg-"))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if as_pg:
        shutil.chown(root, "postgres")
    data = root / "data"
    subprocess.run([*as_pg, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "monitor"],
                   check=True, capture_output=True)
    subprocess.run([*as_pg, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
                    "-o", f"-p {port} -k {data} -h 127.0.0.1", "-w", "start"], check=True, capture_output=True)
    try:
        yield f"host=127.0.0.1 port={port} user=monitor dbname=postgres"
    finally:
        subprocess.run([*as_pg, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def lake_database(postgres, tmp_path):
    """A fresh PostgreSQL database for one test's lake catalog: its libpq parameters."""
    import uuid

    import duckdb

    from commentary_monitor.warehouse.store import load_extension

    name = "lake_" + uuid.uuid4().hex[:10]
    with duckdb.connect() as con:
        load_extension(con, "postgres")
        con.execute(f"ATTACH '{postgres}' AS pg (TYPE postgres)")
        con.execute(f"CALL postgres_execute('pg', 'CREATE DATABASE {name}', use_transaction := false)")
    return postgres.replace("dbname=postgres", f"dbname={name}")
