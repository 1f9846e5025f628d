"""Run symbolic work in a forked child under a CPU-time limit (and a memory limit).

Why CPU time: a wall-clock limit gives a different verdict on a loaded machine (the same sympy call gets
less of the processor); CPU seconds are what the work costs, so the same input gets the same verdict.

The child limits itself right after the fork:

* ``signal.setitimer(ITIMER_PROF, cpu_seconds)``: after that much CPU time (user + system) a ``SIGPROF``
  handler raises :class:`CPULimit` (a ``BaseException``, so sympy's ``except Exception`` cannot swallow
  it) and the child reports ``cpu-limit``;
* ``RLIMIT_CPU`` one second above the budget (rounded up): the kernel stops a child stuck inside C code
  (a huge integer product) that never returns to the interpreter to see the signal;
* ``RLIMIT_AS``: its current address space plus :data:`MEMORY_HEADROOM`, so a blow-up ends in
  ``MemoryError`` in the child, not in the machine's swap; ``RLIMIT_CORE`` 0 (no core files).

The parent waits for the answer with a wall-clock *backstop* of ``10 × cpu_seconds + 30`` s that only
guards against a child that sleeps (it never decides a verdict). sympy is imported by the caller before
the fork, so the child's budget is spent on the work, not on imports.
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dlstudy.errors import DlstudyError

#: The largest per-claim limit ``--timeout`` accepts (CPU seconds).
MAX_SECONDS = 600.0
#: Address space a child may add to what it inherited.
MEMORY_HEADROOM = 2 * 1024**3

OK = "ok"
CPU_LIMIT = "cpu-limit"
FAILED = "error"
DIED = "died"


class CPULimit(BaseException):
    """Raised inside the child when its CPU budget is spent."""


def check_seconds(value: float, option: str = "--timeout") -> float:
    """``value`` if it is a finite number of seconds in (0, MAX_SECONDS]; else the domain error."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DlstudyError(f"{option} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(v) or v <= 0 or v > MAX_SECONDS:
        raise DlstudyError(
            f"{option} must be a number of CPU seconds above 0 and at most {MAX_SECONDS:g}, "
            f"got {v:g}"
        )
    return v


def backstop(cpu_seconds: float) -> float:
    """Wall-clock seconds after which the parent gives up on a child (it should never be reached)."""
    return 10 * cpu_seconds + 30


def _vm_size() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _on_sigprof(signum: int, frame: Any) -> None:
    raise CPULimit


def limit_this_process(cpu_seconds: float) -> None:
    """Apply the CPU and memory limits to the calling (child) process. Call right after the fork."""
    signal.signal(signal.SIGPROF, _on_sigprof)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    used = resource.getrusage(resource.RUSAGE_SELF)
    hard_cpu = math.ceil(used.ru_utime + used.ru_stime + cpu_seconds) + 1
    for lim, value in (
        (resource.RLIMIT_CPU, (hard_cpu, hard_cpu + 1)),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        try:
            resource.setrlimit(lim, value)
        except (ValueError, OSError):  # a lower hard limit already set: keep it
            pass
    vm = _vm_size()
    if vm is not None:
        try:
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            want = vm + MEMORY_HEADROOM
            if hard != resource.RLIM_INFINITY:
                want = min(want, hard)
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
        except (ValueError, OSError):
            pass


def disarm() -> None:
    """Stop the CPU timer (before sending the answer back)."""
    signal.setitimer(signal.ITIMER_PROF, 0)


def cpu_used() -> float:
    """CPU seconds (user + system) this process has used."""
    t = os.times()
    return t.user + t.system


@dataclass
class Outcome:
    """What came back from the child: ``status`` is ``ok`` (``value`` set), ``cpu-limit``, ``error``
    (an exception: ``error`` says which), or ``died`` (killed by a signal or the wall backstop)."""

    status: str
    value: Any = None
    error: str = ""
    cpu_seconds: float = 0.0


def child_main(fn: Callable[[], Any], conn: Any, cpu_seconds: float) -> None:
    """Body of a limited child: run ``fn`` and send ``(status, value, error, cpu)`` on ``conn`` (any
    object with ``send``)."""
    limit_this_process(cpu_seconds)
    start = cpu_used()
    try:
        try:
            msg: tuple[str, Any, str] = (OK, fn(), "")
        except CPULimit:
            msg = (CPU_LIMIT, None, f"CPU limit of {cpu_seconds:g} s reached")
        except DlstudyError as exc:  # bad input found by the child (a parser): the parent re-raises
            msg = (FAILED, ("DlstudyError", exc.message, exc.detail), "")
        except MemoryError:
            msg = (FAILED, None, "out of memory (the child's memory limit)")
        except RecursionError:
            msg = (FAILED, None, "expression too deep to process")
        except Exception as exc:  # sympy raises many kinds on hostile input: report, never crash
            msg = (FAILED, None, f"{type(exc).__name__}: {exc}"[:500])
        disarm()
        conn.send((*msg, cpu_used() - start))
    except CPULimit:  # the timer fired while sending: report the limit
        try:
            conn.send((CPU_LIMIT, None, f"CPU limit of {cpu_seconds:g} s reached", cpu_seconds))
        except Exception:  # the pipe is gone: the parent sees the child die
            pass
    finally:
        conn.close()


def _decode(msg: tuple[str, Any, str, float]) -> Outcome:
    status, value, error, cpu = msg
    if status == FAILED and isinstance(value, tuple) and value and value[0] == "DlstudyError":
        raise DlstudyError(value[1], value[2])
    return Outcome(status, value if status == OK else None, error, cpu)


class _PipeWriter:
    """The child's end: pickles one message into a file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, obj: Any) -> None:
        data = pickle.dumps(obj)
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes, or ``None`` if the wall-clock backstop passes first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_limited(fn: Callable[[], Any], cpu_seconds: float) -> Outcome:
    """Run ``fn()`` in a forked child limited to ``cpu_seconds`` of CPU time.

    A :class:`DlstudyError` raised by ``fn`` in the child is raised again here (bad input stays exit 2).
    Uses ``os.fork`` directly, so it also works inside daemonic workers (a multiprocessing pool).
    Without ``fork`` (not POSIX) ``fn`` runs in this process, without a limit.
    """
    if not hasattr(os, "fork"):
        try:
            return Outcome(OK, fn())
        except DlstudyError:
            raise
        except Exception as exc:
            return Outcome(FAILED, None, f"{type(exc).__name__}: {exc}")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(read_fd)
            child_main(fn, _PipeWriter(write_fd), cpu_seconds)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        data = _read_all(read_fd, time.monotonic() + backstop(cpu_seconds))
    finally:
        os.close(read_fd)
    if data is None:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if data:
        try:
            return _decode(pickle.loads(data))
        except (pickle.UnpicklingError, EOFError, ValueError):
            pass
    if data is None:
        return died(None, cpu_seconds)
    return died(
        -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status), cpu_seconds
    )


def died(exitcode: int | None, cpu_seconds: float) -> Outcome:
    """The outcome of a child that sent nothing (killed by the kernel's CPU limit, or the backstop)."""
    if exitcode is not None and exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome(CPU_LIMIT, None, f"CPU limit of {cpu_seconds:g} s reached")
    if exitcode is None:
        return Outcome(DIED, None, f"no answer within {backstop(cpu_seconds):g} s (wall clock)")
    return Outcome(DIED, None, f"worker process died (exit code {exitcode})")
