"""The fixed cost of a command: an ingest that finds nothing new, whole process, two ways.

    python bench/fixed_cost.py [--runs 7] [--html-dir ../shared/corpus/news-html]

A loopback site of 20 feeds (100 articles) is ingested once, so that afterwards every feed
answers 304 and nothing is fetched or stored. Then `commentary-monitor ingest` is timed
``--runs`` times with Prefect's temporary API (what a command starts when no Prefect server is
up), and ``--runs`` times while `commentary-monitor serve` runs for the same warehouse (the
command reports its flow run to serve's server and starts none), alternating the two (serve
runs throughout; for the first kind the command is not told of it). With ``--no-serve``, only
the first kind, and nothing runs beside the commands. Prints the machine, every run and the
medians. Loopback only.

With ``--baseline REF`` (a git commit or branch of this repository, e.g. the merge base with
main), the same commands of that commit's code run too, alternated with this code's, run by
run (the order swapped every round): REF's ``src/commentary_monitor`` and ``flows/`` are
exported to a temporary folder put first on PYTHONPATH (the installed packages are shared),
and so is a copy of this working tree's, so that both run the same way. Prints both sets and
the ratio of each pair.
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import EXE, LocalSite, build_site, machine, write_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def export(ref: str | None, dest: Path) -> Path:
    """``ref``'s code (None: this working tree's) as an importable folder,
    ``dest/src/commentary_monitor``, with ``flows/`` as its ``flows`` package, as the install
    maps it. Returns the folder to put on PYTHONPATH."""
    if ref is None:
        shutil.copytree(REPO / "src" / "commentary_monitor", dest / "src" / "commentary_monitor",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "flows", dest / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src/commentary_monitor", "flows"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    (dest / "flows").rename(dest / "src" / "commentary_monitor" / "flows")
    return dest / "src"


class _Done(Exception):
    """No serve to run beside the commands (``--no-serve``)."""


def timed(cfg: Path, env: dict) -> float:
    t = time.perf_counter()
    out = subprocess.run([EXE, "--config", str(cfg), "ingest"], env=env, capture_output=True, text=True)
    took = time.perf_counter() - t
    if out.returncode != 0 or "0 new articles" not in out.stdout:
        raise SystemExit(f"ingest failed or found something new:\n{out.stdout}\n{out.stderr}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--html-dir", type=Path, help="real pages (*.html.gz) to serve; else generated ones")
    ap.add_argument("--baseline", metavar="REF", help="also time this git ref's code, alternated with this code's")
    ap.add_argument("--no-serve", action="store_true",
                    help="time only the temporary API, with no serve running beside it (the usual case)")
    args = ap.parse_args()
    real = [gzip.decompress(p.read_bytes()) for p in sorted(args.html_dir.glob("*.gz"))][:20] if args.html_dir else []
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fixed-cost.") as tmp_name, LocalSite() as site:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(tmp / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        work = tmp / "work"
        work.mkdir()
        cfg = write_config(work, build_site(site, 100, 20, real), site.host_port, 5)
        subprocess.run([EXE, "--config", str(cfg), "ingest"], env=env, capture_output=True, check=True)
        timed(cfg, env)     # the Prefect database and the profiles' cache exist from here on
        codes = {"this code": env}
        if args.baseline:
            for name, ref in (("this code", None), (args.baseline, args.baseline)):
                folder = tmp / ("baseline" if ref else "this-code")
                folder.mkdir()
                path = os.pathsep.join(filter(None, [str(export(ref, folder)), env.get("PYTHONPATH")]))
                codes[name] = dict(env, PYTHONPATH=path)
                timed(cfg, codes[name])
        temporary = {name: [] for name in codes}
        served = {name: [] for name in codes}
        if args.no_serve:
            for i in range(args.runs):
                for name in (list(codes) if i % 2 == 0 else list(codes)[::-1]):
                    temporary[name].append(timed(cfg, codes[name]))
            served = {}
        log = open(tmp / "serve.log", "w")
        serve = None if args.no_serve else subprocess.Popen([EXE, "--config", str(cfg), "serve", "--ingest-cron", "0 0 1 1 *"],
                                 env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            if serve is None:
                raise _Done
            while not (work / "serve.json").exists():
                if serve.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"serve did not start; see {tmp / 'serve.log'}")
                time.sleep(0.5)
            time.sleep(3)     # serve's deployments registered, its runner idle
            for i in range(args.runs):
                order = list(codes) if i % 2 == 0 else list(codes)[::-1]
                # serve stays up throughout; a command is told there is no server by moving
                # the file serve writes beside the warehouse out of the way
                (work / "serve.json").rename(work / "serve.json.away")
                try:
                    for name in order:
                        temporary[name].append(timed(cfg, codes[name]))
                finally:
                    (work / "serve.json.away").rename(work / "serve.json")
                for name in order:
                    served[name].append(timed(cfg, codes[name]))
        except _Done:
            pass
        finally:
            if serve is not None:
                serve.send_signal(signal.SIGINT)
                serve.wait(60)
            log.close()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print("ingest with nothing new (20 feeds answering 304), whole process, seconds:")
    for way, by_code in (("temporary Prefect API", temporary), ("serve's server reused", served)):
        if not by_code:
            continue
        for name, runs in by_code.items():
            label = way if name == "this code" else f"{way}, {name}"
            print(f"  {label}: median {statistics.median(runs):.2f} "
                  f"({min(runs):.2f}-{max(runs):.2f}; runs {', '.join(f'{x:.2f}' for x in runs)})")
        if args.baseline:
            ratios = [new / old for new, old in zip(by_code["this code"], by_code[args.baseline])]
            print(f"  {way}: this code / {args.baseline}, pair by pair: median {statistics.median(ratios):.2f} "
                  f"({min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
