"""One ingest against the hostile publisher, at default settings but ``max_crawl_delay = 0.5``:
wall time, peak memory of the whole process tree, and every case's outcome checked.

    .venv/bin/python bench/hostile.py [--server tests/hostile_server.py] [--keep DIR]

A fresh project (`commentary-monitor init`, its example feeds replaced by the server's OPML list
through `feeds import`) and a fresh PREFECT_HOME; the server is tests/hostile_server.py (a copy
of ../shared/tools/hostile_server.py) on a free loopback port, its host:port the only private
address allowed. Memory is sampled every 0.1 s over the CLI and all its descendants (Prefect's
API server, the extraction workers and their fork server): the peak of the summed RSS (shared
pages of forked workers counted in each), the peak of the summed PSS (shared pages split among
their sharers), and the CLI process's own high-water mark (VmHWM). The outcomes are checked
against the expectations of tests/test_hostile.py (which runs with shorter timeouts).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_hostile import ARTICLE_OUTCOMES, FEED_OUTCOMES  # noqa: E402

EXE = str(Path(sys.executable).with_name("commentary-monitor"))


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "cpu")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def start_server(script: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(script), "--port", "0", "--max-seconds", "900", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    return proc, port


def project(work: Path, port: int | None) -> Path:
    """A new project at default settings, without the example feeds; with ``port``, the
    server allowed, Crawl-delay capped at 0.5 s and the server's feeds imported."""
    subprocess.run([EXE, "init", str(work)], check=True, capture_output=True)
    cfg = work / "config" / "monitor.toml"
    text = cfg.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n[[feeds]]\n")
    tail = rest[rest.index("\n[digest]"):]      # the example feeds dropped: the server's come by OPML
    if port is None:
        cfg.write_text(head + tail, encoding="utf-8")
        return cfg
    tail = tail.replace("allow_private = []", f'allow_private = ["127.0.0.1:{port}"]', 1)
    tail = tail.replace("max_crawl_delay = 10.0", "max_crawl_delay = 0.5", 1)
    assert "max_crawl_delay = 0.5" in tail and f"127.0.0.1:{port}" in tail
    cfg.write_text(head + tail, encoding="utf-8")
    import httpx

    (work / "hostile.opml").write_bytes(httpx.get(f"http://127.0.0.1:{port}/feeds.opml").content)
    subprocess.run([EXE, "--config", str(cfg), "feeds", "import", str(work / "hostile.opml")], check=True,
                   capture_output=True)
    return cfg


def run_measured(cmd: list[str], env: dict, out: Path) -> dict:
    import psutil

    started = time.monotonic()
    with out.open("w") as o:
        proc = subprocess.Popen(cmd, stdout=o, stderr=subprocess.STDOUT, env=env)
        root = psutil.Process(proc.pid)
        rss = pss = hwm = 0
        seen: set[int] = set()
        each: dict[int, list] = {}   # pid -> [what it is, its peak RSS]
        while proc.poll() is None:
            total_rss = total_pss = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            for p in tree:
                try:
                    m = p.memory_full_info()
                    total_rss += m.rss
                    total_pss += m.pss
                    seen.add(p.pid)
                    if p.pid not in each:
                        cmd = " ".join(p.cmdline())
                        each[p.pid] = ["the CLI (the flow)" if p.pid == proc.pid else
                                       "Prefect's API server" if "uvicorn" in cmd or "prefect" in cmd.split(" -c ")[0]
                                       else "extraction workers / fork server", 0]
                    each[p.pid][1] = max(each[p.pid][1], m.rss)
                    if p.pid == proc.pid:
                        hwm = max(hwm, next(int(ln.split()[1]) * 1024 for ln in open(f"/proc/{p.pid}/status")
                                            if ln.startswith("VmHWM:")))
                except (psutil.Error, OSError, StopIteration):
                    pass
            rss, pss = max(rss, total_rss), max(pss, total_pss)
            time.sleep(0.1)
    wall = time.monotonic() - started
    left = []
    for _ in range(30):   # a process of the command may take a moment to go
        left = [p for p in psutil.process_iter(["pid", "status", "cmdline"]) if p.pid in seen
                and p.info["status"] != psutil.STATUS_ZOMBIE]
        if not left:
            break
        time.sleep(0.1)
    left = [f"{p.pid} {' '.join(p.info['cmdline'] or [])[:80]}" for p in left]
    kinds: dict[str, list[int]] = {}
    for kind, peak in each.values():
        kinds.setdefault(kind, []).append(peak)
    return {"each": {k: ", ".join(f"{v / 2**20:.0f}" for v in sorted(vs, reverse=True)) for k, vs in kinds.items()},
            "code": proc.returncode, "wall": wall, "rss": rss, "pss": pss, "hwm": hwm,
            "processes": len(seen), "left": left}


def check_outcomes(db: Path) -> list[str]:
    """Where the stored outcomes differ from tests/test_hostile.py's expectations (empty: none)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        fetches = {urlsplit(u).path: kind for u, kind in con.execute("select feed_url, error_kind from fetches").fetchall()}
        articles = {urlsplit(u).path: (st, err) for u, st, err in
                    con.execute("select url, page_status, page_error from articles").fetchall()}
        deferred = {urlsplit(u).path: reason for u, reason in con.execute("select url, reason from deferred_pages").fetchall()}
        titles = {t for (t,) in con.execute("select title from articles").fetchall()}
    finally:
        con.close()
    wrong = [f"article {p}: not stored" for p in ("/articles/ok/malformed-1", "/articles/ok/malformed-2") if p not in articles]
    wrong += [f"title {t!r}: not stored" for t in ("Café crème à la française", "Müller über die Straße") if t not in titles]
    wrong += [f"feed {p}: {fetches.get(p)!r}, expected {k!r}" for p, k in FEED_OUTCOMES.items() if fetches.get(p, "-") != k]
    for path, (status, prefix) in ARTICLE_OUTCOMES.items():
        if status == "deferred":
            if path in articles or not (deferred.get(path) or "").startswith(prefix):
                wrong.append(f"article {path}: {articles.get(path) or deferred.get(path)!r}, expected deferred ({prefix})")
        elif path not in articles or articles[path][0] != status or (prefix and prefix not in (articles[path][1] or "")):
            wrong.append(f"article {path}: {articles.get(path)!r}, expected {status} ({prefix})")
    return wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", type=Path, default=ROOT / "tests" / "hostile_server.py")
    ap.add_argument("--keep", type=Path, help="the project folder to use and keep (default: a temporary one)")
    ap.add_argument("--fresh-prefect-home", action="store_true",
                    help="measure with a new PREFECT_HOME (its first run creates Prefect's database: ~15 s more); "
                         "default: one an ingest with no feeds has used once, as a monitor's is")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    if work.exists() and any(work.iterdir()):
        sys.exit(f"{work} is not empty")
    server, port = start_server(args.server)
    try:
        cfg = project(work, port)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env["PREFECT_HOME"] = str(work / "prefect-home")
        empty = None
        if not args.fresh_prefect_home:   # the same command with no feeds: Prefect's start-up alone
            empty = run_measured([EXE, "--config", str(project(work / "warm-up", None)), "ingest"], env,
                                 work / "warm-up.out")
        got = run_measured([EXE, "--config", str(cfg), "ingest"], env, work / "ingest.out")
        wrong = check_outcomes(work / "warehouse" / "monitor.duckdb")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"machine: {machine()}")
    print(f"hostile ingest: exit {got['code']}, {got['wall']:.1f} s wall; peak memory of the process tree "
          f"({got['processes']} processes): {got['rss'] / 2**20:.0f} MB RSS summed, {got['pss'] / 2**20:.0f} MB PSS; "
          f"the CLI alone {got['hwm'] / 2**20:.0f} MB (VmHWM)")
    print("  peak RSS of each process, MB: " + "; ".join(f"{k}: {v}" for k, v in got["each"].items()))
    if empty:
        print(f"the same command with no feeds (Prefect's start-up, the profiles): {empty['wall']:.1f} s wall; "
              f"peak memory of its process tree ({empty['processes']} processes): {empty['rss'] / 2**20:.0f} MB RSS "
              f"summed, {empty['pss'] / 2**20:.0f} MB PSS; the CLI alone {empty['hwm'] / 2**20:.0f} MB")
    print("left running 3 s after the command: " + (", ".join(got["left"]) or "none"))
    print("cases: " + ("all handled as expected" if not wrong else "\n  ".join(["DIFFERENT:", *wrong])))
    print((work / "ingest.out").read_text(encoding="utf-8", errors="replace")[-3000:])
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
