"""The command line as a user runs it: real subprocesses."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

import duckdb
import pytest

from commentary_monitor.cli import COMMANDS
from commentary_monitor.relevance.scoring import MODEL_NAME
from commentary_monitor.warehouse.store import Warehouse

from .conftest import REPO, write_config
from .test_warehouse import article, score

EXE = shutil.which("commentary-monitor", path=str(Path(sys.executable).parent)) or "commentary-monitor"


def cli(*args: str, cwd: Path | None = None, timeout: int = 300, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "COMMENTARY_MONITOR_CONFIG"}
    env.update(extra_env)
    # Never the repository's own folder: a Prefect database there would end up in commits.
    env["PREFECT_HOME"] = str(Path(tempfile.gettempdir()) / "commentary-monitor-test-prefect" if cwd is None
                              else cwd / ".prefect-home")
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def test_help_lists_every_command():
    out = cli("--help")
    assert out.returncode == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", out.stdout, re.M), command


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"commentary-monitor {command}" in readme, command


def running_with_prefect_home(home: Path) -> list[int]:
    """The processes (pids) whose environment names ``home`` as PREFECT_HOME."""
    wanted = f"PREFECT_HOME={home}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and wanted in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def test_config_error_is_one_line_and_exit_2(tmp_path):
    """... and the temporary Prefect API the command started first, on a guess, is gone."""
    bad = tmp_path / "monitor.toml"
    bad.write_text('[fetch]\ntimeout = "soon"\n', encoding="utf-8")
    out = cli("--config", str(bad), "ingest", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"commentary-monitor: error: {bad}: fetch.timeout: input should be a valid number"]
    assert "Traceback" not in out.stderr
    assert not running_with_prefect_home(tmp_path / ".prefect-home")


def test_bad_week_is_refused_before_anything_runs(tmp_path):
    cfg = write_config(tmp_path, [], [])
    out = cli("--config", str(cfg), "digest", "--week", "2026-47")
    assert out.returncode == 2 and "--week: expected an ISO week like 2026-W47" in out.stderr


def test_a_week_that_has_not_started_is_refused(tmp_path):
    cfg = write_config(tmp_path, [], [])
    for extra in ((), ("--preview",)):
        out = cli("--config", str(cfg), "digest", "--week", "2099-W10", *extra, cwd=tmp_path)
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip().splitlines() == [
            "commentary-monitor: error: --week: 2099-W10 has not started yet (it starts on 2099-03-02)"]
    assert not (tmp_path / "warehouse" / "monitor.duckdb").exists() and not (tmp_path / "warehouse" / "digests").exists()


def test_sql_reads_the_warehouse_read_only(tmp_path):
    cfg = write_config(tmp_path, [], [])
    with Warehouse.open(tmp_path / "warehouse" / "monitor.duckdb") as wh:
        wh.store_articles(wh.start_run("ingest"), [article(1)], [[score("sino-russian", 0.8)]])
    out = cli("--config", str(cfg), "sql", "select title, score from scored_articles order by score desc limit 10")
    assert out.returncode == 0, out.stderr
    assert "Title 1" in out.stdout and "0.8" in out.stdout
    out = cli("--config", str(cfg), "sql", "delete from articles")
    assert out.returncode == 1 and "read-only" in out.stderr and "Traceback" not in out.stderr
    out = cli("--config", str(cfg), "sql", "select nope from articles")
    assert out.returncode == 1 and "nope" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("backend", ["duckdb", "ducklake"])
def test_run_offline_ends_cleanly(tmp_path, backend):
    """Every feed failing is no "all is well": the run exits 3 (documented), and the digest it
    still writes names each feed with its error."""
    cfg = write_config(tmp_path, ["http://no-such-host.invalid/feed", "https://nor-this.invalid/rss"], [],
                       backend=backend)
    out = cli("--config", str(cfg), "run", cwd=tmp_path)
    assert out.returncode == 3, out.stderr
    assert "2 feeds, 0 ok, 2 failed; 0 new articles" in out.stdout
    assert "is this machine offline?" in out.stdout
    assert re.search(r"digest \d{4}-W\d\d: 0 articles", out.stdout)
    (md,) = (tmp_path / "warehouse" / "digests").glob("*.md")
    footer = md.read_text(encoding="utf-8").split("\n---\n")[-1]
    assert "fetching and publishing" not in footer
    assert "Sources needing attention (2 of 2 feeds)" in footer
    assert footer.count("not fetched this week; last attempt") == 2 and "dns:" in footer
    assert "Traceback" not in out.stderr and "ERROR" not in out.stderr, out.stderr


def test_the_command_lines_own_flow_runs_send_no_heartbeats(monkeypatch):
    """A sync flow run waits up to a second at its end for Prefect's heartbeat thread; the
    command line's runs report to a temporary API nobody watches, so it turns them off, and
    keeps them when the user set a frequency or names a Prefect server."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from commentary_monitor.cli import _flow_settings

    for key in ("PREFECT_API_URL", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY"):
        monkeypatch.delenv(key, raising=False)
    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None and default >= 30
    # no server named (other tests of this process may have named one in the settings)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        with _flow_settings():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency == default
        monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")
        with _flow_settings():
            assert get_current_settings().flows.heartbeat_frequency == default    # the user's choice stands
        monkeypatch.delenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY")
        monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
        with _flow_settings():
            assert get_current_settings().flows.heartbeat_frequency == default
        monkeypatch.delenv("PREFECT_API_URL")
    # a server named in the settings (a Prefect profile) rather than the environment
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        with _flow_settings():
            assert get_current_settings().flows.heartbeat_frequency == default


def test_flow_commands_import_prefect_first_and_freeze_it_out_of_the_collectors_reach(tmp_path):
    """_import_for_flows: the collector is on again after it, Prefect's objects are frozen, and
    the temporary API's modules are imported only when no Prefect server is named."""
    probe = ("import gc, sys; from commentary_monitor.cli import _import_for_flows; _import_for_flows(); "
             "print(gc.isenabled(), gc.get_freeze_count() > 100_000, 'prefect.flow_engine' in sys.modules, "
             "'prefect.server.api.server' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    ours = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert ours.stdout.split() == ["True", "True", "True", "True"], ours.stderr
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"     # a server of the user's: no temporary API
    theirs = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert theirs.stdout.split() == ["True", "True", "True", "False"], theirs.stderr


def test_the_workers_fork_server_starts_early_only_for_a_first_run_or_profiles_to_build(tmp_path):
    """An hourly ingest mostly finds fewer new pages than a pool is worth: the CLI starts the
    workers' fork server ahead of Prefect only for a first run (no warehouse yet) or when a
    profile must be built; otherwise the run's first pool starts it, if one is needed."""
    from commentary_monitor.cli import _workers_ahead
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import load_profiles

    path = write_config(tmp_path, ["http://127.0.0.1:1/feed.xml"], [])
    cfg = load_config(path)
    assert cfg.fetch.extract_workers > 1
    assert _workers_ahead(cfg)                       # a first run
    load_profiles(cfg.profiles, cfg.profile_cache)
    assert _workers_ahead(cfg)                       # still no warehouse
    Warehouse.open(cfg.store).close()
    assert not _workers_ahead(cfg)                   # the hourly case
    (tmp_path / "seeds" / "chang-edited.txt").write_text("An essay on the Victory Day parade in Moscow. " * 40, encoding="utf-8")
    assert _workers_ahead(load_config(path))         # a seed edited: a profile to build


def test_demo_runs_in_an_empty_folder_and_puts_the_relevant_sample_articles_first(tmp_path):
    """No config, no seeds: the sample carries its own, and the demo writes into ./commentary-monitor-demo/."""
    out = cli("demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "2 feeds, 2 ok, 0 failed; 20 new articles" in out.stdout
    assert "Traceback" not in out.stderr and "ERROR" not in out.stderr, out.stderr
    demo = tmp_path / "commentary-monitor-demo"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".prefect-home") == ["commentary-monitor-demo"]
    assert "commentary-monitor --config commentary-monitor-demo/demo.toml sql" in out.stdout
    (digest_path,) = (demo / "digests").glob("*.md")
    md = digest_path.read_text(encoding="utf-8")
    expected = {a["title"]: a["expected"] for a in json.loads(
        (REPO / "src" / "commentary_monitor" / "demo" / "articles.json").read_text(encoding="utf-8"))}
    sections = re.split(r"^## ", md, flags=re.M)[1:]
    assert [s.splitlines()[0] for s in sections] == ["sino-russian", "memory-politics"]
    for section, profile in zip(sections, ("sino-russian", "memory-politics")):
        titles = [t.replace("\\", "") for t in re.findall(r"^\d+\. \*\*\[(.+?)\]\(", section, re.M)]
        labels = [expected[t][profile] for t in titles]
        assert labels and labels[0] == 2, (profile, titles)
        # Every sample article labeled relevant comes before any that is not.
        assert labels == sorted(labels, reverse=True) or labels.index(0) > max(i for i, x in enumerate(labels) if x > 0), labels
    with duckdb.connect(str(demo / "demo.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct url) from scored_articles").fetchone()[0] == 20
    # What the demo prints to try next works as printed.
    out = cli("--config", "commentary-monitor-demo/demo.toml", "sql", "select count(*) from scored_articles", cwd=tmp_path)
    assert out.returncode == 0 and "40" in out.stdout, out.stderr


def test_demo_writes_where_dir_says():
    from commentary_monitor.cli import _parser

    assert _parser().parse_args(["demo"]).dir == "commentary-monitor-demo"
    assert _parser().parse_args(["demo", "--dir", "elsewhere/demo"]).dir == "elsewhere/demo"


def test_feeds_import_then_export_round_trips_opml(tmp_path):
    cfg = write_config(tmp_path, ["https://a.example/feed"], [])
    opml = tmp_path / "in.opml"
    opml.write_text('<opml version="2.0"><body><outline text="Group"><outline text="B" xmlUrl="https://b.example/rss"/>'
                    '<outline text="A" xmlUrl="https://a.example/feed"/></outline></body></opml>', encoding="utf-8")
    out = cli("--config", str(cfg), "feeds", "import", str(opml))
    assert out.returncode == 0 and "1 new feed(s) added" in out.stdout and "(1 already configured)" in out.stdout
    assert (tmp_path / "config" / "feeds.opml").exists()
    out = cli("--config", str(cfg), "feeds", "export")
    assert out.returncode == 0
    assert re.findall(r'xmlUrl="([^"]+)"', out.stdout) == ["https://a.example/feed", "https://b.example/rss"]
    missing = cli("--config", str(cfg), "feeds", "import", str(tmp_path / "nope.opml"))
    assert missing.returncode == 2 and "OPML file not found" in missing.stderr


def test_search_export_vacuum_and_sql_formats(tmp_path):
    from commentary_monitor.warehouse.search import index_new

    cfg = write_config(tmp_path, [], [])
    with Warehouse.open(tmp_path / "warehouse" / "monitor.duckdb") as wh:
        arts = [article(1), article(2)]
        arts[0].text = "Arctic shipping along the Northern Sea Route."
        wh.store_articles(wh.start_run("ingest"), arts, [[score("sino-russian", 0.8)], [score("sino-russian", 0.2)]])
        index_new(wh.con)
    out = cli("--config", str(cfg), "search", "arctic shipping")
    assert out.returncode == 0, out.stderr
    assert "Title 1" in out.stdout and "Title 2" not in out.stdout and "1 article matches" in out.stdout
    out = cli("--config", str(cfg), "search", "arctic", "--profile", "nope")
    assert out.returncode == 2 and "--profile: no profile 'nope'" in out.stderr

    out = cli("--config", str(cfg), "sql", "select title, score from scored_articles order by score desc", "--format", "csv")
    assert out.returncode == 0 and out.stdout.splitlines() == ["title,score", "Title 1,0.8", "Title 2,0.2"]
    out = cli("--config", str(cfg), "sql", "select title from articles order by 1", "--format", "json")
    assert json.loads(out.stdout) == [{"title": "Title 1"}, {"title": "Title 2"}]
    target = tmp_path / "x.parquet"
    out = cli("--config", str(cfg), "sql", "select * from scored_articles", "--format", "parquet", "--out", str(target))
    assert out.returncode == 0 and duckdb.sql(f"select count(*) from '{target}'").fetchone()[0] == 2

    out = cli("--config", str(cfg), "export", "--out", str(tmp_path / "exp"))
    assert out.returncode == 0 and (tmp_path / "exp" / "articles.parquet").exists()
    assert duckdb.sql(f"select count(*) from '{tmp_path / 'exp' / 'scores.parquet'}'").fetchone()[0] == 2
    out = cli("--config", str(cfg), "vacuum")
    assert out.returncode == 0 and "vacuum:" in out.stdout


def test_sql_prompt_reads_statements_until_quit(tmp_path):
    cfg = write_config(tmp_path, [], [])
    with Warehouse.open(tmp_path / "warehouse" / "monitor.duckdb") as wh:
        wh.store_articles(wh.start_run("ingest"), [article(1)], [[score("sino-russian", 0.8)]])
    env = {k: v for k, v in os.environ.items() if k != "COMMENTARY_MONITOR_CONFIG"}
    out = subprocess.run([EXE, "--config", str(cfg), "sql"], input="select title\nfrom articles;\n.tables\nselect nope;\n.quit\n",
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0
    assert "Title 1" in out.stdout and "scored_articles" in out.stdout and "nope" in out.stderr


def test_feedback_rescore_and_profiles_show(tmp_path):
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.feedback import scorer_for

    from .conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS
    from .test_feedback import stored_article, traps

    cfg_path = write_config(tmp_path, [], [])
    arts = [stored_article(1, "Moscow and Beijing", "\n\n".join(RELATION_PARAGRAPHS)),
            stored_article(2, "Trams", "\n\n".join(OFFTOPIC_PARAGRAPHS)),
            *[stored_article(3 + i, t, x) for i, (t, x) in enumerate(traps(2))]]
    scorer = scorer_for(load_config(cfg_path))
    with Warehouse.open(tmp_path / "warehouse" / "monitor.duckdb") as wh:
        wh.store_articles(wh.start_run("ingest"), arts, scorer.score_articles(arts))
    out = cli("--config", str(cfg_path), "feedback", arts[2].url, "--profile", "sino-russian", "--not-relevant")
    assert out.returncode == 0, out.stderr
    assert f"{arts[2].article_id} marked not relevant to sino-russian (1 labels: 0 relevant, 1 not)" in out.stdout
    out = cli("--config", str(cfg_path), "feedback", arts[0].article_id, "--profile", "sino-russian", "--relevant")
    assert out.returncode == 0 and "(2 labels: 1 relevant, 1 not)" in out.stdout
    out = cli("--config", str(cfg_path), "feedback", "https://nowhere.example/x", "--profile", "sino-russian", "--relevant")
    assert out.returncode == 2 and "no stored article" in out.stderr
    out = cli("--config", str(cfg_path), "feedback", arts[0].url, "--profile", "nope", "--relevant")
    assert out.returncode == 2 and "no profile named 'nope'" in out.stderr
    out = cli("--config", str(cfg_path), "rescore", "--profile", "sino-russian")
    assert out.returncode == 0, out.stderr
    assert "rescore: 4 articles, 4 scores written (4 earlier scores kept in score_history)" in out.stdout
    with duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"), read_only=True) as con:
        models = dict(con.execute("select profile, any_value(model) from scores group by profile").fetchall())
        assert models == {"sino-russian": f"{MODEL_NAME}+feedback2", "memory-politics": MODEL_NAME}
    out = cli("--config", str(cfg_path), "profiles", "show", "sino-russian", "--terms", "12")
    assert out.returncode == 0, out.stderr
    for expected in ("profile sino-russian (version ", "threshold: 0.40", "distinctive terms and phrases",
                     "passages (", "feedback: 2 labels (1 relevant, 1 not relevant)", "learned correction"):
        assert expected in out.stdout, expected
    assert re.search(r"^\s+(beijing|moscow|sino|china)\s", out.stdout, re.M)
    out = cli("--config", str(cfg_path), "profiles", "list")
    assert out.returncode == 0 and "memory-politics:" in out.stdout and "feedback 1 relevant / 1 not" in out.stdout


def test_profiles_show_prints_the_relationship_sides_and_the_description_words(tmp_path):
    cfg_path = write_config(tmp_path, [], [])
    cfg_path.write_text(cfg_path.read_text().replace(
        'seeds = ["seeds/*.txt"]\n',
        'seeds = ["seeds/*.txt"]\ndescription = "Relations between China and Russia: the partnership between Moscow '
        'and Beijing, trade, energy pipelines and joint military exercises."\n', 1))
    out = cli("--config", str(cfg_path), "profiles", "show", "sino-russian", "--terms", "9")
    assert out.returncode == 0, out.stderr
    sides = re.search(r"^relationship sides \(a passage names both, or one\): (.+)  <->  (.+)$", out.stdout, re.M)
    assert sides, out.stdout
    left, right = sides[1].split(" / "), sides[2].split(" / ")
    assert {"chin*", "russ*"} <= set(left) | set(right) and not set(left) & set(right)
    # China's names on one side, Russia's on the other
    assert ("chin*" in left) == ("beij*" in left) and ("russ*" in left) == ("mosc*" in left)
    assert "dyad (phrases that speak of the two as a pair: between" in out.stdout
    assert re.search(r"^sides in ru \(names from CLDR, pycountry and transliteration\): .*кита\*", out.stdout, re.M), out.stdout
    assert "pairs 中俄, 俄中" in out.stdout
    words = out.stdout.split("description words (weight = information beyond an average English word; top 9 of ", 1)
    assert len(words) == 2, out.stdout
    shown = re.findall(r"([a-z][a-z ]*?)\s+(\d+\.\d\d)", words[1].split("\n\n")[0])
    assert len(shown) == 9 and [float(w) for _, w in shown] == sorted((float(w) for _, w in shown), reverse=True)
    assert {t for t, _ in shown} & {"pipeline", "exercise", "partnership", "beijing", "moscow", "russia", "china"}


def test_eval_prints_metrics_and_the_effect_of_feedback(tmp_path):
    from .conftest import OFFTOPIC_PARAGRAPHS, RELATION_PARAGRAPHS
    from .test_scoring import TRAP_PARAGRAPHS

    cfg_path = write_config(tmp_path, [], [])
    lines = []
    for i in range(12):
        kind = i % 3
        paras = [RELATION_PARAGRAPHS, TRAP_PARAGRAPHS, OFFTOPIC_PARAGRAPHS][kind]
        body = "\n\n".join(paras[i % 3:] + paras[: i % 3])
        lines.append(json.dumps({"id": f"t-{i}", "title": f"Article {i}", "dek": "", "body": body,
                                 "labels": {"sino_russian": [2, 0, 0][kind], "memory_politics": [1, 0, 0][kind]}}))
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = cli("--config", str(cfg_path), "eval", "--labels", str(labels), "--feedback", "4")
    assert out.returncode == 0, out.stderr
    assert f"12 articles, scorer {MODEL_NAME}" in out.stdout
    assert "| sino-russian | profile | 12 | 4 / 0 | 1.000 |" in out.stdout
    # the anchors a user could pick instead, beside the profile, on the same articles
    for anchor in ("boolean alert", "BM25 of the seeds", "embedding centroid"):
        assert f"| sino-russian | {anchor} | 12 | 4 / 0 |" in out.stdout
        assert f"| memory-politics | {anchor} | 12 |" in out.stdout
    assert "feedback on 4 labeled articles, the other 8 scored (mean of 5 random draws)" in out.stdout
    assert out.stdout.count("| sino-russian | profile | 8 |") == 2 and "with feedback:" in out.stdout
    out = cli("--config", str(cfg_path), "eval", "--labels", str(labels), "--feedback", "12")
    assert out.returncode == 2 and "--feedback: N must be between 1 and 11" in out.stderr


def test_eval_runs_on_the_shipped_sample_from_the_repo():
    from .conftest import REPO

    out = cli("--config", str(REPO / "config" / "monitor.toml"), "eval", "--labels",
              str(REPO / "eval" / "sample" / "labels.jsonl"), cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "| sino-russian | profile | 25 |" in out.stdout and "| sino-russian | boolean alert | 25 |" in out.stdout


def test_eval_refuses_a_reserved_page(tmp_path):
    from commentary_monitor.relevance.anchors import load_real_pages
    from commentary_monitor.errors import UsageError

    (tmp_path / "pages").mkdir()
    page = {"id": "x", "url": "https://www.example.org/a/", "title": "", "body": "text", "labels": {"sino_russian": 0}}
    (tmp_path / "pages" / "a.jsonl").write_text(json.dumps(page) + "\n", encoding="utf-8")
    (tmp_path / "reserved.txt").write_text("# reserved\nhttp://example.org/a\n", encoding="utf-8")
    with pytest.raises(UsageError, match="a.jsonl:1: https://www.example.org/a/ is reserved"):
        load_real_pages(tmp_path / "pages", tmp_path / "reserved.txt")
    assert len(load_real_pages(tmp_path / "pages", None)) == 1


def test_digest_preview_renders_in_the_terminal_and_writes_nothing(tmp_path):
    from . import digest_sample

    cfg = write_config(tmp_path, list(digest_sample.FEEDS), [])
    digest_sample.build(tmp_path / "warehouse" / "monitor.duckdb")
    out = cli("--config", str(cfg), "digest", "--week", "2026-W46", "--preview", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Commentary digest, 2026-W46" in out.stdout and "Moscow's Pivot to Asia Becomes a Dependence" in out.stdout
    assert "<script>alert('x')</script>" in out.stdout      # shown as text by the terminal renderer
    assert not (tmp_path / "warehouse" / "digests").exists()
    out = cli("--config", str(cfg), "digest", "--preview", "--send", cwd=tmp_path)
    assert out.returncode == 2 and "not allowed with argument" in out.stderr


def _flow_runs(prefect_home: Path) -> list[tuple[str, str]]:
    """(flow name, state) of every flow run in the Prefect database under ``prefect_home``."""
    import sqlite3

    with sqlite3.connect(prefect_home / "prefect.db") as db:
        return db.execute("SELECT flow.name, flow_run.state_type FROM flow_run JOIN flow ON flow.id = flow_run.flow_id").fetchall()


def test_a_command_records_its_flow_run_in_the_temporary_api_it_starts_itself(tmp_path):
    """No server named, none served: the command starts Prefect's temporary API itself (before
    it imports Prefect), records its run there, and leaves no server running."""
    cfg = write_config(tmp_path, [], [])
    out = cli("--config", str(cfg), "ingest", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert ("ingest", "COMPLETED") in _flow_runs(tmp_path / ".prefect-home")
    assert "Traceback" not in out.stderr, out.stderr


def test_the_runs_logs_reach_the_temporary_api_before_it_stops(tmp_path):
    """With Prefect's run logs on (PREFECT_LOGGING_LEVEL=INFO), what the flow logged is sent
    before the command stops its temporary API: stored in its database, and no "Error logging
    to API" at the end of the output."""
    import sqlite3

    cfg = write_config(tmp_path, [], [])
    out = cli("--config", str(cfg), "ingest", cwd=tmp_path, PREFECT_LOGGING_LEVEL="INFO")
    assert out.returncode == 0, out.stderr
    assert "Error logging to API" not in out.stderr + out.stdout, out.stderr
    with sqlite3.connect(tmp_path / ".prefect-home" / "prefect.db") as db:
        messages = [m for (m,) in db.execute("SELECT message FROM log")]
    assert any("Finished in state Completed" in m for m in messages), messages


def test_a_command_reports_to_the_prefect_server_of_a_running_serve(tmp_path):
    """While `serve` runs for the same warehouse, a command's flow run goes to serve's Prefect
    server (no temporary API started): the run shows in that server's database."""
    from commentary_monitor.runs.prefect_server import SERVED_FILE, TemporaryAPI

    served_home = tmp_path / "served-prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(served_home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    cfg = write_config(tmp_path, [], [])
    server = TemporaryAPI()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        server.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        url = server.wait_ready()
        (tmp_path / "warehouse").mkdir(exist_ok=True)
        # what `serve` writes down beside the warehouse (this test's process plays serve)
        (tmp_path / "warehouse" / SERVED_FILE).write_text(json.dumps(
            {"pid": os.getpid(), "api_url": url, "ingest": "0 * * * *", "digest": "0 7 * * 1", "timezone": "UTC"}))
        out = cli("--config", str(cfg), "ingest", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert ("ingest", "COMPLETED") in _flow_runs(served_home)
        # the command's own PREFECT_HOME got no database: the temporary API it started first,
        # on a guess, was stopped before it opened one
        assert not (tmp_path / ".prefect-home" / "prefect.db").exists()
        assert not running_with_prefect_home(tmp_path / ".prefect-home")
    finally:
        server.stop()


def test_a_served_file_whose_server_is_gone_is_not_used(tmp_path):
    from commentary_monitor.runs.prefect_server import SERVED_FILE, api_of_running_serve

    (tmp_path / SERVED_FILE).write_text(json.dumps({"pid": os.getpid(), "api_url": "http://127.0.0.1:9/api"}))
    assert api_of_running_serve(tmp_path, timeout=0.5) is None
    (tmp_path / SERVED_FILE).write_text("not json")
    assert api_of_running_serve(tmp_path) is None


def test_a_reader_that_stops_reading_ends_the_command_quietly():
    import subprocess

    from .conftest import REPO

    cmd = f"{sys.executable} -m commentary_monitor.cli --config config/monitor.toml eval --labels eval/sample/labels.jsonl | head -1"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.startswith("25 articles") and "Traceback" not in out.stderr, out.stderr
