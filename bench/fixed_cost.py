"""The fixed cost of a command: an ingest that finds nothing new, whole process, two ways.

    python bench/fixed_cost.py [--runs 7] [--html-dir ../shared/corpus/news-html]

A loopback site of 20 feeds (100 articles) is ingested once, so that afterwards every feed
answers 304 and nothing is fetched or stored. Then `commentary-monitor ingest` is timed
``--runs`` times with Prefect's temporary API (what a command starts when no Prefect server is
up), and ``--runs`` times while `commentary-monitor serve` runs for the same warehouse (the
command reports its flow run to serve's server and starts none), alternating the two (serve
runs throughout; for the first kind the command is not told of it). Prints the machine, every
run and the medians. Loopback only.
"""
from __future__ import annotations

import argparse
import gzip
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import EXE, LocalSite, build_site, machine, write_config  # noqa: E402


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
    args = ap.parse_args()
    real = [gzip.decompress(p.read_bytes()) for p in sorted(args.html_dir.glob("*.gz"))][:20] if args.html_dir else []
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fixed-cost.") as tmp_name, LocalSite() as site:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(tmp / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        work = tmp / "work"
        work.mkdir()
        cfg = write_config(work, build_site(site, 100, 20, real), site.host_port, 5)
        subprocess.run([EXE, "--config", str(cfg), "ingest"], env=env, capture_output=True, check=True)
        timed(cfg, env)     # the Prefect database and the profiles' cache exist from here on
        temporary, served = [], []
        log = open(tmp / "serve.log", "w")
        serve = subprocess.Popen([EXE, "--config", str(cfg), "serve", "--ingest-cron", "0 0 1 1 *"],
                                 env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while not (work / "serve.json").exists():
                if serve.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"serve did not start; see {tmp / 'serve.log'}")
                time.sleep(0.5)
            time.sleep(3)     # serve's deployments registered, its runner idle
            for _ in range(args.runs):
                # serve stays up throughout; a command is told there is no server by moving
                # the file serve writes beside the warehouse out of the way
                (work / "serve.json").rename(work / "serve.json.away")
                try:
                    temporary.append(timed(cfg, env))
                finally:
                    (work / "serve.json.away").rename(work / "serve.json")
                served.append(timed(cfg, env))
        finally:
            serve.send_signal(signal.SIGINT)
            serve.wait(60)
            log.close()
    print("ingest with nothing new (20 feeds answering 304), whole process, seconds:")
    for name, runs in (("temporary Prefect API", temporary), ("serve's server reused", served)):
        print(f"  {name}: median {statistics.median(runs):.2f} (runs {', '.join(f'{x:.2f}' for x in runs)})")


if __name__ == "__main__":
    main()
