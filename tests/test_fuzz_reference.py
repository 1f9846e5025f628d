"""Hardening: every registered reference function, called with hostile values, either returns a
JSON-able solution or raises the domain error — never a raw exception, never a hang, never a
numpy RuntimeWarning.

The default run tries a few dozen examples per function; ``pytest -m fuzz`` runs many more.
"""

from __future__ import annotations

import json
import signal
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.output import to_jsonable
from dlstudy.reference.registry import call, load_all

NAMES = sorted(n for n in load_all() if not n.startswith("test-"))

scalars = st.one_of(
    st.integers(-3, 5),
    st.sampled_from([0, -1, 10**6, 10**30, 0.5, -0.0, 1e-300, 1e300, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
words = st.sampled_from(
    ["", "uniform", "A", "B", "mean", "sum", "e", "bits", "abc", "__import__", "s0", "left"]
)
small_lists = st.lists(scalars, min_size=0, max_size=5)
matrices = st.lists(st.lists(st.integers(-3, 3), min_size=1, max_size=4), min_size=1, max_size=4)
values = st.one_of(
    scalars,
    words,
    st.booleans(),
    small_lists,
    matrices,
    st.lists(matrices, min_size=1, max_size=2),
    st.dictionaries(words, st.one_of(scalars, words, small_lists), max_size=3),
)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _check(name: str, kwargs: dict, seconds: int) -> None:
    old = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)  # CPU time: load on the machine does not count
    try:
        with warnings.catch_warnings():
            # no numpy warning reaches stderr: call() turns overflow into the domain error
            warnings.simplefilter("error", RuntimeWarning)
            sol = call(name, kwargs)
            json.dumps(to_jsonable(sol.to_json()))
    except DlstudyError:
        pass
    except _Timeout:
        pytest.fail(f"{name}({kwargs!r}) used more than {seconds} s of CPU time")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def _kwargs_for(name: str):
    ref = load_all()[name]
    return st.fixed_dictionaries(
        {p.cli_name: values for p in ref.params if p.required},
        optional={p.cli_name: values for p in ref.params if not p.required},
    )


@pytest.mark.parametrize("name", NAMES)
def test_hostile_values_get_the_domain_error(name):
    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(_kwargs_for(name))
    def run(kwargs):
        _check(name, kwargs, seconds=5)

    run()


@pytest.mark.fuzz
@pytest.mark.parametrize("name", NAMES)
def test_fuzz_reference(name):
    @settings(
        max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(_kwargs_for(name))
    def run(kwargs):
        _check(name, kwargs, seconds=2)

    run()
