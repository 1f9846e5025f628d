"""``dlstudy check``: grade a hand-worked answer to a bank question (exit 0 right, 1 wrong, 2 invalid)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def check(
    template_id: str = typer.Argument(
        ..., metavar="ID", help="Template id, or ID:SEED as the quiz shows it."
    ),
    answer: str = typer.Option(
        ..., "--answer", "-a", help="Your answer, e.g. '-log 4', '1 2; 3 4', 'b'."
    ),
    seed: int = typer.Option(None, "--seed", help="Which variant (or write ID:SEED)."),
    solution: bool = typer.Option(False, "--solution", help="Also print the worked solution."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
) -> None:
    """Check your answer to a question: how it was read, right or wrong, the mistake if recognised.

    Exit 0 right, 1 wrong, 2 not counted: input that cannot be read, or a rounded value with fewer digits than the question asks (asked again in the quiz, never counted as wrong).

    Example:  dlstudy check cnn.corr-valid:3 --answer "-2 0 -1; 0 3 0; 1 -2 -4"
    """
    from dlstudy.answers.expr_syntax import visible
    from dlstudy.bank import load_bank, split_ref
    from dlstudy.errors import DlstudyError
    from dlstudy.output import console, print_json

    try:
        tid, s = split_ref(template_id, seed)
        q = load_bank(extra_dirs=bank or []).get(tid).instantiate(s)
        grade = q.grade(answer)  # AnswerError → "dlstudy: error: ..." and exit 2
    except DlstudyError as exc:
        # what was typed is echoed in the message: never a raw control character or escape
        raise DlstudyError(visible(exc.message), visible(exc.detail)) from None
    if as_json:
        out = {
            "ref": q.ref,
            **grade.to_json(),
            "answer": q.answer,
            "answer_text": q.answer_text.strip("\n"),
        }
        if q.precision is not None:
            out["precision"] = q.precision.to_json()
        if solution:
            out["solution"] = q.solution_text()
        print_json(out)
    else:
        from dlstudy.ui import render

        render.grade_feedback(console(), grade, q)
        if solution:
            render.solution(console(), q)
    if not grade.correct:
        raise typer.Exit(1)
