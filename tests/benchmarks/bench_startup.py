"""Start-up benchmark (run by hand, not collected by pytest):

    python tests/benchmarks/bench_startup.py [--runs 21]

Measures, in the same run and interleaved, the median wall time of

* ``dlstudy --help`` against a minimal typer app's ``--help`` (``_baseline_app.py``): goal <= 1.3;
* ``dlstudy rf resnet50`` and ``dlstudy params resnet50`` against the same baseline: goal <= 1.5.

A second column compares with the minimal app running its command (``_baseline_app.py hello``):
typer (0.29) imports pydantic to coerce the parameters of any command it runs, about 40 ms that
``--help`` never pays, so that column isolates what dlstudy itself adds.

Every command runs as ``python -m ...`` / ``python script`` under the same interpreter, so the
ratio compares what each program imports and does, not how it was launched. Their bytecode is
cached in a private directory (``PYTHONPYCACHEPREFIX``) even where ``PYTHONDONTWRITEBYTECODE`` is
set: otherwise every run would compile dlstudy from source but not typer (whose ``.pyc`` files
came with its installation), 20-40 ms here that no installed copy pays.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
COMMANDS: dict[str, list[str]] = {
    "baseline --help": [PY, str(HERE / "_baseline_app.py"), "--help"],
    "baseline hello": [PY, str(HERE / "_baseline_app.py")],
    "dlstudy --help": [PY, "-m", "dlstudy", "--help"],
    "dlstudy rf resnet50": [PY, "-m", "dlstudy", "rf", "resnet50"],
    "dlstudy params resnet50": [PY, "-m", "dlstudy", "params", "resnet50"],
}
GOALS = {"dlstudy --help": 1.3, "dlstudy rf resnet50": 1.5, "dlstudy params resnet50": 1.5}
PYCACHE = tempfile.mkdtemp(prefix="dlstudy-bench-pyc-")
atexit.register(shutil.rmtree, PYCACHE, True)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: no colour, bytecode cached in ``PYCACHE``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": PYCACHE, **extra}


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        env=child_env(),
    )
    return time.perf_counter() - start


def medians(runs: int) -> dict[str, float]:
    """Median wall time of every command over ``runs`` interleaved runs, after one warm-up."""
    for cmd in COMMANDS.values():  # warm the file cache and .pyc files
        _time(cmd)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():  # interleaved, so drift affects all alike
            times[name].append(_time(cmd))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (default 21)")
    args = parser.parse_args()
    med = medians(args.runs)
    base = med["baseline --help"]
    run_base = med["baseline hello"]
    print(f"{'command':<26}{'median':>10}{'ratio':>8}{'goal':>8}{'vs hello':>10}")
    failed = False
    for name, median in med.items():
        ratio = median / base
        goal = GOALS.get(name)
        ok = goal is None or ratio <= goal
        failed |= not ok
        goal_text = f"<={goal}" if goal else ""
        versus = (
            f"{median / run_base:.2f}"
            if name in ("dlstudy rf resnet50", "dlstudy params resnet50")
            else ""
        )
        print(
            f"{name:<26}{median * 1000:>8.1f}ms{ratio:>8.2f}{goal_text:>8}{versus:>10}"
            f"{'' if ok else '  MISSED'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
