"""`commentary-monitor init`: a project that works at once, from a folder outside the repository."""

from __future__ import annotations

import fnmatch
import re
import tomllib

from commentary_monitor.project import TEMPLATE, template_files

from .conftest import REPO
from .test_cli import cli


def test_the_repositorys_config_and_seeds_are_the_packaged_template():
    """One source: a fresh clone and a fresh `init` start from the same config and essays."""
    for sub in ("config", "seeds"):
        packaged = {p.name: p.read_bytes() for p in (TEMPLATE / sub).iterdir() if p.is_file()}
        ours = {p.name: p.read_bytes() for p in (REPO / sub).iterdir() if p.is_file()}
        assert set(packaged) == set(ours), sub
        for name in ours:
            assert ours[name] == packaged[name], f"{sub}/{name} differs from src/commentary_monitor/template/{sub}/{name}"


def test_every_template_file_is_package_data():
    globs = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"][
        "commentary_monitor"]
    files = [("template" / rel).as_posix() for rel in template_files()]
    assert {"template/config/monitor.toml", "template/warehouse/.gitignore", "template/seeds/README.md"} <= set(files)
    for f in files:
        assert any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs), f"{f} would not be installed"


def test_init_makes_a_project_that_profiles_list_and_run_accept_from_inside_it(tmp_path):
    out = cli("init", "monitor", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    project = tmp_path / "monitor"
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")
                  if p.is_file() and "warehouse/profiles" not in p.as_posix()) == [
        "config/monitor.toml", "seeds/README.md",
        "seeds/chang-2024-frail-foundations-china-russia-friendship.txt",
        "seeds/radchenko-2023-legacies-of-sino-russian-relations.txt", "warehouse/.gitignore"]
    assert "next: cd monitor && commentary-monitor profiles list && commentary-monitor run" in out.stdout
    # the profiles are built once, now: the first run loads them from their cache
    assert "profiles built: sino-russian, memory-politics" in out.stdout
    cached = sorted(p.name for p in (project / "warehouse" / "profiles").glob("*.npz"))
    assert [n.rsplit("-", 1)[0] for n in cached] == ["memory-politics", "sino-russian"], cached
    config = (project / "config" / "monitor.toml").read_text(encoding="utf-8")
    for section in ("profiles.sino-russian", "profiles.memory-politics", "digest", "email", "schedule", "warehouse",
                    "fetch", "runner", "health", "opml"):
        header = config.index(f"[{section}]")
        assert "#" in config[max(0, header - 400):header + 400], f"[{section}] has no comment near it"
    assert len(tomllib.loads(config)["feeds"]) == 20

    out = cli("profiles", "list", cwd=project)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^sino-russian: \d+ passages", out.stdout, re.M)
    assert re.search(r"^memory-politics: \d+ passages", out.stdout, re.M)

    # The shipped feeds cannot be reached from a test: `run` reports them, writes an empty
    # digest, and exits 3 (every feed failed: see docs/deployment.md).
    out = cli("run", cwd=project)
    assert out.returncode == 3, out.stderr
    assert "20 feeds, 0 ok, 20 failed" in out.stdout
    assert list((project / "warehouse").glob("monitor.duckdb")) and list((project / "warehouse" / "digests").glob("*.md"))
    assert "Traceback" not in out.stderr and "ERROR" not in out.stderr, out.stderr


def test_init_never_overwrites_a_project(tmp_path):
    out = cli("init", cwd=tmp_path)        # the current folder by default
    assert out.returncode == 0, out.stderr
    assert "init: a monitoring project in this folder" in out.stdout and (tmp_path / "config" / "monitor.toml").exists()
    (tmp_path / "config" / "monitor.toml").write_text("# mine\n", encoding="utf-8")
    out = cli("init", ".", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "commentary-monitor: error: init: config/monitor.toml already exists; a project is never overwritten "
        "(edit it, or init another folder)"]
    assert (tmp_path / "config" / "monitor.toml").read_text(encoding="utf-8") == "# mine\n"

    # One file of a project in the way: nothing is written, not even the files that are missing.
    other = tmp_path / "other"
    (other / "seeds").mkdir(parents=True)
    (other / "seeds" / "README.md").write_text("my notes\n", encoding="utf-8")
    out = cli("init", "other", cwd=tmp_path)
    assert out.returncode == 2 and "init: other/seeds/README.md already exists" in out.stderr
    assert [p.name for p in other.rglob("*") if p.is_file()] == ["README.md"]
