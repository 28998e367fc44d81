"""The command line: a thin skin over the library and the flows.

Domain errors become one line on stderr and exit code 2 (usage, configuration) or
1 (everything else); tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

from . import __version__
from .config import prefect_quiet_defaults
from .errors import ConfigError, MonitorError, UsageError

DESCRIPTION = """Monitor new commentary: fetch the configured feeds, score articles against
topic profiles built from seed essays, keep everything in DuckDB, write weekly digests."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="commentary-monitor", description=DESCRIPTION)
    p.add_argument("--config", metavar="FILE",
                   help="config file (default: $COMMENTARY_MONITOR_CONFIG, else config/monitor.toml)")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="ingest the configured feeds, then write the digest of the last complete week")
    sub.add_parser("ingest", help="fetch the configured feeds, extract and score new articles, store them")
    d = sub.add_parser("digest", help="write the digest of one ISO week (Markdown, HTML, chart); optionally mail it")
    d.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W47 (default: the last complete week)")
    how = d.add_mutually_exclusive_group()
    how.add_argument("--send", action="store_true",
                     help="also email it to [email] recipients, unless this week was already sent (no SMTP host: write an .eml to the outbox)")
    how.add_argument("--resend", action="store_true", help="email it even if this week was already sent")
    how.add_argument("--preview", action="store_true", help="render it in the terminal; write and send nothing")
    s = sub.add_parser("sql", help="run a SQL query on the warehouse (read-only); no query: an interactive prompt")
    s.add_argument("query", nargs="?", help='e.g. "select title, score from scored_articles order by score desc limit 10"')
    s.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table",
                   help="table (default) prints; csv, json and parquet write --out")
    s.add_argument("--out", metavar="FILE", help="file for --format csv|json|parquet (csv and json default to stdout)")
    f = sub.add_parser("search", help="full-text search over article titles and text")
    f.add_argument("query", help='words or a phrase, e.g. "arctic shipping"')
    f.add_argument("--profile", help="only articles relevant to this profile")
    f.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    f.add_argument("--limit", type=int, default=20)
    x = sub.add_parser("export", help="write every table of the warehouse as Parquet files")
    x.add_argument("--out", required=True, metavar="DIR")
    sub.add_parser("vacuum", help="checkpoint the warehouse and reclaim space")
    e = sub.add_parser("eval", help="score a labeled JSONL file and print ranking metrics per profile")
    e.add_argument("--labels", required=True, metavar="FILE.jsonl", help="labeled articles (title, dek, body, labels)")
    e.add_argument("--html-dir", metavar="DIR", help="extra negatives: *.html or *.html.gz pages, labeled 0 for every profile")
    sub.add_parser("status", help="last runs, next scheduled runs and feed health at a glance")
    v = sub.add_parser("serve", help="run ingest and the weekly digest on their schedules until Ctrl-C")
    v.add_argument("--ingest-cron", metavar="CRON", help='override [schedule] ingest, e.g. "*/30 * * * *"')
    v.add_argument("--digest-cron", metavar="CRON", help='override [schedule] digest, e.g. "0 7 * * 1"')
    sub.add_parser("demo", help="serve a bundled sample of commentary on 127.0.0.1 and run the whole pipeline on it")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().print_help()
        return 2
    prefect_quiet_defaults()
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        print(f"commentary-monitor: error: {exc}", file=sys.stderr)
        return 2
    except MonitorError as exc:
        print(f"commentary-monitor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("commentary-monitor: interrupted", file=sys.stderr)
        return 130


def _check_config(args) -> None:
    """Validate the config before Prefect starts, so a mistake is one line, not a flow-run traceback."""
    from .config import load_config

    load_config(args.config)


def cmd_ingest(args) -> int:
    from .flows.ingest import ingest

    _check_config(args)
    summary = ingest(config_path=args.config)
    print(summary.render())
    return 0


def cmd_digest(args) -> int:
    from .digest import parse_week
    from .flows.digest import digest

    if args.week:
        parse_week(args.week)   # fail on a malformed week before starting Prefect
    if args.preview:
        return _preview(args)
    _check_config(args)
    result = digest(config_path=args.config, week=args.week, send=args.send, resend=args.resend)
    print(result.render())
    return 1 if result.failed else 0


def _preview(args) -> int:
    """The digest rendered in the terminal, straight from the library: no Prefect, no files."""
    from datetime import datetime, timezone

    from rich.console import Console
    from rich.markdown import Markdown

    from .config import load_config
    from .digest import collect, last_complete_week, parse_week, render_markdown
    from .profiles import build_profile
    from .warehouse import Warehouse

    cfg = load_config(args.config)
    now = datetime.now(timezone.utc)
    week = parse_week(args.week) if args.week else last_complete_week(now, cfg.digest.timezone)
    with Warehouse.open(cfg.warehouse_path, read_only=True) as wh:
        d = collect(wh, [build_profile(p) for p in cfg.profiles], week, cfg.digest, now, [f.url for f in cfg.feeds])
    Console(soft_wrap=False).print(Markdown(render_markdown(d), hyperlinks=False))
    return 0


def cmd_run(args) -> int:
    from .config import load_config
    from .flows.digest import digest
    from .flows.ingest import ingest

    cfg = load_config(args.config)
    summary = ingest(config_path=args.config)
    print(summary.render())
    # The scheduled run mails the digest once a week when recipients are configured.
    result = digest(config_path=args.config, send=cfg.email is not None and cfg.email.enabled)
    print(result.render())
    return 1 if result.failed else 0


def cmd_sql(args) -> int:
    from . import sqlshell
    from .config import load_config
    from .warehouse import Warehouse

    if args.format in ("parquet",) and not args.out:
        raise UsageError("--format parquet needs --out FILE")
    cfg = load_config(args.config)
    with Warehouse.open(cfg.warehouse_path, read_only=True, wait=10) as wh:
        sqlshell.prepare(wh.con)
        if args.query is None:
            return sqlshell.interactive(wh.con, str(cfg.warehouse_path))
        return sqlshell.run(wh.con, args.query, args.format, args.out)


def cmd_search(args) -> int:
    from datetime import datetime

    from .config import load_config
    from .search import search
    from .warehouse import Warehouse

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since: expected YYYY-MM-DD, got {args.since!r}") from None
    cfg = load_config(args.config)
    if args.profile and args.profile not in {p.name for p in cfg.profiles}:
        raise UsageError(f"--profile: no profile {args.profile!r} in {cfg.path}")
    with Warehouse.open(cfg.warehouse_path, read_only=True) as wh:
        hits = search(wh.con, args.query, args.profile, since, args.limit)
    for h in hits:
        print(f"{h['bm25']:>7.3f}  {h['published_at']:%Y-%m-%d}  {h['outlet'] or '':<24.24}  {h['title']}\n"
              f"{'':>9}{h['url']}  [{h['article_id']}]")
    print(f"{len(hits)} article{' matches' if len(hits) == 1 else 's match'} {args.query!r}")
    return 0


def cmd_export(args) -> int:
    from .config import load_config
    from .warehouse import Warehouse

    cfg = load_config(args.config)
    out = Path(args.out)
    with Warehouse.open(cfg.warehouse_path, read_only=True) as wh:
        written = wh.export_parquet(out)
    for table, rows in written.items():
        print(f"{rows:>9} rows  {out / (table + '.parquet')}")
    return 0


def cmd_vacuum(args) -> int:
    from .config import load_config
    from .warehouse import Warehouse

    cfg = load_config(args.config)
    before = cfg.warehouse_path.stat().st_size if cfg.warehouse_path.exists() else 0
    with Warehouse.open(cfg.warehouse_path) as wh:
        wh.vacuum()
    after = cfg.warehouse_path.stat().st_size
    print(f"vacuum: {cfg.warehouse_path} {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


def cmd_eval(args) -> int:
    from .config import load_config
    from .evaluation import LabeledArticle, evaluate, parse_labels, render
    from .extract import extract_page
    from .profiles import build_profile
    from .scoring import Scorer

    cfg = load_config(args.config)
    labels_path = Path(args.labels)
    try:
        lines = labels_path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"--labels: cannot read {labels_path}: {exc.strerror}") from None
    articles = parse_labels(lines, str(labels_path))
    profile_keys = {k for a in articles for k in a.grades}
    if args.html_dir:
        html_dir = Path(args.html_dir)
        if not html_dir.is_dir():
            raise UsageError(f"--html-dir: not a directory: {html_dir}")
        files = sorted([*html_dir.glob("*.html"), *html_dir.glob("*.html.gz")])
        for f in files:
            raw = gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()
            ex = extract_page(raw, f"https://example.invalid/{f.name}")
            if ex:
                articles.append(LabeledArticle(f.name, ex.title or "", ex.text, {k: 0 for k in profile_keys}))
    scorer = Scorer([build_profile(p) for p in cfg.profiles])
    results = evaluate(scorer, articles)
    if not results:
        raise UsageError(f"--labels: no label in {labels_path} names a configured profile "
                         f"({', '.join(p.name for p in cfg.profiles)})")
    print(f"{len(articles)} articles, scorer {scorer.model}")
    print(render(results))
    return 0


def cmd_status(args) -> int:
    from .config import load_config
    from .status import render_status
    from .warehouse import Warehouse

    cfg = load_config(args.config)
    if not cfg.warehouse_path.exists():
        print(f"no warehouse yet at {cfg.warehouse_path}: run `commentary-monitor ingest`")
        print(render_status(None, cfg))
        return 0
    with Warehouse.open(cfg.warehouse_path, read_only=True, wait=10) as wh:
        print(render_status(wh, cfg))
    return 0


def cmd_serve(args) -> int:
    import dataclasses
    import signal

    from .config import load_config, valid_cron
    from .prefect_server import LocalPrefectServer

    cfg = load_config(args.config)
    schedule = cfg.schedule
    for flag, value in (("--ingest-cron", args.ingest_cron), ("--digest-cron", args.digest_cron)):
        if value is not None and not valid_cron(value):
            raise UsageError(f"{flag}: not a cron expression: {value!r}")
    schedule = dataclasses.replace(schedule, ingest=args.ingest_cron or schedule.ingest,
                                   digest=args.digest_cron or schedule.digest)
    # Prefect's runner turns SIGTERM into an untidy exit: treat it as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with LocalPrefectServer(cfg.warehouse_path.parent / "prefect-server.log") as server:
        from .flows.deployments import serve_deployments

        where = "a local Prefect server" if server.started else server.api_url
        print(f"serve: ingest on '{schedule.ingest}', digest on '{schedule.digest}' ({schedule.timezone}); "
              f"scheduler: {where}. Ctrl-C stops.", flush=True)
        try:
            serve_deployments(str(cfg.path.resolve()), schedule)
        except KeyboardInterrupt:
            pass
    print("serve: stopped", flush=True)
    return 0


def cmd_demo(args) -> int:
    from datetime import datetime, timezone

    from .config import load_config
    from .demo import build_site, demo_config_text, load_articles
    from .flows.digest import digest
    from .flows.ingest import ingest
    from .localsite import LocalSite

    base = load_config(args.config)
    workdir = base.root / "warehouse" / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    with LocalSite() as site:
        feeds = build_site(site, load_articles(), datetime.now(timezone.utc), base.digest.timezone)
        cfg_path = workdir / "demo.toml"
        cfg_path.write_text(demo_config_text(base, site, feeds, workdir), encoding="utf-8")
        print(f"demo: serving {len(site.routes)} pages of sample commentary at {site.url('/')}")
        summary = ingest(config_path=str(cfg_path))
        print(summary.render())
        result = digest(config_path=str(cfg_path))
        print(result.render())
    print(f"demo: warehouse {workdir / 'demo.duckdb'}; try\n"
          f"  commentary-monitor --config {cfg_path} sql \"select profile, score, title from scored_articles "
          f"order by profile, score desc\"")
    return 0


COMMANDS = {
    "run": cmd_run,
    "ingest": cmd_ingest,
    "digest": cmd_digest,
    "sql": cmd_sql,
    "search": cmd_search,
    "export": cmd_export,
    "vacuum": cmd_vacuum,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "status": cmd_status,
    "demo": cmd_demo,
}


if __name__ == "__main__":
    sys.exit(main())
