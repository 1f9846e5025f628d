"""What the ``stats`` and ``topics`` commands do, as plain functions."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.output import console, print_json, to_jsonable
from dlstudy.sections import SECTIONS
from dlstudy.study import stats as stats_mod
from dlstudy.study.store import ATTEMPT_COLUMNS, Store
from dlstudy.ui import render


def _bank_sections(bank_dirs: Sequence[Path] | None) -> dict[str, str]:
    """template id → section for the bank, or {} when the bank cannot be loaded (stats still work)."""
    from dlstudy.ui.sessions import load_bank

    try:
        bank = load_bank(bank_dirs)
    except DlstudyError:
        if bank_dirs:
            raise
        return {}
    return {tid: t.section for tid, t in bank.templates.items()}


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
            render.notice(console_err(), f"Exported {count} attempts to {export_to}.", "dim")
    if as_json:
        print_json(result.to_json())
    else:
        render.stats_view(console(), result)


def console_err() -> Any:
    from dlstudy.output import err_console

    return err_console()


def claims_by_section() -> dict[str, int] | None:
    """Claims per section from the derivation catalogue's metadata (no sympy run), or None when the
    catalogue is not available."""
    try:
        import dlstudy.symbolic as symbolic
    except ImportError:
        return None
    claims: Any = None
    for name in ("claim_metadata", "all_claims", "catalogue", "catalog", "claims"):
        obj = getattr(symbolic, name, None)
        if obj is None:
            continue
        try:
            claims = obj() if callable(obj) else obj
        except Exception:  # the catalogue is another part: never let it break topics
            return None
        break
    if claims is None:
        return None
    if isinstance(claims, dict):
        claims = list(claims.values())
    counts: dict[str, int] = {}
    for claim in claims:
        section = (
            claim.get("section") if isinstance(claim, dict) else getattr(claim, "section", None)
        )
        if section:
            counts[section] = counts.get(section, 0) + 1
    return counts or None


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
