"""Run a test body in a child Python process under a memory and CPU-time limit (``resource``).

A regression such as an unbounded loop that grows a list then fails fast with ``MemoryError`` (or is
killed by the CPU limit) instead of exhausting the machine; the limits never touch the pytest process.
The child sets the address-space limit after its imports, at its current size plus ``extra_mb``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT, subprocess_env

_PRELUDE = """
import resource, sys
sys.path.insert(0, {root!r})
{imports}
def _vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0
_limit = _vm_bytes() + {extra_mb} * 2**20
resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))
_used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime) + 1
resource.setrlimit(resource.RLIMIT_CPU, (_used + {cpu_seconds}, _used + {cpu_seconds} + 5))
"""


def run_limited(
    imports: str, body: str, *, extra_mb: int = 512, cpu_seconds: int = 120
) -> subprocess.CompletedProcess:
    """Run ``imports`` (unlimited) then ``body`` (limited) in a fresh interpreter; the caller asserts
    on the result (``returncode`` 0 when the body finished)."""
    code = _PRELUDE.format(
        root=str(ROOT),
        imports=textwrap.dedent(imports),
        extra_mb=extra_mb,
        cpu_seconds=cpu_seconds,
    ) + textwrap.dedent(body)
    env = subprocess_env(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    # the wall-clock bound only guards a deadlock; the CPU limit above is the real one (10x slack)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=20 * cpu_seconds,
        check=False,
    )
