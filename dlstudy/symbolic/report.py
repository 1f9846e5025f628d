"""What ``dlstudy verify`` prints: the table by section, the errata, the steps of one claim, the verdict
on a student's identity, and the JSON object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlstudy.output import console, err_console, print_json

_STYLE = {
    "proven": "green",
    "refuted": "red",
    "evidence": "yellow",
    "unclear": "cyan",
    "undetermined": "magenta",
    "timeout": "magenta",
    "error": "bold red",
}


def matches(r: dict[str, Any]) -> bool:
    return r["status"] == r["expected"]


def _status(r: dict[str, Any]) -> str:
    style = _STYLE.get(r["status"], "")
    mark = "" if matches(r) else " ✗"
    return f"[{style}]{r['status']}[/{style}]{mark}"


def _what(r: dict[str, Any]) -> str:
    if r["id"].endswith(".notes"):
        return "the notes' line, as written" if r["expected"] != "unclear" else "the notes' line"
    return "corrected statement" if r.get("pair") else "statement"


def show_table(results: Sequence[dict[str, Any]]) -> None:
    """One table per section: id, what the entry is, its scope, status vs expected, CPU seconds.
    (The special case of an ``instance`` is printed by ``--show`` and given in ``--json``.)"""
    from rich.markup import escape
    from rich.table import Table

    from dlstudy.sections import TITLES

    out = console()
    sections: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        sections.setdefault(r["section"], []).append(r)
    for sec, rows in sections.items():
        table = Table(title=f"{TITLES[sec]} [dim]({sec})[/dim]", title_justify="left", expand=False)
        table.add_column("claim", no_wrap=True)
        table.add_column("checks")
        table.add_column("scope", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("expected", no_wrap=True)
        table.add_column("s", justify="right", no_wrap=True)
        for r in rows:
            table.add_row(
                escape(r["id"]),
                f"{_what(r)}: {escape(r['kind'])}",
                r["scope"],
                _status(r),
                r["expected"],
                f"{r['seconds']:.2f}",
            )
        out.print(table)


def show_errata(results: Sequence[dict[str, Any]]) -> None:
    """Each line of the notes that is wrong as written (quoted) beside its correction, and the
    garbled lines with the reading used."""
    from rich.markup import escape
    from rich.table import Table

    by_id = {r["id"]: r for r in results}
    wrong = [r for r in results if r["id"].endswith(".notes")]
    if not wrong:
        return
    table = Table(
        title="Errata: the notes' lines as written (refuted, or unclear with the reading used) and "
        "the correction (proven)",
        title_justify="left",
        show_lines=True,
    )
    table.add_column("claim", no_wrap=True)
    table.add_column("the notes write")
    table.add_column("correct statement / reading")
    table.add_column("checked", no_wrap=True)
    for r in wrong:
        base = by_id.get(r.get("pair", ""))
        checked = f"notes {_status(r)}" + (f"\nfix {_status(base)}" if base else "")
        fix = r.get("reading") or r["corrected"] or (base or {}).get("corrected", "")
        table.add_row(
            escape(r.get("pair", r["id"])),
            escape(r.get("quote", r["statement"])),
            escape(fix),
            checked,
        )
    console().print(table)


def show_steps(results: Sequence[dict[str, Any]]) -> None:
    """The derivation of each claim: steps (sympy expressions) and the assertions with outcomes."""
    from rich.markup import escape

    out = console()
    for r in results:
        out.rule(
            f"{escape(r['id'])}  [{_STYLE.get(r['status'], '')}]{r['status']}[/] "
            f"(expected {r['expected']})"
        )
        out.print(f"[bold]notes:[/bold] {escape(r['statement'])}")
        if r.get("quote"):
            out.print(f"[bold]the notes' line:[/bold] {escape(r['quote'])}")
        if r["corrected"]:
            out.print(f"[bold]correct:[/bold] {escape(r['corrected'])}")
        if r.get("reading"):
            out.print(f"[bold]read as:[/bold] {escape(r['reading'])}")
        out.print(f"[bold]check:[/bold] {escape(r['kind'])}")
        scope = r["scope"] + (f": {r['case']}" if r.get("case") else "")
        out.print(f"[bold]scope:[/bold] {escape(scope)}")
        for k, label in enumerate(r.get("premises", []), 1):
            out.print(f"[bold]premise {k}:[/bold] {escape(label)}")
        if r["id"].endswith(".notes") and r["expected"] == "refuted":
            out.print(
                "[dim]This entry checks the notes' line as written; it should be refuted.[/dim]"
            )
        elif r["expected"] == "unclear":
            out.print(
                "[dim]The line is garbled: it is read as stated above, and nothing is refuted.[/dim]"
            )
        for s in r.get("steps", []):
            out.print(f"\n[cyan]{escape(s['label'])}[/cyan]")
            out.print(escape(s["expr"]), soft_wrap=True)
        out.print()
        for a in r["assertions"]:
            style = _STYLE.get(a["outcome"], "")
            detail = f" — {escape(a['detail'])}" if a["detail"] else ""
            out.print(f"  [{style}]{a['outcome']}[/{style}]  {escape(a['label'])}{detail}")
        for p in r.get("premise_controls", []):
            style = _STYLE.get(p["status"], "")
            out.print(
                f"  [{style}]{p['status']}[/{style}]  with the premise broken: {escape(p['premise'])}"
            )
        if r.get("error"):
            out.print(f"  [bold red]{escape(r['error'])}[/bold red]")
        out.print()


def scope_counts(results: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Entries by what their check shows: proven ones by scope, then unclear and refuted lines."""
    counts = {"general": 0, "instance": 0, "evidence": 0, "unclear": 0, "refuted": 0}
    for r in results:
        if r["status"] in ("proven", "evidence"):
            counts[r["scope"] if r["status"] == "proven" else "evidence"] += 1
        elif r["status"] in ("unclear", "refuted"):
            counts[r["status"]] += 1
    return counts


def summarize(results: Sequence[dict[str, Any]], wall: float) -> None:
    bad = [r for r in results if not matches(r)]
    counts = ", ".join(f"{v} {k}" for k, v in scope_counts(results).items())
    msg = f"{len(results) - len(bad)}/{len(results)} entries as expected ({counts}) in {wall:.1f} s"
    if bad:
        msg += "; differing: " + ", ".join(f"{r['id']} ({r['status']})" for r in bad)
    console().print(msg, markup=False)  # a summary is output, not a message: stdout


def json_claims(results: Sequence[dict[str, Any]], wall: float) -> None:
    print_json(
        {
            "claims": list(results),
            "all_as_expected": all(matches(r) for r in results),
            "counts": scope_counts(results),
            "seconds": round(wall, 3),
        }
    )


def show_identity(result: dict[str, Any]) -> None:
    """The verdict on a student's identity with the simplification chain or the counterexample."""
    from rich.markup import escape

    out = console()
    status = result["status"]
    out.print(f"[bold]{escape(result['claim'])}[/bold]")
    if result.get("assumptions"):
        given = "; ".join(f"{k} {' '.join(v)}" for k, v in result["assumptions"].items())
        out.print(f"  assuming {escape(given)}")
    if result.get("lhs_evaluated"):
        out.print(f"  left  = {escape(result['lhs_evaluated'])}")
        out.print(f"  right = {escape(result['rhs_evaluated'])}")
    for s in result.get("steps", []):
        out.print(f"[cyan]{escape(s['label'])}[/cyan]")
        out.print(escape(s.get("pretty", s["expr"])), soft_wrap=True)
    style = _STYLE.get(status, "")
    verdict = {
        "proven": "proven: the difference simplifies to 0",
        "refuted": f"refuted: {result.get('counterexample', '')}",
        "undetermined": "undetermined: "
        + result.get("reason", "neither a proof nor a certain counterexample was found"),
        "timeout": f"undetermined: {result.get('error', 'CPU limit reached')}",
    }[status]
    out.print(f"[{style}]{escape(verdict)}[/{style}]")
    if result.get("unused_assumptions"):
        names = ", ".join(result["unused_assumptions"])
        err_console().print(f"note: --assume names {names}, which the claim does not use")
