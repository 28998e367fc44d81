from pathlib import Path

import pytest

from commentary_monitor.config import CONFIG_ENV, load_config, resolve_config_path
from commentary_monitor.errors import ConfigError

from .conftest import REPO, write_config


def test_shipped_config_loads_with_two_profiles_and_real_feeds():
    cfg = load_config(REPO / "config" / "monitor.toml")
    names = [p.name for p in cfg.profiles]
    assert names == ["sino-russian", "memory-politics"]
    sino, memory = cfg.profiles
    assert len(sino.seeds) == 2
    assert [s.path.name for s in memory.seeds] == ["chang-2024-frail-foundations-china-russia-friendship.txt"]
    assert "remembrance" in memory.description
    assert len(cfg.feeds) >= 10 and all(f.url.startswith("https://") for f in cfg.feeds)
    assert cfg.warehouse_path == REPO / "warehouse" / "monitor.duckdb"


def test_relative_paths_are_relative_to_the_project(tmp_path):
    path = write_config(tmp_path, ["https://example.org/feed"], [])
    cfg = load_config(path)
    assert cfg.root == tmp_path
    assert cfg.warehouse_path == tmp_path / "warehouse" / "monitor.duckdb"
    assert cfg.digest.dir == tmp_path / "warehouse" / "digests"
    # The glob seeds/*.txt picks both essays, sorted.
    assert [s.path.name for s in cfg.profiles[0].seeds] == sorted(p.name for p in (tmp_path / "seeds").glob("*.txt"))


def _config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    (tmp_path / "seeds" / "a.txt").write_text("An essay about Moscow and Beijing.\n", encoding="utf-8")
    p = tmp_path / "monitor.toml"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "body, key, words",
    [
        ('[warehouse]\npath = "w.duckdb"\ncolour = "red"\n', "warehouse.colour", "unknown key"),
        ('[fetch]\ntimeout = "fast"\n', "fetch.timeout", "valid number"),
        ('[fetch]\nallow_private = ["127.0.0.1"]\n', "fetch.allow_private[0]", "host:port"),
        ('[[feeds]]\nurl = "ftp://example.org/feed"\n', "feeds[0].url", "not an http(s) URL"),
        ('[[feeds]]\nname = "x"\n', "feeds[0].url", "required key is missing"),
        ('[[feeds]]\nurl = "https://a.example/f"\n[[feeds]]\nurl = "https://a.example/f"\n', "feeds[1].url", "duplicate"),
        ('[profiles.x]\nseeds = ["seeds/missing.txt"]\n', "profiles.x.seeds", "seed file not found"),
        ('[profiles.x]\nseeds = ["seeds/*.pdf"]\n', "profiles.x.seeds", "no file matches"),
        ('[profiles.x]\nseeds = ["seeds/a.txt"]\nthreshold = 1.5\n', "profiles.x.threshold", "less than or equal to 1"),
        ('[profiles.X_Y]\nseeds = ["seeds/a.txt"]\n', "profiles.X_Y", "lowercase"),
        ('[digest]\ntimezone = "Mars/Olympus"\n', "digest.timezone", "unknown time zone"),
        ('[profiles.x]\nseeds = ["seeds/a.txt"]\nkeywords = ["a"]\n', "profiles.x.keywords", "unknown key"),
        ('[runner]\nkind = "spark"\n', "runner.kind", "'local' or 'dask'"),
        ('[fetch]\nca_file = "no-such-ca.pem"\n', "fetch.ca_file", "file not found"),
        ('[runner]\nkind = "dask"\nworkers = 0\n', "runner.workers", "greater than or equal to 1"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(tmp_path, body, key, words):
    path = _config(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message


def test_invalid_toml_names_the_line(tmp_path):
    path = _config(tmp_path, "[warehouse\npath = 1\n")
    with pytest.raises(ConfigError, match=r"monitor.toml: invalid TOML: .*line 1"):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_config_path_precedence(tmp_path):
    assert resolve_config_path("a.toml", {CONFIG_ENV: "b.toml"}) == Path("a.toml")
    assert resolve_config_path(None, {CONFIG_ENV: "b.toml"}) == Path("b.toml")
    assert resolve_config_path(None, {}) == Path("config/monitor.toml")


def test_absolute_seed_paths_are_allowed(tmp_path):
    essay = tmp_path / "elsewhere.txt"
    essay.write_text("Some essay text.", encoding="utf-8")
    path = _config(tmp_path, f'[profiles.x]\nseeds = ["{essay}"]\n')
    assert load_config(path).profiles[0].seeds[0].path == essay


def test_feeds_from_the_opml_list_join_the_configured_ones(tmp_path):
    path = write_config(tmp_path, ["https://a.example/feed"], [])
    (tmp_path / "config" / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="A again" xmlUrl="https://a.example/feed"/>'
        '<outline text="B" xmlUrl="https://b.example/rss"/></body></opml>', encoding="utf-8")
    cfg = load_config(path)
    assert [(f.url, f.name) for f in cfg.feeds] == [("https://a.example/feed", None), ("https://b.example/rss", "B")]
    (tmp_path / "config" / "feeds.opml").write_text("<html>not opml</html>", encoding="utf-8")
    with pytest.raises(ConfigError, match="opml.path: not an OPML file"):
        load_config(path)


def test_fetch_politeness_and_health_keys_are_validated(tmp_path):
    cfg = load_config(_config(tmp_path, "[fetch]\nretries = 1\nper_host_delay = 2.5\nobey_robots = false\n"
                                        "[health]\nfailing_after = 5\n"))
    assert (cfg.fetch.retries, cfg.fetch.per_host_delay, cfg.fetch.obey_robots) == (1, 2.5, False)
    assert cfg.health.failing_after == 5 and cfg.fetch.max_retry_after == 30.0
    with pytest.raises(ConfigError, match="fetch.retries"):
        load_config(_config(tmp_path, "[fetch]\nretries = 9\n"))
    with pytest.raises(ConfigError, match="health.quiet: unknown key"):
        load_config(_config(tmp_path, "[health]\nquiet = 1\n"))


def test_prefect_defaults_give_the_temporary_server_time_and_keep_the_users_choices():
    from commentary_monitor.runs.prefect_server import prefect_quiet_defaults

    env: dict[str, str] = {"PREFECT_LOGGING_LEVEL": "DEBUG"}
    prefect_quiet_defaults(env)
    # a fresh PREFECT_HOME's first run creates the database: Prefect's own 20 s failed it on a busy VM
    assert env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "120"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_LOGGING_LEVEL"] == "DEBUG"
    env = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
    prefect_quiet_defaults(env)
    assert env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "300"
