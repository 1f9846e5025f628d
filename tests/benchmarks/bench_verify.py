"""Derivation-catalogue benchmark (run by hand, not collected by pytest):

    python tests/benchmarks/bench_verify.py [--runs 3] [--jobs 2]

Measures the wall time of

* ``dlstudy verify`` end to end (subprocess: interpreter start, sympy import, all claims): goal < 30 s
  on a 2-core machine with 2 workers;
* the catalogue alone through the runner, and the catalogue plus every negative control (what the
  test suite runs once);

and lists the slowest claims. Reports medians over ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def _cli(jobs: int) -> float:
    env = dict(os.environ, NO_COLOR="1")
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "dlstudy", "verify", "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"dlstudy verify failed ({p.returncode}):\n{p.stderr}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    from dlstudy.symbolic.runner import run_claims, select

    claims = select()
    cli, alone, both = [], [], []
    last: list[dict] = []
    for _ in range(args.runs):
        cli.append(_cli(args.jobs))
        t0 = time.perf_counter()
        last = run_claims(claims, jobs=args.jobs)
        alone.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run_claims(claims, jobs=args.jobs, controls=True)
        both.append(time.perf_counter() - t0)
    print(
        f"{len(claims)} entries, {args.jobs} workers, {os.cpu_count()} CPUs, median of {args.runs}"
    )
    print(f"  dlstudy verify (end to end)     {statistics.median(cli):6.2f} s   goal < 30 s")
    print(f"  runner, claims only             {statistics.median(alone):6.2f} s")
    print(f"  runner, claims + controls       {statistics.median(both):6.2f} s")
    print(f"  sum of per-claim times          {sum(r['seconds'] for r in last):6.2f} s")
    print(
        "  slowest:",
        ", ".join(
            f"{r['id']} {r['seconds']:.2f}s" for r in sorted(last, key=lambda r: -r["seconds"])[:5]
        ),
    )


if __name__ == "__main__":
    main()
