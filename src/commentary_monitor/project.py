"""A new monitoring project from the template that ships in the package.

``template/`` holds the project ``commentary-monitor init`` writes: ``config/monitor.toml``
(every section commented, the shipped feeds and the two example profiles), ``seeds/`` (the
two example essays and a note on choosing seeds) and ``warehouse/.gitignore``. The
repository's own ``config/monitor.toml`` and ``seeds/`` are the same files (a test keeps
them identical), and ``demo`` builds its sample's profiles from the template's config.
"""

from __future__ import annotations

from pathlib import Path

from commentary_monitor.errors import ProjectExistsError

TEMPLATE = Path(__file__).resolve().parent / "template"
TEMPLATE_CONFIG = TEMPLATE / "config" / "monitor.toml"


def template_files() -> list[Path]:
    """Every file of the template, relative to it, in a stable order."""
    return sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file())


def init_project(target: Path) -> list[Path]:
    """Write the template into ``target`` (created if missing); returns the files written.

    Nothing is written when any of them exists already: a project is never overwritten,
    not even in part."""
    files = template_files()
    for rel in files:
        if (target / rel).exists():
            raise ProjectExistsError(target / rel)
    written = []
    for rel in files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((TEMPLATE / rel).read_bytes())
        written.append(dest)
    return written
