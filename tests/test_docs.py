"""The docs tell the truth: docs/warehouse.md describes the live schema, docs/configuration.md
every key, every command written in README.md and docs/ is one the command line accepts, and
the README's tour runs as written."""

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commentary_monitor.warehouse.store import Warehouse

from .conftest import REPO


def test_every_table_and_column_is_documented(tmp_path):
    doc = (REPO / "docs" / "warehouse.md").read_text(encoding="utf-8")
    sections = {m.group(1): m.start() for m in re.finditer(r"^### `(\w+)`", doc, re.M)}
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        columns = wh.con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'main' "
            "order by table_name, ordinal_position"
        ).fetchall()
    tables = {t for t, _ in columns}
    assert tables <= set(sections), f"undocumented: {tables - set(sections)}"
    starts = sorted(sections.values()) + [len(doc)]
    for table, column in columns:
        start = sections[table]
        body = doc[start : starts[starts.index(start) + 1]]
        assert re.search(rf"`{column}`", body), f"{table}.{column} is not documented"


DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# The name as a command: not inside a path or a word (commentary-monitor-demo/, github.com/commentary-monitor/x),
# nor as the prefix of a message the command printed ("commentary-monitor: ingest stopped by ...").
# At the start of a command: of the line or span, after `&&` or `=` (ExecStart=), maybe as a path.
COMMAND = re.compile(r"(?:^\s*|(?<=&&)\s*|(?<==))(?:[^\s=]*/)?commentary-monitor(?![\w/.:-])(.*)")
SHELL_BREAKS = {"&&", "||", "|", ";", ">", ">>", "2>", "<"}


def invocations(text: str) -> list[str]:
    """Every ``commentary-monitor ...`` written in a shell block, an output block or an inline
    code span: the words after the program's name."""
    found = []
    prose = []
    for k, part in enumerate(re.split(r"^```", text, flags=re.M)):
        if k % 2 == 0:
            prose.append(part)
            continue
        lang, _, body = part.partition("\n")
        if lang.strip() in ("toml", "python", "sql", "markdown"):
            continue
        for line in body.splitlines():
            line = re.sub(r"^\s*\$ ", "", line)
            found += [m.group(1) for m in COMMAND.finditer(line)]
    for span in re.findall(r"`([^`]+)`", "".join(prose)):
        m = COMMAND.match(" ".join(span.split()))
        if m:
            found.append(m.group(1))
    return found


def argv_of(words: str) -> list[str] | None:
    """The argument list a documented invocation stands for: shell comments and redirections
    cut, ``[optional]`` brackets dropped, ``a|b`` alternatives read as ``a``.
    None for a placeholder command (``commentary-monitor COMMAND --help``)."""
    try:
        tokens = shlex.split(words, comments=True)
    except ValueError:      # an unbalanced quote in prose: check the words up to it
        tokens = words.split()
    argv = []
    for tok in tokens:
        if tok in SHELL_BREAKS or tok.startswith((">", "2>")):
            break
        tok = tok.strip("[]").split("|")[0] if not tok.startswith(("select", "SELECT")) else tok
        if tok:
            argv.append(tok.rstrip(","))
    positional = [a for a in argv if not a.startswith("-")]
    if positional and positional[0].isupper():
        return None
    return argv


def parse_error(argv: list[str]) -> str | None:
    from commentary_monitor.cli import _parser

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            _parser().parse_args(argv)
        except SystemExit as exc:
            return None if exc.code == 0 else err.getvalue().strip().splitlines()[-1]
    return None


def test_every_command_in_the_docs_is_one_the_command_line_accepts():
    checked, wrong = 0, []
    for doc in DOCS:
        for words in invocations(doc.read_text(encoding="utf-8")):
            argv = argv_of(words)
            if argv is None:
                continue
            checked += 1
            problem = parse_error(argv)
            if problem:
                wrong.append(f"{doc.relative_to(REPO)}: commentary-monitor {' '.join(argv)}: {problem}")
    assert checked > 60
    assert not wrong, "\n".join(wrong)


def test_the_doc_checker_catches_a_wrong_command():
    assert parse_error(argv_of("digest --weeks 2026-W47")) is not None
    assert parse_error(argv_of("nonsense")) is not None
    assert parse_error(argv_of("feeds export > feeds.opml   # every feed")) is None
    assert argv_of("search WORDS [--profile NAME] [--since YYYY-MM-DD]") == [
        "search", "WORDS", "--profile", "NAME", "--since", "YYYY-MM-DD"]
    assert argv_of("COMMAND --help") is None
    assert invocations("run `commentary-monitor-demo/x` and `commentary-monitor status`") == [" status"]
    assert invocations("```bash\nprefect work-pool create commentary-monitor --type process\n"
                       "python3 -m venv .venv && .venv/bin/commentary-monitor run\n```\n") == [" run"]


def test_the_readme_fits_in_a_few_screens():
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 300


def anchors(doc: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings."""
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)}


def test_links_between_the_docs_resolve():
    for doc in DOCS:
        text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            path = (doc.parent / file).resolve() if file else doc
            assert path.exists(), f"{doc.relative_to(REPO)} links to {target}, which does not exist"
            if anchor and path.suffix == ".md":
                assert anchor in anchors(path), f"{doc.relative_to(REPO)} links to {target}: no such heading"


def config_keys(model, prefix: str = "") -> list[str]:
    """Every key the config file accepts, as ``section.key``, from the validating models."""
    keys = []
    for name, field in model.model_fields.items():
        inner = field.annotation
        if isinstance(inner, type) and hasattr(inner, "model_fields"):
            keys += config_keys(inner, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def test_every_config_key_is_in_the_configuration_doc():
    from commentary_monitor.config import _Feed, _File, _Profile

    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = [k for k in config_keys(_File) if k not in ("feeds", "profiles")]
    assert len(keys) > 40
    missing = [k for k in keys if f"`{k}`" not in doc]
    missing += [f"[[feeds]] {k}" for k in _Feed.model_fields if f"`[[feeds]] {k}`" not in doc]
    missing += [f"[profiles.NAME] {k}" for k in _Profile.model_fields if f"`[profiles.NAME] {k}`" not in doc]
    assert not missing, f"not in docs/configuration.md: {missing}"


# --- the README's tour, as a reader runs it from a fresh clone -------------------------------

TOUR_LABELS = Path("eval/sample/labels.jsonl")


def tour_commands() -> list[list[str]]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- tour:[^>]*-->\n```bash\n(.*?)```", readme, re.S).group(1)
    return [argv_of(m.group(1)) for line in block.splitlines() if (m := COMMAND.match(line))]


def clone_like(tmp_path: Path) -> Path:
    """What a fresh clone holds that the tour reads: the config and the seeds."""
    root = tmp_path / "clone"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "seeds", root / "seeds")
    return root


def run_tour_command(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("commentary-monitor", path=str(Path(sys.executable).parent)) or "commentary-monitor"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "COMMENTARY_MONITOR_CONFIG"}
    env["PREFECT_HOME"] = str(cwd / ".prefect-home")
    return subprocess.run([exe, *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_the_readme_tour_runs_as_written(tmp_path):
    commands = tour_commands()
    assert [a[0] if a[0] != "--config" else a[2] for a in commands] == [
        "demo", "digest", "search", "sql", "profiles", "eval"]
    root = clone_like(tmp_path)
    for argv in commands:
        if argv[0] == "eval":
            continue    # test_the_readme_tours_eval_example_runs
        out = run_tour_command(argv, root)
        assert out.returncode == 0, (argv, out.stderr)
        assert "Traceback" not in out.stderr, out.stderr
        if argv[0] == "demo":
            assert "20 new articles" in out.stdout
        elif "digest" in argv:
            assert "Commentary digest" in out.stdout
        elif "search" in argv:
            assert re.search(r"\d+ articles? match", out.stdout) and not out.stdout.startswith("0 articles")
        elif "sql" in argv:
            assert "sino-russian" in out.stdout
        elif argv[0] == "profiles":
            assert "profile memory-politics" in out.stdout


@pytest.mark.skipif(not (REPO / TOUR_LABELS).exists(),
                    reason=f"{TOUR_LABELS} is not in this checkout yet (it is being added on main)")
def test_the_readme_tours_eval_example_runs(tmp_path):
    (argv,) = [a for a in tour_commands() if a[0] == "eval"]
    root = clone_like(tmp_path)
    (root / TOUR_LABELS).parent.mkdir(parents=True)
    shutil.copy(REPO / TOUR_LABELS, root / TOUR_LABELS)
    out = run_tour_command(argv, root)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^\d+ articles, scorer ", out.stdout, re.M)
