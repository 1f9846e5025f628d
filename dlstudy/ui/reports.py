"""What the ``stats`` and ``topics`` commands do, as plain functions."""

from __future__ import annotations

import ast
import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.output import console, err_console, print_json, to_jsonable
from dlstudy.sections import SECTIONS
from dlstudy.study import stats as stats_mod
from dlstudy.study.store import ATTEMPT_COLUMNS, Store
from dlstudy.ui import render


def _bank(bank_dirs: Sequence[Path] | None) -> Any:
    from dlstudy.ui.sessions import load_bank

    return load_bank(bank_dirs)


def _open(read_only: bool = True) -> Store:
    """The store for a command that reads (``read_only``: a read-only folder is fine)."""
    return Store(read_only=read_only)


def collect_stats(store: Store, bank: Any) -> stats_mod.Stats:
    """The figures of ``dlstudy stats`` (mastery on the exam date when one is set)."""
    from dlstudy.study.mastery import horizon
    from dlstudy.study.plan import stored_exam_date

    bank_sections = {tid: t.section for tid, t in bank.templates.items()}
    result = stats_mod.compute(
        store.attempts(),
        store.cards(),
        bank_sections=bank_sections,
        sessions=store.sessions(),
        at=horizon(stored_exam_date(store)),
    )
    result.store = str(store.path)
    result.damaged = len(store.damaged)
    return result


def export(store: Store, target: Path) -> int:
    """Write every attempt (and, for JSON, the FSRS cards) to ``target`` (.csv or .json), atomically.
    Returns the number of attempts written (damaged rows are skipped and reported)."""
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise DlstudyError(f"--export {target}: the file name must end in .csv or .json")
    rows = store.attempts()
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise DlstudyError(f"--export {target}: the folder {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=parent)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            if suffix == ".csv":
                writer = csv.DictWriter(fh, fieldnames=list(ATTEMPT_COLUMNS))
                writer.writeheader()
                writer.writerows(rows)
            else:
                cards = [{**r, "card": json.loads(r["card"])} for r in store.card_rows()]
                json.dump(
                    to_jsonable({"schema": "dlstudy-progress-1", "attempts": rows, "cards": cards}),
                    fh,
                    ensure_ascii=False,
                    indent=1,
                )
                fh.write("\n")
        os.replace(tmp, target)
    except OSError as exc:
        raise DlstudyError(f"--export {target}: cannot write ({exc.strerror or exc})") from None
    return len(rows)


def run_stats(
    *,
    as_json: bool,
    export_to: Path | None,
    bank_dirs: Sequence[Path] | None,
    check: bool = False,
    repair: bool = False,
) -> int:
    """``dlstudy stats``; returns the exit code (``--check``: 1 when damaged rows remain)."""
    if repair and not check:
        raise DlstudyError("--repair goes with --check: dlstudy stats --check --repair")
    if check:
        return run_check(as_json=as_json, repair=repair)
    bank = _bank(bank_dirs)
    with _open() as store:
        result = collect_stats(store, bank)
        if export_to is not None:
            count = export(store, export_to)
            render.notice(err_console(), f"Exported {count} attempts to {export_to}.", "dim")
    if as_json:
        print_json(result.to_json())
    else:
        from dlstudy.ui.progress_views import stats_view

        titles = {tid: t.title for tid, t in bank.templates.items()}
        stats_view(console(), result, titles)
    return 0


def run_check(*, as_json: bool, repair: bool) -> int:
    """``dlstudy stats --check [--repair]``: list the damaged rows, and set them aside."""
    with _open(read_only=not repair) as store:
        found = store.check()
        moved = store.repair() if repair and found else []
        path = store.path
    if as_json:
        print_json(
            {
                "store": str(path),
                "damaged": [{"table": d.table, "key": d.key, "reason": d.reason} for d in found],
                "repaired": bool(moved),
            }
        )
    else:
        c = console()
        if not found:
            c.print(render.Text(f"The progress store {path} has no damaged rows."))
        else:
            c.print(render.Text(f"{len(found)} damaged rows in {path}:", style="bold"))
            for d in found:
                c.print(render.Text(f"  {d}"))
            if moved:
                c.print(
                    render.Text(
                        f"Moved {len(moved)} rows to the quarantine table (kept verbatim, with the "
                        "reason), after a backup copy of the file; damaged FSRS cards were rebuilt "
                        "from their review log."
                    )
                )
            else:
                c.print(
                    render.Text(
                        "They are skipped by every command. dlstudy stats --check --repair moves "
                        "them to the quarantine table (after a backup copy of the file).",
                        style="dim",
                    )
                )
    return 0 if (not found or moved) else 1


def claims_by_section() -> dict[str, int] | None:
    """Claims per section in the derivation catalogue, or None when there is no catalogue.

    Read from the catalogue's metadata without importing it (its modules import sympy): the
    ``@claim(id, section, ...)`` decorators of ``dlstudy/symbolic/claims_*.py`` are found with
    :mod:`ast`. A notes-as-written twin (``@notes_version``) is the same claim and not counted twice.
    Parsing the modules takes longer than the rest of ``topics``: the counts are cached until
    dlstudy's code changes.
    """
    from dlstudy import cache

    return cache.remember("claims-by-section", _scan_claims)


def _scan_claims() -> dict[str, int] | None:
    import importlib.util

    spec = importlib.util.find_spec("dlstudy.symbolic")
    if spec is None or not spec.submodule_search_locations:
        return None
    counts: dict[str, int] = {}
    found = False
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("claims_*.py")):
            found = True
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                section = _claim_section(node)
                if section:
                    counts[section] = counts.get(section, 0) + 1
    return counts if found else None


def _claim_section(node: ast.AST) -> str | None:
    """The section of a ``claim("id", "section", ...)`` call, else None."""

    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name != "claim":
        return None
    values = list(node.args[:2])
    for kw in node.keywords:
        if kw.arg == "section":
            values = [values[0] if values else None, kw.value]
    if len(values) < 2 or not isinstance(values[1], ast.Constant):
        return None
    return values[1].value if isinstance(values[1].value, str) else None


def topics_rows(bank: Any, store: Store) -> tuple[list[dict[str, Any]], bool, Any]:
    """One row per section of the notes, the catalogue's claim counts known, and the horizon."""
    from dlstudy.study.mastery import horizon
    from dlstudy.study.plan import stored_exam_date

    claims = claims_by_section()
    bank_sections = {tid: t.section for tid, t in bank.templates.items()}
    at = horizon(stored_exam_date(store))
    result = stats_mod.compute(
        store.attempts(), store.cards(), bank_sections=bank_sections, all_sections=True, at=at
    )
    by_section = {s.section: s for s in result.sections}
    rows = []
    for section, title, chapter in SECTIONS:
        s = by_section.get(section)
        rows.append(
            {
                "section": section,
                "title": title,
                "chapter": chapter,
                "claims": None if claims is None else claims.get(section, 0),
                "templates": (s.templates if s else None) if bank_sections else None,
                "attempts": s.attempts if s else 0,
                "accuracy": s.accuracy if s else None,
                "mastery": s.mastery if s else None,
            }
        )
    return rows, claims is not None, at


def run_topics(*, as_json: bool, bank_dirs: Sequence[Path] | None) -> None:
    bank = _bank(bank_dirs)
    with _open() as store:
        rows, claims_known, at = topics_rows(bank, store)
    if as_json:
        print_json({"sections": rows, "mastery_date": _day(at)})
    else:
        from dlstudy.ui.progress_views import topics_view

        topics_view(console(), rows, claims_known, at)


def _day(at: Any) -> str:
    return at.astimezone().date().isoformat()


def run_plan(
    *,
    exam_date: str | None,
    per_day: int | None,
    clear: bool,
    as_json: bool,
    bank_dirs: Sequence[Path] | None,
) -> None:
    """``dlstudy plan``: set (or forget) the exam date and show the plan to it."""
    from dlstudy.study import plan as plan_mod
    from dlstudy.study.schedule import now_utc
    from dlstudy.ui.progress_views import plan_view

    now = now_utc()
    today = now.astimezone().date()
    day = plan_mod.parse_exam_date(exam_date, today) if exam_date is not None else None
    if per_day is not None:
        plan_mod.check_per_day(per_day)
    if clear and (day is not None or per_day is not None):
        raise DlstudyError("--clear forgets the exam date: give it alone")
    bank = _bank(bank_dirs)
    changing = clear or day is not None or per_day is not None
    with _open(read_only=not changing) as store:
        if clear:
            store.set_setting(plan_mod.EXAM_DATE_KEY, None)
            store.set_setting(plan_mod.PER_DAY_KEY, None)
        if day is not None:
            store.set_setting(plan_mod.EXAM_DATE_KEY, day.isoformat())
        if per_day is not None:
            store.set_setting(plan_mod.PER_DAY_KEY, str(per_day))
        stored = plan_mod.stored_exam_date(store)
        plan = plan_mod.plan_from_store(bank, store, now)
    if as_json:
        print_json(plan.to_json() if plan else {"exam_date": None, "days": []})
        return
    c = console()
    if plan is None:
        if clear:
            c.print(render.Text("The exam date is forgotten."))
        elif stored is not None:
            c.print(
                render.Text(
                    f"The exam date {stored.isoformat()} has passed: set the next one with "
                    "dlstudy plan --exam-date YYYY-MM-DD."
                )
            )
        else:
            c.print(
                render.Text(
                    "No exam date set: dlstudy plan --exam-date YYYY-MM-DD spreads every template "
                    "not studied yet over the days before it."
                )
            )
        return
    plan_view(c, plan, {tid: t.title for tid, t in bank.templates.items()})
