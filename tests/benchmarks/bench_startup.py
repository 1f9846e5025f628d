"""Start-up benchmark (run by hand, not collected by pytest):

    python tests/benchmarks/bench_startup.py [--runs 11] [--only NAME ...]

Every command a student waits for, measured in the same run, interleaved (so drift on a shared
machine affects all alike), as the median wall time over ``--runs`` runs after one warm-up, and
divided by the median of a minimal typer app running a command (``_baseline_app.py hello``):

=====================================  ==========================================  =====
row                                    what is timed                               goal
=====================================  ==========================================  =====
``dlstudy --help``                     the whole process                           1.3x
``rf resnet50``, ``params resnet50``   the whole process                           1.5x
first quiz question                    ``quiz --n 1`` until ``answer>`` shows      1.5x
``check ID:SEED --answer``             the whole process                           1.5x
``stats``, ``topics``                  the whole process (a store with attempts)   1.5x
``plan``                               the whole process (skipped until it exists) 1.5x
review's first question                ``review`` until ``answer>`` shows          1.5x
``verify --claim``                     the whole process                           2.5x
=====================================  ==========================================  =====

Rows without a goal are reported for context: the minimal app's ``--help`` (``dlstudy --help`` is
also compared with it, like for like), ``bank list``, the first question of a default ``quiz``
(10 questions drawn), the first quiz question with an empty bank cache (the first launch after
installing dlstudy or editing a bank file), and two floors (``_floor_app.py``): the minimal app
running a command that only imports numpy and rich (what showing a question cannot avoid), or sympy
(what ``verify --claim`` cannot avoid).

The CPU time (user + system) of each command is divided likewise (``cpu``): on a shared machine it
is the steadier figure, since waiting for a CPU does not count. ``--against CHECKOUT`` also runs
every dlstudy command from another checkout, interleaved in the same run: before/after figures
from one machine at one time.

Typer (0.29) imports pydantic to coerce the parameters of any command it runs, about 40 ms that
``--help`` never pays: the baseline runs a command so that the ratio isolates what dlstudy adds.

Every command runs as ``python -m ...`` / ``python script`` under the same interpreter, so the
ratio compares what each program imports and does, not how it was launched. Their bytecode is
cached in a private directory (``PYTHONPYCACHEPREFIX``) even where ``PYTHONDONTWRITEBYTECODE`` is
set: otherwise every run would compile dlstudy from source but not typer (whose ``.pyc`` files
came with its installation), 20-40 ms here that no installed copy pays. The progress store
(``DLSTUDY_HOME``) and the bank cache (``DLSTUDY_CACHE``) live in private temporary folders.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
BASELINE = "baseline: typer app running a command"
PYCACHE = tempfile.mkdtemp(prefix="dlstudy-bench-pyc-")
atexit.register(shutil.rmtree, PYCACHE, True)


@dataclass
class Command:
    """One measured command. ``args`` follow ``python -m dlstudy`` unless ``script`` is set; ``{i}``
    in an argument is the run number (so the quiz draws a different question each run)."""

    name: str
    args: list[str]
    goal: float | None = None
    until: bytes | None = None  # time until this appears on stdout, then answer "q"
    needs: str | None = None  # a dlstudy command that must exist (else the row is skipped)
    codes: tuple[int, ...] = (0,)
    script: bool = False
    cold_cache: bool = False  # an empty bank cache before every run
    note: str = ""
    env: dict[str, str] = field(default_factory=dict)


def _exam_date() -> str:
    return (dt.date.today() + dt.timedelta(days=30)).isoformat()


COMMANDS: list[Command] = [
    Command(BASELINE, [str(HERE / "_baseline_app.py")], script=True),
    Command("baseline: typer app --help", [str(HERE / "_baseline_app.py"), "--help"], script=True),
    Command("dlstudy --help", ["--help"], 1.3),
    Command("rf resnet50", ["rf", "resnet50"], 1.5),
    Command("params resnet50", ["params", "resnet50"], 1.5),
    Command("quiz: first question", ["quiz", "--n", "1", "--seed", "{i}"], 1.5, until=b"answer>"),
    Command(
        "check ID:SEED --answer",
        ["check", "mle.logistic-nll:0", "--answer", "1.39"],
        1.5,
        codes=(0, 1),
    ),
    Command("stats", ["stats"], 1.5),
    Command("topics", ["topics"], 1.5),
    Command("plan", ["plan", "--exam-date", _exam_date()], 1.5, needs="plan"),
    Command(
        "review: first question", ["review", "--new", "50", "--seed", "{i}"], 1.5, until=b"answer>"
    ),
    Command(
        "verify --claim",
        ["verify", "--claim", "diff(tanh(x), x) == 1 - tanh(x)**2"],
        2.5,
    ),
    Command("bank list", ["bank", "list"]),
    Command(
        "quiz (default --n 10): first question",
        ["quiz", "--seed", "{i}"],
        until=b"answer>",
        note="all 10 questions are drawn before the first is shown",
    ),
    Command(
        "floor: the app importing numpy, rich",
        [str(HERE / "_floor_app.py"), "--imports", "numpy.random,rich.console,rich.text"],
        script=True,
        env={"OPENBLAS_NUM_THREADS": "1"},  # as dlstudy sets it
        note="what showing a question cannot avoid",
    ),
    Command(
        "floor: the app importing sympy",
        [str(HERE / "_floor_app.py"), "--imports", "sympy"],
        script=True,
        note="what verify --claim cannot avoid",
    ),
    Command(
        "quiz: first question, empty cache",
        ["quiz", "--n", "1", "--seed", "{i}"],
        until=b"answer>",
        cold_cache=True,
        note="the first launch after installing or editing a bank file",
    ),
]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: no colour, bytecode cached in ``PYCACHE``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "NO_COLOR": "1", "COLUMNS": "100", "PYTHONPYCACHEPREFIX": PYCACHE, **extra}


class Bench:
    """The private folders of one benchmark run and the timing of one command."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dlstudy-bench-"))
        atexit.register(shutil.rmtree, self.root, True)
        self.home = self.root / "home"
        self.cache = self.root / "cache"
        self._cold = 0

    def env(self, command: Command, checkout: str | None = None) -> dict[str, str]:
        cache = self.cache
        if command.cold_cache:
            self._cold += 1
            cache = self.root / f"cold-{self._cold}"
        extra = {"PYTHONPATH": checkout} if checkout else {}
        return child_env(
            DLSTUDY_HOME=str(self.home), DLSTUDY_CACHE=str(cache), **command.env, **extra
        )

    def argv(self, command: Command, run: int) -> list[str]:
        args = [a.replace("{i}", str(run)) for a in command.args]
        return [PY, *args] if command.script else [PY, "-m", "dlstudy", *args]

    def exists(self, command: Command, checkout: str | None = None) -> bool:
        if command.needs is None:
            return True
        proc = subprocess.run(
            [PY, "-m", "dlstudy", command.needs, "--help"],
            capture_output=True,
            env=self.env(Command("", []), checkout),
            cwd=self.root,
            check=False,
        )
        return proc.returncode == 0

    def prepare(self) -> None:
        """A progress store with some answers in it, as a student's has (for stats and topics)."""
        answers = "".join(f"{k}\n" for k in range(8))
        subprocess.run(
            [PY, "-m", "dlstudy", "quiz", "--n", "8", "--seed", "1"],
            input=answers.encode(),
            capture_output=True,
            env=self.env(Command("", [])),
            cwd=self.root,
            check=True,
        )

    def time(self, command: Command, run: int, checkout: str | None = None) -> tuple[float, float]:
        """Wall time and CPU time (user + system) of one run; a command timed ``until`` a prompt is
        killed as soon as the prompt shows. Every process runs in a folder of its own: ``python -m``
        puts the working folder first on the path, ahead of ``PYTHONPATH``."""
        argv, env = self.argv(command, run), self.env(command, checkout)
        cpu = _children_cpu()
        if command.until is None:
            start = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, env=env, cwd=self.root, check=False)
            elapsed = time.perf_counter() - start
            if proc.returncode not in command.codes:
                raise SystemExit(
                    f"{command.name}: exit {proc.returncode}\n{proc.stderr.decode()[-2000:]}"
                )
            return elapsed, _children_cpu() - cpu
        start = time.perf_counter()
        proc2 = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=self.root,
        )
        assert proc2.stdout is not None
        seen = b""
        while command.until not in seen:
            chunk = os.read(proc2.stdout.fileno(), 65536)
            if not chunk:
                _, err = proc2.communicate(timeout=60)
                raise SystemExit(
                    f"{command.name}: ended before {command.until.decode()!r}:\n"
                    f"{seen.decode()}{err.decode()}"
                )
            seen += chunk
        elapsed = time.perf_counter() - start
        proc2.kill()  # the store is kill-safe; only the time to the prompt counts
        proc2.communicate(timeout=60)
        return elapsed, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Result:
    name: str
    median: float | None  # None: skipped
    ratio: float | None  # of the wall-time medians
    cpu_ratio: float | None  # of the CPU-time medians
    goal: float | None
    note: str = ""
    against: tuple[float, float] | None = None  # the other checkout's ratio and CPU ratio

    @property
    def ok(self) -> bool | None:
        if self.goal is None or self.ratio is None:
            return None
        return self.ratio <= self.goal


def measure(runs: int, only: list[str] | None = None, against: str | None = None) -> list[Result]:
    """Median wall and CPU time of every command over ``runs`` interleaved runs (after one warm-up)
    and their ratios to the baseline's; with ``against`` (another checkout of dlstudy), every
    dlstudy command is also run from there (``PYTHONPATH``), interleaved with the rest."""
    bench = Bench()
    bench.prepare()
    chosen = [c for c in COMMANDS if c.name == BASELINE or not only or c.name in only]
    skipped = {c.name for c in chosen if not bench.exists(c)}
    jobs = [(c, None) for c in chosen if c.name not in skipped]
    if against:
        jobs += [(c, against) for c, _ in list(jobs) if not c.script and bench.exists(c, against)]
    for c, checkout in jobs:  # warm-up: the file cache, .pyc files, the bank cache
        bench.time(c, 0, checkout)
    wall: dict[tuple[str, str | None], list[float]] = {(c.name, k): [] for c, k in jobs}
    cpu: dict[tuple[str, str | None], list[float]] = {(c.name, k): [] for c, k in jobs}
    for run in range(1, runs + 1):
        for c, checkout in jobs:  # interleaved, so drift affects all alike
            w, u = bench.time(c, run, checkout)
            wall[c.name, checkout].append(w)
            cpu[c.name, checkout].append(u)
    med = {key: statistics.median(v) for key, v in wall.items()}
    med_cpu = {key: statistics.median(v) for key, v in cpu.items()}
    base, base_cpu = med[BASELINE, None], med_cpu[BASELINE, None]
    results = []
    for c in chosen:
        if c.name in skipped:
            note = f"skipped: there is no `dlstudy {c.needs}` command yet"
            results.append(Result(c.name, None, None, None, c.goal, note))
            continue
        note = c.note
        if c.name == "dlstudy --help":
            like = med["baseline: typer app --help", None]
            note = f"{med[c.name, None] / like:.2f}x the minimal app's --help"
        other = None
        if (c.name, against) in med and against:
            other = (med[c.name, against] / base, med_cpu[c.name, against] / base_cpu)
        m = med[c.name, None]
        results.append(
            Result(c.name, m, m / base, med_cpu[c.name, None] / base_cpu, c.goal, note, other)
        )
    return results


def print_results(results: list[Result], against: str | None = None) -> bool:
    head = f"{'command':<40}{'median':>9}{'ratio':>8}{'cpu':>7}{'goal':>8}  result"
    if against:
        head += f"{'against':>9}{'cpu':>7}"
    print(head + "  notes")
    for r in results:
        median = "" if r.median is None else f"{r.median * 1e3:.0f} ms"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        cpu = "" if r.cpu_ratio is None else f"{r.cpu_ratio:.2f}x"
        goal = "" if r.goal is None else f"<={r.goal}x"
        result = {None: "", True: "pass", False: "MISSED"}[r.ok]
        line = f"{r.name:<40}{median:>9}{ratio:>8}{cpu:>7}{goal:>8}  {result:<6}"
        if against:
            other = ("", "") if r.against is None else tuple(f"{x:.2f}x" for x in r.against)
            line += f"{other[0]:>9}{other[1]:>7}"
        print(f"{line}  {r.note}")
    if against:
        print(f"\n'against': the same commands run from {against} (PYTHONPATH), in the same run")
    return all(r.ok is not False for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per command (default 11)")
    parser.add_argument(
        "--only", nargs="+", choices=[c.name for c in COMMANDS], help="only these rows"
    )
    parser.add_argument(
        "--against",
        metavar="CHECKOUT",
        help="also run every dlstudy command from another checkout (e.g. a git worktree of "
        "main), interleaved: before/after ratios from one run on one machine",
    )
    args = parser.parse_args()
    results = measure(args.runs, args.only, args.against)
    return 0 if print_results(results, args.against) else 1


if __name__ == "__main__":
    raise SystemExit(main())
