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


def _bank_sections(bank_dirs: Sequence[Path] | None) -> dict[str, str]:
    """template id → section for the bank."""
    from dlstudy.ui.sessions import load_bank

    return {tid: t.section for tid, t in load_bank(bank_dirs).templates.items()}


def collect_stats(store: Store, bank_sections: dict[str, str]) -> stats_mod.Stats:
    result = stats_mod.compute(store.attempts(), store.cards(), bank_sections=bank_sections)
    result.store = str(store.path)
    return result


def export(store: Store, target: Path) -> int:
    """Write every attempt (and, for JSON, the FSRS cards) to ``target`` (.csv or .json), atomically.
    Returns the number of attempts written."""
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


def run_stats(*, as_json: bool, export_to: Path | None, bank_dirs: Sequence[Path] | None) -> None:
    bank_sections = _bank_sections(bank_dirs)
    with Store() as store:
        result = collect_stats(store, bank_sections)
        if export_to is not None:
            count = export(store, export_to)
            render.notice(err_console(), f"Exported {count} attempts to {export_to}.", "dim")
    if as_json:
        print_json(result.to_json())
    else:
        render.stats_view(console(), result)


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


def topics_rows(bank_sections: dict[str, str], store: Store) -> tuple[list[dict[str, Any]], bool]:
    claims = claims_by_section()
    result = stats_mod.compute(
        store.attempts(), store.cards(), bank_sections=bank_sections, all_sections=True
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
    return rows, claims is not None


def run_topics(*, as_json: bool, bank_dirs: Sequence[Path] | None) -> None:
    bank_sections = _bank_sections(bank_dirs)
    with Store() as store:
        rows, claims_known = topics_rows(bank_sections, store)
    if as_json:
        print_json({"sections": rows})
    else:
        render.topics_view(console(), rows, claims_known)
