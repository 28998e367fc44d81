"""The weekly digest flow: warehouse -> this week's digest -> archive files, artifact, email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Cancelled

from commentary_monitor.digest import build as digests
from commentary_monitor import stopping
from commentary_monitor.digest import publish, weeks
from commentary_monitor.config import EmailSettings, load_config
from commentary_monitor.errors import ConfigError, Stopped
from commentary_monitor.warehouse.store import Warehouse

from commentary_monitor.flows.hooks import announce, notify_on_failure, plain_flow


@dataclass(frozen=True)
class DigestResult:
    week: str
    path: Path
    items: dict[str, int]     # profile -> articles in the digest
    email: str | None = None  # the delivery's one-line outcome, when asked to send
    email_status: str | None = None

    @property
    def failed(self) -> bool:
        return self.email_status == "failed"

    def render(self) -> str:
        counts = ", ".join(f"{name}: {n}" for name, n in self.items.items()) or "no profiles"
        line = f"digest {self.week}: {sum(self.items.values())} articles ({counts}) -> {self.path}"
        return line + (f"\n{self.email}" if self.email else "")


def smtp_password(email: EmailSettings, config_path: Path) -> str | None:
    """The environment's password wins; else the named Prefect Secret block, if any."""
    if email.password is not None:
        return email.password.get_secret_value()
    if email.password_secret:
        from prefect.blocks.system import Secret

        try:
            return Secret.load(email.password_secret).get()
        except ValueError as exc:
            raise ConfigError(config_path, "email.password_secret", f"cannot load the Prefect Secret block: {exc}") from None
    return None


@plain_flow(name="digest", validate_parameters=False, on_failure=[notify_on_failure, announce],
      on_completion=[announce], on_cancellation=[announce])
def digest(config_path: str | None = None, week: str | None = None, send: bool = False,
           resend: bool = False) -> DigestResult:
    """Write (and, asked to, send) one week's digest. Asked to stop (see
    :mod:`commentary_monitor.stopping`) before it is written, it ends Cancelled and writes nothing."""
    with stopping.handling_signals():
        try:
            return write_digest(config_path, week, send, resend)
        except Stopped as exc:
            return Cancelled(message=f"digest: stopped by {exc.why}; nothing written")


def write_digest(config_path: str | None, week: str | None, send: bool, resend: bool) -> DigestResult:
    cfg = load_config(config_path)
    now = datetime.now(timezone.utc)
    wk = weeks.parse_started_week(week, now, cfg.digest.timezone) if week else weeks.last_complete_week(now, cfg.digest.timezone)
    profiles = list(cfg.profiles)   # the digest needs each profile's name and threshold only: no model to load
    mailing = (send or resend) and cfg.email is not None and cfg.email.enabled
    password = smtp_password(cfg.email, cfg.path) if mailing and cfg.email.smtp_host else None
    log = get_run_logger()
    with Warehouse.open(cfg.store, wait=cfg.lock_timeout, on_wait=log.warning) as wh:
        if wh.abandon_stale_runs():
            log.warning("marked runs left unfinished by an earlier process as 'abandoned'")
        run_id = wh.start_run("digest")
        try:
            d = digests.collect(wh, profiles, wk, cfg.digest, now, [f.url for f in cfg.feeds])
            png = publish.chart_png(d)
            stopping.check("digest")   # from here on, the digest is written and sent whole
            archive = publish.write_archive(wh, d, cfg.digest.dir, png)
            create_markdown_artifact(key=f"digest-{wk.label.lower()}", markdown=archive.markdown_text,
                                     description=d.subject)
            delivery = publish.deliver(wh, d, cfg.email, password, now, png, resend) if (send or resend) else None
            result = DigestResult(wk.label, archive.markdown, {s.profile: len(s.items) for s in d.sections},
                                  delivery.detail if delivery else None, delivery.status if delivery else None)
            wh.finish_run(run_id, "failed" if result.failed else "ok", result.render(), articles_new=None)
        except Stopped as exc:
            wh.finish_run(run_id, "cancelled", f"stopped by {exc.why} before the digest was written")
            raise
        except BaseException as exc:
            wh.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}")
            raise
    return result
