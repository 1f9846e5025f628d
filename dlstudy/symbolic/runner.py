"""Run claims in worker processes with a per-claim CPU-time limit.

Each claim runs in its own forked child (sympy and the catalogue are already imported by the parent, so a
fork costs milliseconds). A claim that spends more than its CPU budget is stopped and reported as
``timeout``: a runaway sympy call can never hang the command, and a loaded machine reaches the same
statuses (the budget counts CPU seconds, not wall-clock seconds). At most ``jobs`` children run at once.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import pkgutil
import time
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.symbolic import core, sandbox
from dlstudy.symbolic.core import CATALOGUE, ERROR, TIMEOUT, Check, Claim

_CHAPTERS = (
    "foundations",
    "cnn",
    "cnn_layers",
    "sequence",
    "autoencoders",
    "gan",
    "autoregressive",
    "rl",
    "policy",
)


def load_catalogue() -> dict[str, Claim]:
    """Import every ``claims_*`` module (in chapter order) and return the catalogue."""
    import dlstudy.symbolic as package

    names = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("claims_")]
    order = {f"claims_{c}": i for i, c in enumerate(_CHAPTERS)}
    for name in sorted(names, key=lambda n: (order.get(n, len(order)), n)):
        importlib.import_module(f"dlstudy.symbolic.{name}")
    return CATALOGUE


def select(ids: Sequence[str] = (), section: str | None = None) -> list[Claim]:
    """Claims by id (``relu`` also selects ``relu.notes``) or by section; all when neither is given."""
    from dlstudy.sections import SECTION_IDS, check_section

    cat = load_catalogue()
    chosen: list[Claim] = []
    for cid in ids:
        if cid not in cat:
            raise DlstudyError(
                f"unknown claim '{cid}'{did_you_mean(cid, cat)}; see 'dlstudy verify'"
            )
        for key in (cid, f"{cid}.notes") if not cid.endswith(".notes") else (cid,):
            if key in cat and cat[key] not in chosen:
                chosen.append(cat[key])
    if section is not None:
        check_section(section)
        pool = chosen if ids else list(cat.values())
        chosen = [c for c in pool if c.section == section]
    elif not ids:
        chosen = list(cat.values())
    rank = {s: i for i, s in enumerate(SECTION_IDS)}
    ids_order = list(cat)
    return sorted(chosen, key=lambda c: (rank[c.section], ids_order.index(c.id)))


def _render(value: Any, style: str) -> str:
    import sympy as sp

    if style == "latex":
        try:
            return sp.latex(value)
        except Exception:  # latex printer gaps must not lose the run
            return sp.sstr(value)
    if style == "pretty":
        return sp.pretty(value, use_unicode=True, wrap_line=False)
    return sp.sstr(value)


def _result(
    c: Claim, status: str, seconds: float, assertions: list[dict[str, str]], error: str = ""
) -> dict[str, Any]:
    """The plain-data description of one claim's run (also for a run that timed out or died)."""
    out: dict[str, Any] = {
        "id": c.id,
        "section": c.section,
        "statement": c.statement,
        "corrected": c.corrected,
        "verdict": c.verdict,
        "kind": c.kind,
        "scope": c.scope,
        "expected": c.expected,
        "status": status,
        "seconds": round(seconds, 3),
        "assertions": assertions,
    }
    for key in ("case", "quote", "reading", "pair"):
        if getattr(c, key):
            out[key] = getattr(c, key)
    if error:
        out["error"] = error
    return out


def run_one(
    c: Claim, *, control: bool = False, premise: int | None = None, render: str | None = None
) -> dict[str, Any]:
    """Run one claim in this process and describe the outcome as plain data.

    ``control``: check the perturbed conclusions; ``premise``: break that premise (by index).
    ``seconds`` are CPU seconds. An ``unclear`` entry runs nothing."""
    if c.fn is None:
        return _result(c, core.UNCLEAR, 0.0, [])
    chk = Check(control=control, broken=premise)
    t0 = time.process_time()
    error = ""
    try:
        c.fn(chk)
    except Exception as exc:  # a bug in a claim: reported as status "error", not a crash
        error = f"{type(exc).__name__}: {exc}"
        chk.assertions.append(
            core.Assertion("claim function raised", ERROR, traceback.format_exc(limit=3))
        )
    seconds = time.process_time() - t0
    want_refuted = (c.expected == core.REFUTED) != control
    if premise is not None:
        want_refuted = False
    status = core.status_of(chk.assertions, want_refuted)
    if premise is not None and premise >= len(chk.premises):
        status, error = ERROR, f"the claim has no premise {premise + 1}"
    assertions = [
        {"label": a.label, "outcome": a.outcome, "detail": a.detail} for a in chk.assertions
    ]
    out = _result(c, status, seconds, assertions, error)
    out["premises"] = list(chk.premises)
    if render:
        out["steps"] = [{"label": lab, "expr": _render(e, render)} for lab, e in chk.steps]
    return out


def run_controls(c: Claim, res: dict[str, Any]) -> None:
    """Add the controls of a claim to its result ``res``: ``control`` (the perturbed conclusion) and
    ``premise_controls`` (one run per premise, that premise broken)."""
    if c.fn is None:
        return
    res["control"] = run_one(c, control=True)
    res["premise_controls"] = []
    for i, label in enumerate(res.get("premises", [])):
        r = run_one(c, premise=i)
        res["premise_controls"].append(
            {
                "premise": label,
                "status": r["status"],
                "seconds": r["seconds"],
                "assertions": r["assertions"],
            }
        )


def controls_ok(r: dict[str, Any]) -> bool:
    """Every control of ``r`` flipped: the perturbed conclusion reaches the opposite status, and every
    broken premise makes the proof fail (refuted). Unclear entries have no controls."""
    if r["expected"] == core.UNCLEAR:
        return r["status"] == core.UNCLEAR
    ctl = r.get("control")
    want = core.PROVEN if r["expected"] == core.REFUTED else core.REFUTED
    if not ctl or ctl["status"] != want:
        return False
    return all(p["status"] == core.REFUTED for p in r.get("premise_controls", []))


def _child(c: Claim, conn: Connection, controls: bool, render: str | None, limit: float) -> None:
    """A worker: the claim (and its controls) under one CPU-time budget."""
    sandbox.limit_this_process(limit)
    t0 = sandbox.cpu_used()
    try:
        try:
            res = run_one(c, render=render)
            if controls:
                run_controls(c, res)
        except sandbox.CPULimit:
            spent = sandbox.cpu_used() - t0
            res = _result(c, TIMEOUT, spent, [], f"exceeded the CPU limit of {limit:g} s")
        sandbox.disarm()
        res["cpu_seconds"] = round(sandbox.cpu_used() - t0, 3)
        conn.send(res)
    except sandbox.CPULimit:  # the timer fired while sending: the parent sees the worker die
        pass
    finally:
        conn.close()


def run_claims(
    claims: Sequence[Claim],
    *,
    timeout: float = 10.0,
    jobs: int = 2,
    controls: bool = False,
    render: str | None = None,
) -> list[dict[str, Any]]:
    """Run claims, ``jobs`` at a time, each in a forked child limited to ``timeout`` CPU seconds.

    The limit counts CPU time (:mod:`dlstudy.symbolic.sandbox`), so a loaded machine gives the same
    statuses, only later. With ``controls=True`` each result also holds ``"control"`` (the negative
    control: perturbed conclusions) and ``"premise_controls"`` (one run per broken premise), in the same
    child under the same limit (see :func:`controls_ok`). Results come back in the order of
    ``claims``.
    """
    timeout = sandbox.check_seconds(timeout)
    if jobs < 1:
        raise DlstudyError(f"--jobs must be at least 1, got {jobs}")
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # no fork on this platform: run inline, without a limit
        out = []
        for c in claims:
            res = run_one(c, render=render)
            if controls:
                run_controls(c, res)
            out.append(res)
        return out
    from dlstudy.symbolic.equivalence import warm_up

    warm_up()  # the workers inherit sympy's lazily imported modules and caches
    pending = list(claims)
    running: dict[str, tuple[Any, Connection, float, Claim]] = {}
    results: dict[str, dict[str, Any]] = {}
    wall = sandbox.backstop(timeout)
    while pending or running:
        while pending and len(running) < jobs:
            c = pending.pop(0)
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_child, args=(c, writer, controls, render, timeout), daemon=True
            )
            proc.start()
            writer.close()
            running[c.id] = (proc, reader, time.monotonic(), c)
        deadline = min(t0 for _, _, t0, _ in running.values()) + wall
        ready = wait(
            [r for _, r, _, _ in running.values()], timeout=max(0.0, deadline - time.monotonic())
        )
        now = time.monotonic()
        for cid, (proc, reader, t0, c) in list(running.items()):
            if reader in ready:
                try:
                    results[cid] = reader.recv()
                except (EOFError, OSError):
                    proc.join(1.0)
                    why = sandbox.died(proc.exitcode, timeout)
                    status = TIMEOUT if why.status == sandbox.CPU_LIMIT else ERROR
                    results[cid] = _result(c, status, now - t0, [], why.error)
            elif now - t0 >= wall:
                proc.kill()
                results[cid] = _result(c, ERROR, now - t0, [], sandbox.died(None, timeout).error)
            else:
                continue
            if proc.is_alive():
                proc.kill()
            proc.join()
            reader.close()
            del running[cid]
    return [results[c.id] for c in claims]
