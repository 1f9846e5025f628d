"""``dlstudy verify``: the derivation catalogue (sympy proofs of the notes' claims, with errata) and
checks of a student's own identity. sympy is imported only when the command runs."""

from __future__ import annotations

import typer

from dlstudy.app import app

EPILOG = (
    "Examples:\n\n"
    "  dlstudy verify                      # the whole catalogue: a table by section, then errata\n\n"
    "  dlstudy verify gan-objectives --show\n\n"
    "  dlstudy verify --section gan --json\n\n"
    '  dlstudy verify --claim "diff(tanh(x), x) == 1 - tanh(x)**2"\n\n'
    "Exit codes: catalogue 0 when every status equals its expected outcome, else 1; --claim 0 proven, "
    "1 refuted, 2 invalid input, 3 undetermined. Names for --claim: sigmoid, relu, tanh, softmax([..]), "
    "softplus, exp, log, ln, sqrt, Abs, Max, Min, Heaviside, diff(f, x[, n]), integrate(f, x[, a, b]), "
    "Sum(f, k, a, b), limit(f, x, a), pi, e/E, oo; other names are real symbols."
)


@app.command(epilog=EPILOG)
def verify(
    ids: list[str] = typer.Argument(
        None, metavar="[ID]...", help="Claim ids (ID also runs ID.notes)."
    ),
    section: str = typer.Option(
        None, "--section", help="Only the claims of this section of the notes."
    ),
    show: bool = typer.Option(False, "--show", help="Print the steps of each selected claim."),
    latex: bool = typer.Option(False, "--latex", help="With --show: steps as LaTeX."),
    json_: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    timeout: float = typer.Option(
        10.0, "--timeout", help="CPU seconds allowed per claim (above 0, at most 600)."
    ),
    jobs: int = typer.Option(
        2, "--jobs", "-j", help="Claims checked in parallel (worker processes)."
    ),
    claim: str = typer.Option(None, "--claim", help='Check your own identity "LHS == RHS".'),
    assume: list[str] = typer.Option(
        None,
        "--assume",
        help="With --claim: what a symbol is, e.g. 's > 0', 'x >= 0', 'n integer' "
        "(positive, nonnegative, nonzero, integer, real); repeatable.",
    ),
    controls: bool = typer.Option(
        False,
        "--controls",
        help="Also run each claim's controls: the perturbed conclusion (must flip the outcome) and "
        "one run per broken premise (must be refuted).",
    ),
) -> None:
    """Prove the derivations of the notes with sympy and show which statements are wrong as written."""
    import time

    from dlstudy.symbolic import report
    from dlstudy.symbolic.sandbox import check_seconds

    check_seconds(timeout)
    if assume and claim is None:
        from dlstudy.errors import DlstudyError

        raise DlstudyError("--assume goes with --claim")
    if claim is not None:
        from dlstudy.symbolic.identity import EXIT_CODES, check_claim

        if ids or section:
            from dlstudy.errors import DlstudyError

            raise DlstudyError(
                "--claim checks one identity; do not combine it with claim ids or --section"
            )
        result = check_claim(claim, timeout=timeout, assume=assume or ())
        if json_:
            from dlstudy.output import print_json

            print_json(result)
        else:
            report.show_identity(result)
        raise typer.Exit(EXIT_CODES[result["status"]])

    from dlstudy.symbolic.runner import run_claims, select

    chosen = select(ids or [], section)
    render = ("latex" if latex else "pretty") if show else None
    if json_ and render == "pretty":
        render = "text"
    t0 = time.perf_counter()
    results = run_claims(chosen, timeout=timeout, jobs=jobs, controls=controls, render=render)
    wall = time.perf_counter() - t0
    ok = all(report.matches(r) for r in results)
    if controls:
        from dlstudy.symbolic.runner import controls_ok

        for r in results:
            r["control_ok"] = controls_ok(r)
        ok = ok and all(r["control_ok"] for r in results)
    if json_:
        report.json_claims(results, wall)
    elif show:
        report.show_steps(results)
    else:
        report.show_table(results)
        report.show_errata(results)
    if not json_:
        report.summarize(results, wall)
    raise typer.Exit(0 if ok else 1)
