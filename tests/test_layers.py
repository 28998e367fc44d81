"""The package's concerns are layered (pyproject.toml's [tool.importlinter]): cli > flows >
runs > digest > relevance > warehouse > fetching, feeds, extraction. A lower layer importing a
higher one, directly or through another module, fails here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_layers_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_every_concern_is_a_package():
    src = ROOT / "src" / "commentary_monitor"
    for concern in ("fetching", "feeds", "extraction", "relevance", "warehouse", "digest", "runs"):
        assert (src / concern / "__init__.py").is_file(), concern
    flat = sorted(p.stem for p in src.glob("*.py"))
    assert flat == ["__init__", "cli", "config", "errors", "filters", "localsite", "project", "stopping",
                    "usercache"], flat


def test_no_import_circles():
    """No module reaches itself through its imports (function-level imports count too)."""
    import grimp

    sys.path.insert(0, str(ROOT))   # flows/ as a package of its own, as lint-imports reads it
    try:
        graph = grimp.build_graph("commentary_monitor", "flows", cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))
    circles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(importer=imported, imported=module):
                circles.append((module, imported))
    assert circles == [], circles
