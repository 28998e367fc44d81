"""The command line: a thin skin over the library and the flows.

Domain errors become one line on stderr and exit code 2 (usage, configuration) or
1 (everything else); tracebacks are for bugs only. ``ingest`` and ``run`` exit with 3 when
every feed failed (the digest is still written); a run stopped by SIGINT or SIGTERM exits
with 130 or 143 after one line saying what it kept (see :mod:`.stopping`).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from commentary_monitor import __version__, stopping
from commentary_monitor.runs.prefect_server import prefect_quiet_defaults
from commentary_monitor.errors import ConfigError, MonitorError, UsageError

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
    e.add_argument("--feedback", type=int, metavar="N",
                   help="also: feed N labeled articles as feedback (grade 2 relevant), score the rest (mean of 5 draws)")
    pr = sub.add_parser("profiles", help="list the profiles, or show what one is made of")
    pr_sub = pr.add_subparsers(dest="profiles_command", metavar="ACTION")
    pr_sub.add_parser("list", help="the profiles with their thresholds and feedback counts")
    ps = pr_sub.add_parser("show", help="a profile's distinctive terms, passages, threshold and feedback")
    ps.add_argument("name", help="profile name, as in the config")
    ps.add_argument("--terms", type=int, default=30, metavar="N", help="how many terms to show (default 30)")
    f = sub.add_parser("feedback", help="label an article relevant or not to a profile (the profile learns from it)")
    f.add_argument("article", metavar="URL_OR_ID", help="the article's URL, or the id shown in the digest")
    f.add_argument("--profile", required=True, metavar="NAME", help="the profile the label is for")
    label = f.add_mutually_exclusive_group(required=True)
    label.add_argument("--relevant", dest="relevant", action="store_true", help="the article belongs in the profile")
    label.add_argument("--not-relevant", dest="relevant", action="store_false", help="it does not")
    r = sub.add_parser("rescore", help="score the stored articles again (after editing profiles or giving feedback); fetches nothing")
    r.add_argument("--profile", metavar="NAME", help="only this profile (default: all)")
    sub.add_parser("status", help="last runs, next scheduled runs and feed health at a glance")
    v = sub.add_parser("serve", help="run ingest and the weekly digest on their schedules until Ctrl-C")
    v.add_argument("--ingest-cron", metavar="CRON", help='override [schedule] ingest, e.g. "*/30 * * * *"')
    v.add_argument("--digest-cron", metavar="CRON", help='override [schedule] digest, e.g. "0 7 * * 1"')
    dm = sub.add_parser("demo", help="serve a bundled sample of commentary on 127.0.0.1 and run the whole pipeline on it")
    dm.add_argument("--dir", default=DEMO_DIR, metavar="DIR",
                    help=f"where the demo writes its config, warehouse and digests (default: ./{DEMO_DIR}/); "
                         "its profiles are the sample's own unless --config names a config")
    it = sub.add_parser("init", help="start a monitoring project: a commented config, example seed essays, a warehouse folder")
    it.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the project folder (default: the current one)")
    f = sub.add_parser("feeds", help="show each feed's health (last success, failures, last error, flags); "
                                     "import or export OPML")
    fsub = f.add_subparsers(dest="feeds_action", metavar="ACTION")
    fi = fsub.add_parser("import", help="add the feeds of an OPML file to the project's feed list ([opml] path)")
    fi.add_argument("file", metavar="FILE.opml")
    fe = fsub.add_parser("export", help="write every configured feed as OPML (default: to stdout)")
    fe.add_argument("-o", "--output", metavar="FILE.opml", help="write to this file instead of stdout")
    w = sub.add_parser("warehouse", help="move the warehouse between backends (one DuckDB file, a DuckLake)")
    wsub = w.add_subparsers(dest="warehouse_action", metavar="ACTION", required=True)
    wc = wsub.add_parser("copy", help="copy every table of this config's warehouse into the (empty) warehouse "
                                      "another config names, e.g. a file into a lake or back")
    wc.add_argument("--to", required=True, metavar="CONFIG", help="the config whose [warehouse] receives the copy")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().print_help()
        return 2
    prefect_quiet_defaults()
    if args.command in FLOW_COMMANDS:
        if not getattr(args, "preview", False):
            # Prefect's temporary API first, on a guess, before anything else is loaded: see start_early
            from commentary_monitor.runs.prefect_server import start_early

            start_early()
        gc.disable()    # while the command imports Prefect: see _import_for_flows
        stopping.install(interrupt_idle=True)   # the first SIGINT/SIGTERM stops the run; the second exits
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        print(f"commentary-monitor: error: {exc}", file=sys.stderr)
        return 2
    except MonitorError as exc:
        print(f"commentary-monitor: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of the output went away (`commentary-monitor eval ... | head`): stop quietly,
        # as other command-line tools do, without Python's flush error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        if stopping.requested():
            return _stopped(f"stopped by {stopping.signal_name()} before the run began; nothing stored")
        print("commentary-monitor: interrupted", file=sys.stderr)
        return 130
    except BaseException:
        if not stopping.requested():
            raise
        # Stopped while Prefect was starting the flow run, before the run itself began.
        return _stopped(f"stopped by {stopping.signal_name()} before the run began; nothing stored")
    finally:
        gc.enable()
        if args.command in FLOW_COMMANDS:
            from commentary_monitor.runs.prefect_server import stop_early

            stop_early()        # started early, and the command ended before it took it
        if stopping.requested():
            # Whatever a stop left behind (the temporary Prefect API server, when the signal came
            # while Prefect was starting it; the workers' fork server) ends with the command.
            stopping.end_children(grace=3)


EXIT_ALL_FEEDS_FAILED = 3


def _stopped(message: str) -> int:
    """The one line a stopped command prints (what it kept), and its exit code (130/143)."""
    print(f"commentary-monitor: {message}", file=sys.stderr, flush=True)
    return stopping.exit_code()


def _outcome(state):
    """A flow's result from its final state: its summary, also when every feed failed (the run
    ended Failed, with the summary in its error); a run's own error is raised."""
    from commentary_monitor.errors import AllFeedsFailed

    result = state.result(raise_on_failure=False)
    if isinstance(result, AllFeedsFailed):
        return result.summary
    if isinstance(result, BaseException):
        raise result
    return result


# The commands that run Prefect flows in this process, and return when they are done.
FLOW_COMMANDS = frozenset({"run", "ingest", "digest", "demo"})


def _import_for_flows(api=None, flows: tuple[str, ...] = ("digest", "ingest"), meanwhile=None) -> None:
    """Import what a flow run in this process needs with the garbage collector off (``main``
    turns it off for these commands; their checks come first, so a mistake in the config is
    reported before Prefect is loaded), then freeze it all out of the
    collector's reach. Prefect's modules leave ~300,000 long-lived objects that every full
    collection would walk again: six while they are imported, more during the run, one at
    exit. Measured on an ingest with no feeds, the whole command: 8.3-8.6 s -> 7.0-7.7 s,
    ~1.2 s less CPU. Not for ``serve``, which runs for months (freezing is for what lives as long as the
    process). Only the command's own ``flows`` are imported (the digest's modules cost an
    ingest ~0.5 s). With ``api`` (a :class:`~.prefect_server.FlowAPI`), Prefect is then
    pointed at it (``meanwhile()`` runs while a temporary API is still starting); without,
    Prefect starts its temporary API itself at the first call, with its server's modules
    imported here (FastAPI, SQLAlchemy, the routes)."""
    import importlib

    gc.disable()
    try:
        import prefect.flow_engine  # noqa: F401
        import prefect.task_engine  # noqa: F401
        from prefect.settings import PREFECT_API_URL

        for name in flows:
            importlib.import_module(f"{__package__}.flows.{name}")
        if api is not None:
            api.activate(meanwhile)
        elif not PREFECT_API_URL.value():
            from commentary_monitor.runs.prefect_server import shield_temporary_server

            shield_temporary_server()   # imports prefect.server.api.server: the flow starts the temporary API with it
    finally:
        gc.freeze()
        gc.enable()


def _check_config(args):
    """Validate the config before Prefect starts, so a mistake is one line, not a flow-run traceback."""
    from commentary_monitor.config import load_config

    return load_config(args.config)


def _start_workers_server(cfg) -> None:
    """Start the extraction workers' fork server (their imports, stems and warm-up: ~1.2 s of
    CPU, and the profiles when they need building) before Prefect starts its API server,
    when the run is likely to use it: a first run (no warehouse yet) or profiles to build.
    The ingest then finds it ready. Otherwise (the hourly run, which mostly finds a few new
    pages and extracts them in its own process) it is started only if a pool is needed:
    its start would take CPU from Prefect's and the command's own for nothing."""
    from commentary_monitor.runs.workers import start_server  # not Prefect: the server starts before it is imported

    if _workers_ahead(cfg):
        start_server(cfg.path)


def _workers_ahead(cfg) -> bool:
    """Whether an ingest of ``cfg`` is likely to want the workers' fork server from its start."""
    from commentary_monitor.relevance.profiles import all_cached
    from commentary_monitor.runs.workers import uses_local_pool

    if not uses_local_pool(cfg):
        return False
    first_run = not cfg.store.lake and not cfg.store.path.exists()
    return first_run or not all_cached(cfg.profiles, cfg.profile_cache)


def _flow_settings(api=None):
    """Settings for the flows this command runs in its own process: no flow-run heartbeats.

    Prefect's heartbeats let a server mark a run whose process died as crashed. Here the
    runs report to an API of this project's (a temporary one that dies with the process, or
    a running ``serve``'s) with no automation reading them, and a sync flow run waits up to
    a second at its end for the heartbeat thread to notice: ~1 s per flow (two in ``run``).
    Kept when the user set a frequency or names a Prefect server (PREFECT_API_URL), where a
    watcher may rely on them."""
    from contextlib import nullcontext

    ours = api is not None and api.ours
    if any(os.environ.get(k) for k in ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")) \
            or (not ours and os.environ.get("PREFECT_API_URL")):
        return nullcontext()
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if not ours and PREFECT_API_URL.value():     # a server named in the user's Prefect profile
        return nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _ahead_of_the_api(cfg, flows: tuple[str, ...], api, stack, ahead: dict) -> None:
    """What the runs would do first anyway and needs no Prefect API, done while the command
    waits for its temporary API: the flow runs' settings entered (a copy of Prefect's
    settings, ~0.05 s), the client they will share made (its TLS context, ~0.03 s), the
    module a flow call imports first, and the ingest's TLS context (the CA bundle loaded,
    ~0.05 s). Before, the command did the first three once the API answered, on its path."""
    from prefect.context import SyncClientContext

    stack.enter_context(_flow_settings(api))
    ahead["client"] = (api.url, SyncClientContext())
    import prefect.utilities.visualization  # noqa: F401 - a flow's call imports it (graphviz)

    if "ingest" in flows:
        from commentary_monitor.fetching.fetch import load_tls

        load_tls(cfg.fetch)


def _run_context(api, stack, ahead: dict) -> None:
    """Once the API answers: the flow runs' settings, unless entered ahead (not when Prefect's
    own settings name the server), and the client made ahead, entered so that the runs share
    it. A temporary API started again on another port (see ``TemporaryAPI.wait_ready``) gets
    the settings pointed at it, and no client made ahead: Prefect makes its own."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if "client" not in ahead:
        stack.enter_context(_flow_settings(api))
        return
    url, client_context = ahead.pop("client")
    if url != api.url:
        stack.enter_context(temporary_settings(updates={PREFECT_API_URL: api.url}))
    else:
        stack.enter_context(client_context)


@contextmanager
def _flow_run(cfg, flows: tuple[str, ...] = ("digest", "ingest")):
    """Around a command's flow runs: the Prefect API they report to chosen first (a
    temporary one starts at once, while the extraction workers' fork server starts and
    Prefect is imported: see :class:`~.prefect_server.FlowAPI`), then
    :func:`_import_for_flows`, and the runs' settings (:func:`_flow_settings`) and Prefect
    client, made while a temporary API starts (:func:`_ahead_of_the_api`)."""
    from contextlib import ExitStack

    from commentary_monitor.runs.prefect_server import FlowAPI

    ahead: dict = {}
    with FlowAPI(cfg.warehouse_path.parent) as api, ExitStack() as stack:
        if "ingest" in flows:
            _start_workers_server(cfg)
        _import_for_flows(api, flows, meanwhile=lambda: _ahead_of_the_api(cfg, flows, api, stack, ahead))
        _run_context(api, stack, ahead)
        yield api


def cmd_ingest(args) -> int:
    with _flow_run(_check_config(args), ("ingest",)):
        from commentary_monitor.flows.ingest import ingest

        state = ingest(config_path=args.config, return_state=True)
    if state.is_cancelled():
        return _stopped(state.message)
    summary = _outcome(state)
    print(summary.render())
    return EXIT_ALL_FEEDS_FAILED if summary.all_failed else 0


def cmd_digest(args) -> int:
    from datetime import datetime, timezone

    from commentary_monitor.digest.weeks import parse_started_week, parse_week

    if args.week:
        parse_week(args.week)   # fail on a malformed week before starting Prefect
    if args.preview:
        return _preview(args)
    cfg = _check_config(args)
    if args.week:               # ... and on a week that has not started
        parse_started_week(args.week, datetime.now(timezone.utc), cfg.digest.timezone)
    with _flow_run(cfg, ("digest",)):
        from commentary_monitor.flows.digest import digest

        state = digest(config_path=args.config, week=args.week, send=args.send, resend=args.resend, return_state=True)
    if state.is_cancelled():
        return _stopped(state.message)
    result = _outcome(state)
    print(result.render())
    return 1 if result.failed else 0


def _preview(args) -> int:
    """The digest rendered in the terminal, straight from the library: no Prefect, no files."""
    from datetime import datetime, timezone

    from rich.console import Console
    from rich.markdown import Markdown

    from commentary_monitor.config import load_config
    from commentary_monitor.digest.build import collect, render_markdown
    from commentary_monitor.digest.weeks import last_complete_week, parse_started_week
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    now = datetime.now(timezone.utc)
    week = parse_started_week(args.week, now, cfg.digest.timezone) if args.week else last_complete_week(now, cfg.digest.timezone)
    with Warehouse.open(cfg.store, read_only=True) as wh:
        d = collect(wh, list(cfg.profiles), week, cfg.digest, now, [f.url for f in cfg.feeds])
    Console(soft_wrap=False).print(Markdown(render_markdown(d), hyperlinks=False))
    return 0


def cmd_run(args) -> int:
    from commentary_monitor.config import load_config

    cfg = load_config(args.config)
    with _flow_run(cfg):
        from commentary_monitor.flows.digest import digest
        from commentary_monitor.flows.ingest import ingest

        state = ingest(config_path=args.config, return_state=True)
        if state.is_cancelled():
            return _stopped(state.message)
        summary = _outcome(state)
        print(summary.render(), flush=True)
        # The scheduled run mails the digest once a week when recipients are configured.
        state = digest(config_path=args.config, send=cfg.email is not None and cfg.email.enabled, return_state=True)
    if state.is_cancelled():
        return _stopped(state.message)
    result = _outcome(state)
    print(result.render())
    if summary.all_failed:
        return EXIT_ALL_FEEDS_FAILED
    return 1 if result.failed else 0


def _note(message: str) -> None:
    """A remark beside a command's answer (e.g. read from the warehouse's read copy): on
    stderr, so that the answer itself stays clean for pipes."""
    print(message, file=sys.stderr)


def cmd_sql(args) -> int:
    from commentary_monitor.warehouse import sqlshell
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    if args.format in ("parquet",) and not args.out:
        raise UsageError("--format parquet needs --out FILE")
    cfg = load_config(args.config)
    with Warehouse.open_reader(cfg.store, on_note=_note) as wh:
        sqlshell.prepare(wh.con)
        if args.query is None:
            return sqlshell.interactive(wh.con, str(cfg.warehouse_path))
        return sqlshell.run(wh.con, args.query, args.format, args.out)


def cmd_search(args) -> int:
    from datetime import datetime

    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.search import search
    from commentary_monitor.warehouse.store import Warehouse

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since: expected YYYY-MM-DD, got {args.since!r}") from None
    cfg = load_config(args.config)
    if args.profile and args.profile not in {p.name for p in cfg.profiles}:
        raise UsageError(f"--profile: no profile {args.profile!r} in {cfg.path}")
    with Warehouse.open_reader(cfg.store, on_note=_note) as wh:
        hits = search(wh.con, args.query, args.profile, since, args.limit)
    for h in hits:
        print(f"{h['bm25']:>7.3f}  {h['published_at']:%Y-%m-%d}  {h['outlet'] or '':<24.24}  {h['title']}\n"
              f"{'':>9}{h['url']}  [{h['article_id']}]")
    print(f"{len(hits)} article{' matches' if len(hits) == 1 else 's match'} {args.query!r}")
    return 0


def cmd_export(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    out = Path(args.out)
    with Warehouse.open_reader(cfg.store, on_note=_note) as wh:
        written = wh.export_parquet(out)
    for table, rows in written.items():
        print(f"{rows:>9} rows  {out / (table + '.parquet')}")
    return 0


def cmd_vacuum(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    before = cfg.warehouse_path.stat().st_size if cfg.warehouse_path.exists() else 0
    with Warehouse.open(cfg.store) as wh:
        wh.vacuum()
    after = cfg.warehouse_path.stat().st_size
    print(f"vacuum: {cfg.warehouse_path} {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


def _profile_config(cfg, name: str):
    for p in cfg.profiles:
        if p.name == name:
            return p
    raise UsageError(f"no profile named {name!r} (configured: {', '.join(p.name for p in cfg.profiles) or 'none'})")


def cmd_profiles(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import load_profiles
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    names = [args.name] if args.profiles_command == "show" else [p.name for p in cfg.profiles]
    cfgs = [_profile_config(cfg, n) for n in names]
    profiles = load_profiles(cfgs, cfg.profile_cache)
    labels: dict = {}
    if cfg.store.lake or cfg.warehouse_path.exists():
        try:
            with Warehouse.open(cfg.store, read_only=True) as wh:
                labels = wh.feedback_labels()
        except MonitorError:
            labels = {}     # an old or busy warehouse: show the profile without its feedback
    if args.profiles_command != "show":
        for p in profiles:
            got = labels.get(p.name, [])
            print(f"{p.name}: {len(p.passages)} passages, {len(p.terms)} terms, threshold {p.threshold:.2f}, "
                  f"feedback {sum(x.relevant for x in got)} relevant / {sum(not x.relevant for x in got)} not")
        return 0
    from commentary_monitor.relevance.feedback import train

    prof = profiles[0]
    got = labels.get(prof.name, [])
    print(render_profile(prof, got, train(prof, got) if got else None, args.terms))
    return 0


def _term_columns(weighted: list[tuple[str, float]]) -> list[str]:
    """(term, weight) pairs as lines of three columns."""
    return ["  " + "".join(f"{t:<28}{w:>6.2f}   " for t, w in weighted[i:i + 3]).rstrip()
            for i in range(0, len(weighted), 3)]


def render_profile(prof, labels: list, model, n_terms: int) -> str:
    from commentary_monitor.relevance.crosslingual import WORD_LANGUAGES

    lines = [f"profile {prof.name} (version {prof.version})", f"threshold: {prof.threshold:.2f}"]
    if prof.description:
        lines.append(f"description: {' '.join(prof.description.split())}")
    sources = sorted({p.source for p in prof.passages if p.source != "description"})
    lines.append(f"seeds: {', '.join(sources) or 'none'}")
    for key, value in (("include", ", ".join(prof.include)), ("exclude", ", ".join(prof.exclude)),
                       ("require", prof.require.text if prof.require else "")):
        if value:
            lines.append(f"{key}: {value}")
    focus = prof.reference.get("focus", 0.0)
    lines.append(f"description focus: {focus:.2f} (0 = the seeds' own words count as they are)")
    if prof.reference.get("pairs"):
        lines.append("relationship: the two sides as the essays pair them: "
                     + ", ".join(f"{a}*-{b}*" for a, b in prof.reference["pairs"])
                     + f"; the profile's own actors (named in the description, or often in the essays): {', '.join(a + '*' for a in prof.reference['actors'])}")
        if prof.reference.get("sides"):
            left, right = prof.reference["sides"]
            lines.append(f"relationship sides (a passage names both, or one): {' / '.join(a + '*' for a in left)}"
                         f"  <->  {' / '.join(a + '*' for a in right)}")
            named = prof.reference.get("side_actors") or ((), ())
            if any(named):
                lines.append("names that speak for a side (the essays' names in its language): "
                             f"{' / '.join(a + '*' for a in named[0]) or '-'}  <->  {' / '.join(a + '*' for a in named[1]) or '-'}")
            for lang, (fa, fb, fpairs) in sorted((prof.reference.get("foreign_sides") or {}).items()):
                def shown(x: str, lang: str = lang) -> str:
                    # Russian names match by their first letters, as do the other languages' written in
                    # words, of four letters or more; Chinese, Japanese, Korean, Arabic ones and shorter
                    # ones as they are
                    return x + "*" if lang == "ru" or (lang in WORD_LANGUAGES and len(x) >= 4) else x
                lines.append(f"sides in {lang} (names from CLDR, pycountry and transliteration): {' / '.join(map(shown, fa))}  <->  "
                             f"{' / '.join(map(shown, fb))}" + (f"; pairs {', '.join(fpairs)}" if fpairs else ""))
            lines.append("relationship evidence: pairs (passages naming both sides), joint (how many do), close "
                         "(sentences naming both, of those naming either), others (a third actor in the "
                         "opening), dyad (phrases that speak of the two as a pair: between, both/the two "
                         "governments, capitals, ..., each other, bilateral, reciprocal, mutual, joint, neither side)")
    elif prof.description:
        from commentary_monitor.relevance.crosslingual import MEANING_LANGUAGES, UNTRAINED_LANGUAGES

        trained = [x for x in MEANING_LANGUAGES if x not in UNTRAINED_LANGUAGES]
        lines.append(f"other languages: by the description's meaning in a multilingual model ({', '.join(trained)}; "
                     f"also {', '.join(sorted(UNTRAINED_LANGUAGES))}, which it was not trained on, with weights of "
                     "their own: found less well)")
    else:
        lines.append("other languages: not read (a topic profile reads them by its description, and this one has none)")
    described = prof.reference.get("description_terms") or {}
    if described:
        top = sorted(described.items(), key=lambda kv: (-kv[1], kv[0]))[:n_terms]
        lines.append("")
        lines.append(f"description words (weight = information beyond an average English word; top {len(top)} of {len(described)}):")
        lines += _term_columns(top)
    lines.append("")
    lines.append(f"distinctive terms and phrases (weight against ordinary English; top {n_terms} of {len(prof.terms)}):")
    lines += _term_columns([(t.text + (" *" if t.source != "seeds" else ""), t.weight) for t in prof.terms[:n_terms]])
    lines.append("  (* from the description or include)")
    lines.append("")
    lines.append(f"passages ({len(prof.passages)}; weight = closeness to the description, mean 1):")
    for k, (p, w) in enumerate(zip(prof.passages, prof.passage_weights)):
        text = " ".join(p.text.split())
        lines.append(f"  [{k + 1:>2}] {w:5.2f}  {p.source}: {text[:110]}{'…' if len(text) > 110 else ''}")
    lines.append("")
    n_rel = sum(x.relevant for x in labels)
    lines.append(f"feedback: {len(labels)} labels ({n_rel} relevant, {len(labels) - n_rel} not relevant)")
    if model is not None:
        lines.append("  learned correction (log-odds, near the labeled articles): "
                     + ", ".join(f"{k} {v:+.3f}" if isinstance(v, float) and k != "missed labels" else f"{k} {v:g}"
                                 for k, v in model.summary().items()))
        for x in labels[-10:]:
            lines.append(f"  {'+' if x.relevant else '-'} {x.article_id}  {' '.join((x.title or '').split())[:90]}")
    return "\n".join(lines)


def cmd_feedback(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    _profile_config(cfg, args.profile)
    with Warehouse.open(cfg.store) as wh:
        found = wh.find_article(args.article)
        if found is None:
            raise UsageError(f"no stored article has the URL or id {args.article!r}")
        article_id, how = found
        wh.add_feedback(article_id, args.profile, args.relevant, how)
        labels = wh.feedback_labels().get(args.profile, [])
    n_rel = sum(x.relevant for x in labels)
    print(f"feedback: {article_id} marked {'relevant' if args.relevant else 'not relevant'} to {args.profile} "
          f"({len(labels)} labels: {n_rel} relevant, {len(labels) - n_rel} not); "
          f"new articles learn from it; run `commentary-monitor rescore --profile {args.profile}` for stored ones")
    return 0


def cmd_rescore(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.feedback import rescore, scorer_for
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    if args.profile:
        _profile_config(cfg, args.profile)
    with Warehouse.open(cfg.store) as wh:
        scorer = scorer_for(cfg, wh.feedback_labels())
        result = rescore(wh, scorer, args.profile)
    print(result.render())
    return 0


def cmd_eval(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.evaluation import evaluate, evaluate_anchors, evaluate_with_feedback, render
    from commentary_monitor.relevance.labels import LabeledArticle, parse_labels
    from commentary_monitor.extraction.extract import extract_page
    from commentary_monitor.relevance.profiles import load_profiles
    from commentary_monitor.relevance.scoring import Scorer

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
    # Evaluation never reads the warehouse's feedback: the base profiles are measured.
    scorer = Scorer(load_profiles(cfg.profiles, cfg.profile_cache))
    results = evaluate(scorer, articles)
    if not results:
        raise UsageError(f"--labels: no label in {labels_path} names a configured profile "
                         f"({', '.join(p.name for p in cfg.profiles)})")
    print(f"{len(articles)} articles, scorer {scorer.model}; beside each profile, the rankers a user could pick "
          f"instead (a boolean alert of the profile's own actors or terms, BM25 with the seeds as the query, the "
          f"seeds' embedding centroid)")
    print(render(results, evaluate_anchors(scorer, articles)))
    languages = sorted({a.lang for a in articles if a.lang})
    if len(languages) > 1:      # a mixed set: the same figures per language (by the labels' `lang`)
        for lang in languages:
            subset = [a for a in articles if a.lang == lang]
            per_lang = evaluate(scorer, subset)
            if per_lang:
                print(f"\nlanguage {lang}: {len(subset)} articles")
                print(render(per_lang, evaluate_anchors(scorer, subset)))
    if args.feedback:
        before, after = evaluate_with_feedback(scorer, articles, args.feedback)
        print(f"\nfeedback on {args.feedback} labeled articles, the other {before[0].n} scored "
              f"(mean of 5 random draws); without feedback:")
        print(render(before))
        print("with feedback:")
        print(render(after))
    return 0


def cmd_status(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.runs.prefect_server import served_schedules
    from commentary_monitor.runs.status import render_status
    from commentary_monitor.warehouse.store import Warehouse

    cfg = load_config(args.config)
    served = served_schedules(cfg.warehouse_path.parent)
    if not cfg.store.lake and not cfg.warehouse_path.exists():
        print(f"no warehouse yet at {cfg.warehouse_path}: run `commentary-monitor ingest`")
        print(render_status(None, cfg, served=served))
        return 0
    with Warehouse.open_reader(cfg.store, on_note=_note) as wh:
        print(render_status(wh, cfg, served=served))
    return 0


def cmd_serve(args) -> int:
    import dataclasses
    import signal

    from commentary_monitor.config import load_config, valid_cron
    from commentary_monitor.runs.prefect_server import LocalPrefectServer, record_served

    cfg = load_config(args.config)
    schedule = cfg.schedule
    for flag, value in (("--ingest-cron", args.ingest_cron), ("--digest-cron", args.digest_cron)):
        if value is not None and not valid_cron(value):
            raise UsageError(f"{flag}: not a cron expression: {value!r}")
    schedule = dataclasses.replace(schedule, ingest=args.ingest_cron or schedule.ingest,
                                   digest=args.digest_cron or schedule.digest)
    # Until the runner takes over (serve_deployments stops it cleanly on a signal), Ctrl-C and
    # SIGTERM interrupt the start-up at once.
    def interrupt(*_):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    with LocalPrefectServer(cfg.warehouse_path.parent / "prefect-server.log") as server:
        from commentary_monitor.flows.deployments import serve_deployments

        where = "a local Prefect server" if server.started else server.api_url
        print(f"serve: ingest on '{schedule.ingest}', digest on '{schedule.digest}' ({schedule.timezone}); "
              f"scheduler: {where}. Ctrl-C stops.", flush=True)
        served = record_served(cfg.warehouse_path.parent, server.api_url, schedule)   # for `status`
        try:
            serve_deployments(str(cfg.path.resolve()), schedule)
        except KeyboardInterrupt:
            pass
        finally:
            served.unlink(missing_ok=True)
    print("serve: stopped", flush=True)
    return 0


DEMO_DIR = "commentary-monitor-demo"


def cmd_demo(args) -> int:
    from datetime import datetime, timezone

    from commentary_monitor.config import CONFIG_ENV, load_config
    from commentary_monitor.demo import build_site, demo_config_text, load_articles
    from commentary_monitor.digest.weeks import last_complete_week
    from commentary_monitor.localsite import LocalSite
    from commentary_monitor.project import TEMPLATE_CONFIG

    # The sample carries its own profiles and seeds (the template's), so the demo runs in
    # any folder; a config named on purpose lends its profiles instead.
    base = load_config(args.config or os.environ.get(CONFIG_ENV) or TEMPLATE_CONFIG)
    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    # one moment for the sample's dates and the digest's week: a demo started just before a
    # week ends would otherwise date its articles in one week and write the next one's digest
    now = datetime.now(timezone.utc)
    week = last_complete_week(now, base.digest.timezone)
    with LocalSite() as site:
        feeds = build_site(site, load_articles(), now, base.digest.timezone)
        cfg_path = workdir / "demo.toml"
        cfg_path.write_text(demo_config_text(base, site, feeds, workdir.resolve()), encoding="utf-8")
        print(f"demo: serving {len(site.routes)} pages of sample commentary at {site.url('/')}")
        with _flow_run(load_config(cfg_path)):
            from commentary_monitor.flows.digest import digest
            from commentary_monitor.flows.ingest import ingest

            summary = ingest(config_path=str(cfg_path))
            print(summary.render())
            result = digest(config_path=str(cfg_path), week=week.label)
        print(result.render())
    print(f"demo: warehouse {workdir / 'demo.duckdb'}; try\n"
          f"  commentary-monitor --config {cfg_path} sql \"select profile, score, title from scored_articles "
          f"order by profile, score desc\"")
    return 0


def cmd_init(args) -> int:
    from commentary_monitor.project import init_project

    target = Path(args.dir)
    init_project(target)
    here = target.resolve() == Path.cwd().resolve()
    print(f"init: a monitoring project in {'this folder' if here else target}:\n"
          "  config/monitor.toml  profiles, feeds, digest, email, fetching: every section commented\n"
          "  seeds/               two example essays, and README.md on what makes a good seed essay\n"
          "  warehouse/           the DuckDB file, digests and outbox (git-ignored)", flush=True)
    print(_prebuild_profiles(target / "config" / "monitor.toml"))
    print(f"next: {'' if here else f'cd {target} && '}commentary-monitor profiles list && commentary-monitor run")
    return 0


def _prebuild_profiles(config_path: Path) -> str:
    """The new project's profiles built into their cache now, once, so that its first run
    does not build them (~1 s of CPU; after a seed edit a rebuild reuses the sides' names and
    costs ~0.5 s). A failure is not init's: the first run builds them and says what is wrong."""
    from commentary_monitor.config import load_config
    from commentary_monitor.relevance.profiles import load_profiles

    try:
        cfg = load_config(config_path)
        built = load_profiles(cfg.profiles, cfg.profile_cache)
    except Exception as exc:  # noqa: BLE001 - reported, and left for the first run
        return f"  (the profiles were not built now: {exc}; the first run builds them)"
    return f"  profiles built: {', '.join(p.name for p in built)} (cached in warehouse/profiles/)"


def cmd_feeds(args) -> int:
    from commentary_monitor.config import load_config, read_opml
    from commentary_monitor.feeds.parse import write_opml

    cfg = load_config(args.config)
    if args.feeds_action == "import":
        incoming = read_opml(Path(args.file))
        listed = read_opml(cfg.opml_path) if cfg.opml_path and cfg.opml_path.exists() else []
        known = {f.url for f in cfg.feeds} | {f.url for f in listed}
        added = [f for f in incoming if f.url not in known]
        target = cfg.opml_path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(write_opml([(f.url, f.name) for f in [*listed, *added]]), encoding="utf-8")
        tmp.replace(target)
        print(f"feeds import: {len(added)} new feed(s) added to {target} "
              f"({len(incoming) - len(added)} already configured)")
        return 0
    if args.feeds_action == "export":
        text = write_opml([(f.url, f.name) for f in cfg.feeds])
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"feeds export: {len(cfg.feeds)} feed(s) written to {args.output}")
        else:
            sys.stdout.write(text)
        return 0
    from commentary_monitor.feeds.health import assess, render_table
    from commentary_monitor.warehouse.store import Warehouse, utcnow

    with Warehouse.open_reader(cfg.store, on_note=_note) as wh:
        rows = wh.feed_health()
    configured = {f.url for f in cfg.feeds}
    rows = [r for r in rows if r["feed_url"] in configured]
    print(render_table(assess(rows, cfg.health, utcnow())))
    return 0


def cmd_warehouse(args) -> int:
    from commentary_monitor.config import load_config
    from commentary_monitor.warehouse.store import Warehouse

    source, target = load_config(args.config), load_config(args.to)
    if str(source.store) == str(target.store):
        raise UsageError(f"warehouse copy: {args.to} names the same warehouse ({source.store})")
    with Warehouse.open(target.store, wait=target.lock_timeout) as wh:
        copied = wh.copy_from(source.store)
    for table, rows in copied.items():
        print(f"{rows:>9} rows  {table}")
    print(f"warehouse copy: {source.store} -> {target.store}")
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
    "init": cmd_init,
    "profiles": cmd_profiles,
    "feedback": cmd_feedback,
    "rescore": cmd_rescore,
    "feeds": cmd_feeds,
    "warehouse": cmd_warehouse,
}


if __name__ == "__main__":
    sys.exit(main())
