"""The weekly digest flow: warehouse -> this week's relevant articles -> Markdown file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger

from commentary_monitor import digest as digests
from commentary_monitor.config import load_config
from commentary_monitor.profiles import load_profiles
from commentary_monitor.warehouse import Warehouse


@dataclass(frozen=True)
class DigestResult:
    week: str
    path: Path
    items: dict[str, int]     # profile -> articles in the digest

    def render(self) -> str:
        counts = ", ".join(f"{name}: {n}" for name, n in self.items.items()) or "no profiles"
        return f"digest {self.week}: {sum(self.items.values())} articles ({counts}) -> {self.path}"


@flow(name="digest", validate_parameters=False)
def digest(config_path: str | None = None, week: str | None = None) -> DigestResult:
    cfg = load_config(config_path)
    now = datetime.now(timezone.utc)
    wk = digests.parse_week(week) if week else digests.last_complete_week(now, cfg.digest.timezone)
    profiles = load_profiles(cfg.profiles, cfg.warehouse_path.parent / "profiles")
    log = get_run_logger()
    with Warehouse.open(cfg.warehouse_path, wait=cfg.lock_timeout, on_wait=log.warning) as wh:
        if wh.abandon_stale_runs():
            log.warning("marked runs left unfinished by an earlier process as 'abandoned'")
        run_id = wh.start_run("digest")
        try:
            d = digests.collect(wh, profiles, wk, cfg.digest, now)
            path = digests.write_markdown(cfg.digest.dir, d, digests.render_markdown(d))
            result = DigestResult(wk.label, path, {s.profile: len(s.items) for s in d.sections})
            wh.finish_run(run_id, "ok", result.render(), articles_new=None)
        except BaseException as exc:
            wh.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
            raise
    return result
