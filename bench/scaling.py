"""Throughput of the bench's mix as web processes are added, with and without a read replica:
`.venv/bin/python bench/scaling.py` (the figures of docs/scaling.md).

Runs on a PostgreSQL pair of its own (bazaar/db/tests/pgpair.py: a primary and a streaming hot
standby from Debian's PostgreSQL 15 binaries, with PostgreSQL's durable defaults), seeded by
`seed_demo` like bench/run.py. For each number of gunicorn workers in SCALE_WORKERS and each
scenario, `wrk` (8 clients) measures requests/s, and the CPU seconds used meanwhile by the web
processes, the primary's and the standby's PostgreSQL processes and wrk are read from /proc, so
the report says where the time went. Scenarios: "mix" (bench/run.py's mix of reads and writes,
one token) and "reads" (its six reads alone), each against the primary only and with
DATABASE_REPLICA_URL set to the standby.

Environment: SCALE_SIZE (10000), SCALE_WORKERS (1,2,4), SCALE_DURATION (10 s), BENCH_CLIENTS (8).
Writes bench/results/scaling-<size>.json and prints a Markdown table.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import run  # noqa: E402
from run import Config, Server, build_requests, cleanup, log, pick_parameters, psi  # noqa: E402

from bazaar.db.tests.pgpair import pair  # noqa: E402


def tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) of `root_pid` and every process below it."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    for pid, seconds in times.items():
        node = pid
        while node and node != root_pid:
            node = parents.get(node, 0)
        if node == root_pid:
            total += seconds
    return total


def postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split()[0])


def main() -> int:
    size = int(os.environ.get("SCALE_SIZE", "10000"))
    workers = [int(w) for w in os.environ.get("SCALE_WORKERS", "1,2,4").split(",")]
    duration = float(os.environ.get("SCALE_DURATION", "10"))
    if not shutil.which("wrk"):
        log("wrk is needed (apt-get install wrk)")
        return 2
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    with pair(fast=False, max_connections=100) as pg:
        cfg = Config.from_env()
        cfg.pg = f"postgres://postgres@127.0.0.1:{pg.primary.port}"
        cfg.duration, cfg.keep_db = duration, False
        env = run.server_env(cfg, size)
        info = run.prepare_database(cfg, size, env)
        token = info["token"]
        params = pick_parameters(cfg.dsn(size))
        reqs = build_requests(params)
        reqs["reads"] = [reqs[name][0] for name in run.MIX_READS]
        pg.wait_caught_up(timeout=600)
        replica_url = pg.standby.url(f"bazaar_bench_{size}")
        pids = {
            "primary": postmaster_pid(pg.primary.data),
            "standby": postmaster_pid(pg.standby.data),
        }
        last_write = 0.0
        for n in workers:
            for replica in (False, True):
                cfg.workers = n
                server_env = {**env, "DATABASE_REPLICA_URL": replica_url if replica else ""}
                server = Server(cfg, server_env, size)
                try:
                    server.wait_ready()
                    for scenario in ("reads", "mix"):
                        cleanup(cfg.dsn(size))
                        pg.wait_caught_up(timeout=120)
                        # The previous run's writes must not keep this one's reads on the
                        # primary (read-your-writes lasts READ_YOUR_WRITES_SECONDS, 6 s).
                        time.sleep(max(1.0, last_write + 7 - time.monotonic()))
                        load, pressure = os.getloadavg()[0], psi()
                        before = {k: tree_cpu(p) for k, p in pids.items()}
                        before["web"] = tree_cpu(server.proc.pid)
                        started = time.monotonic()
                        result = run.throughput_wrk(
                            server.port, token, reqs[scenario], cfg, f"scale-{n}-{scenario}"
                        )
                        elapsed = time.monotonic() - started
                        after = {k: tree_cpu(p) for k, p in pids.items()}
                        after["web"] = tree_cpu(server.proc.pid)
                        cpu = {k: (after[k] - before[k]) / elapsed for k in after}
                        row = {
                            "workers": n,
                            "replica": replica,
                            "scenario": scenario,
                            "rps": result["rps"],
                            "p50_ms": result["p50_us"] / 1000,
                            "p99_ms": result["p99_us"] / 1000,
                            "errors": result["errors"],
                            "cpu_cores": cpu,
                            "load_before": load,
                            "psi_before": pressure,
                        }
                        rows.append(row)
                        if scenario == "mix":
                            last_write = time.monotonic()
                        log(
                            f"{n} workers replica={replica} {scenario}: {row['rps']:.0f} req/s "
                            f"p50 {row['p50_ms']:.0f} ms p99 {row['p99_ms']:.0f} ms "
                            f"errors {row['errors']} cpu "
                            + " ".join(f"{k}={v:.2f}" for k, v in cpu.items())
                            + f" load {load:.1f}"
                        )
                finally:
                    server.stop()
        cleanup(cfg.dsn(size))
    out = run.RESULTS / f"scaling-{size}.json"
    out.write_text(json.dumps(rows, indent=1))
    print(
        "| workers | replica | scenario | req/s | p50 ms | p99 ms | errors | CPU cores: web / "
        "primary / standby | load (1 min) before |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        c = r["cpu_cores"]
        print(
            f"| {r['workers']} | {'yes' if r['replica'] else 'no'} | {r['scenario']} | "
            f"{r['rps']:.0f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']} | "
            f"{c['web']:.2f} / {c['primary']:.2f} / {c['standby']:.2f} | {r['load_before']:.1f} |"
        )
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
