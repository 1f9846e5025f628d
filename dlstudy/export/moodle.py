"""``dlstudy export moodle``: a Moodle XML question file (Question bank → Import → Moodle XML format).

The format as Moodle's importer (``question/format/xml``) reads it: ``<quiz>`` holding a
``category`` pseudo-question per section (``$course$/top/dlstudy/<section title>``) followed by that
section's questions. Every question has a ``<name>`` that starts with its ``ID:SEED``, an
``<idnumber>`` (the ``ID:SEED``), the prompt as HTML in CDATA and the worked solution as general
feedback; tags are the section id, ``difficulty::N`` and the ``ID:SEED``.

=============  ==============================================================================
answer         Moodle question
=============  ==============================================================================
number         ``numerical``: the reference value, tolerance :func:`~dlstudy.answers.precision.
integer        tolerance` of the template's precision (an integer: 0, exact); each named
               misconception a 0 % answer whose feedback names the mistake
vector/matrix  ``cloze`` (multianswer): one ``{1:NUMERICAL:=x:tolerance}`` field per entry
choice         ``multichoice``: one right option (100 %), shuffled, single answer
bool           ``truefalse``
expression     ``shortanswer``: the canonical form (and its ASCII spelling); Moodle compares text,
               so the question says so, and ``dlstudy check`` grades any equivalent form
=============  ==============================================================================

Matrices in prompts and solutions are TeX for Moodle's MathJax filter (``\\[ … \\]``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from dlstudy.answers.precision import EXACT, tolerance
from dlstudy.export import Item, built, write_text
from dlstudy.export.markup import (
    answer_html,
    clean,
    esc,
    html_text,
    mathjax_matrix,
    options,
)

ROOT = "$course$/top/dlstudy"
EXPRESSION_NOTE = (
    "Type the expression in the form of the notes, e.g. k^2·C_in or k^2*C_in: Moodle compares the "
    "text, so an equivalent form written differently is marked by hand "
    "(dlstudy check grades any equivalent form)."
)


def cdata(html: str) -> str:
    """``html`` in a CDATA section (a ``]]>`` inside is split across two sections)."""
    return "<![CDATA[" + html.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(tag: str, html: str, fmt: str = "html") -> str:
    return f'<{tag} format="{fmt}"><text>{cdata(html)}</text></{tag}>'


def number_text(x: Any) -> str:
    """A number as Moodle reads it: integers plainly, floats by their shortest exact text."""
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return repr(float(x))


def tolerance_text(precision: Any, x: Any) -> str:
    """The accepted half-width around ``x``: 0 for an exact integer, else
    :func:`~dlstudy.answers.precision.tolerance` (never written smaller than it is)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return "0"
    p = precision or EXACT
    if p.kind == "exact" and float(x).is_integer():
        return "0"
    t = tolerance(p, float(x))
    short = f"{t:.12g}"
    return short if float(short) >= t else repr(t)


def category(section_title: str) -> str:
    # "/" separates categories in Moodle's path: a "/" in a title is written "//"
    path = f"{ROOT}/{section_title.replace('/', '//')}"
    return (
        f'<question type="category"><category><text>{xml_escape(path)}</text></category></question>'
    )


def question_xml(q: Any, section_title: str) -> str:
    """One ``<question>`` element for ``q``."""
    qtype, body, answers = _parts(q)
    name = f"{q.ref} {clean(q.template.title)}"
    tags = [q.template.section, f"difficulty::{q.template.difficulty}", q.ref]
    parts = [
        f'<question type="{qtype}">',
        f"<name><text>{xml_escape(name)}</text></name>",
        _text("questiontext", body),
        _text("generalfeedback", _solution(q)),
        "<defaultgrade>1</defaultgrade>",
        "<penalty>0.3333333</penalty>",
        "<hidden>0</hidden>",
        f"<idnumber>{xml_escape(q.ref)}</idnumber>",
        *answers,
        "<tags>" + "".join(f"<tag><text>{xml_escape(t)}</text></tag>" for t in tags) + "</tags>",
        "</question>",
    ]
    return "\n".join(parts)


def _solution(q: Any) -> str:
    shown = answer_html(q, mathjax_matrix)
    note = f" ({esc(q.precision.words)})" if q.precision is not None else ""
    return (
        f"<p><b>Answer:</b> {shown}{note}</p>"
        + html_text(q.solution_text(), mathjax_matrix)
        + f'<p class="ref">{esc(q.ref)}</p>'
    )


def _prompt(q: Any) -> str:
    return html_text(q.prompt, mathjax_matrix)


def _parts(q: Any) -> tuple[str, str, list[str]]:
    """(Moodle question type, question text HTML, the answer elements and type-specific options)."""
    kind = q.kind
    if kind in ("number", "integer") and not isinstance(q.answer, str):
        return "numerical", _prompt(q), _numerical(q)
    if kind in ("vector", "matrix"):
        return "cloze", _prompt(q) + _cloze_fields(q), []
    if kind == "choice":
        return "multichoice", _prompt(q), _multichoice(q)
    if kind == "bool":
        right = bool(q.expected.answer)
        answers = [
            f'<answer fraction="{100 if right else 0}"><text>true</text>'
            + _text("feedback", "")
            + "</answer>",
            f'<answer fraction="{0 if right else 100}"><text>false</text>'
            + _text("feedback", "")
            + "</answer>",
        ]
        return "truefalse", _prompt(q), answers
    return "shortanswer", _prompt(q) + f"<p><i>{esc(EXPRESSION_NOTE)}</i></p>", _shortanswer(q)


def _numerical(q: Any) -> list[str]:
    x = q.answer
    out = [
        f'<answer fraction="100" format="moodle_auto_format"><text>{number_text(x)}</text>'
        + _text("feedback", "")
        + f"<tolerance>{tolerance_text(q.precision, x)}</tolerance></answer>"
    ]
    for m in q.expected.mistakes:  # outside the answer's tolerance: the bank resamples otherwise
        value = getattr(m, "value", None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(float(value)):
            continue
        out.append(
            f'<answer fraction="0" format="moodle_auto_format"><text>{number_text(value)}</text>'
            + _text("feedback", f"<p>{esc(m.message)}</p>")
            + f"<tolerance>{tolerance_text(q.precision, value)}</tolerance></answer>"
        )
    out.append("<unitgradingtype>0</unitgradingtype><unitpenalty>0</unitpenalty>")
    out.append("<showunits>3</showunits><unitsleft>0</unitsleft>")
    return out


def cloze_field(q: Any, value: Any) -> str:
    """``{1:NUMERICAL:=x:tolerance}`` for a number, ``{1:SHORTANSWER:=word}`` for a word."""
    if isinstance(value, str):
        word = "".join("\\" + c if c in '}#~/"\\' else c for c in clean(value))
        return "{1:SHORTANSWER:=" + xml_escape(word) + "}"
    return "{1:NUMERICAL:=" + number_text(value) + ":" + tolerance_text(q.precision, value) + "}"


def _cloze_fields(q: Any) -> str:
    answer = q.answer
    rows = answer if q.kind == "matrix" else [answer]
    note = f" ({esc(q.precision.words)})" if q.precision is not None else ""
    cells = "".join(
        "<tr>"
        + "".join(f'<td style="padding:2px 6px">{cloze_field(q, v)}</td>' for v in row)
        + "</tr>"
        for row in rows
    )
    return f'<p>Answer{note}:</p><table class="answer-grid">{cells}</table>'


def _multichoice(q: Any) -> list[str]:
    right = q.expected.answer
    out = [
        "<single>true</single>",
        "<shuffleanswers>1</shuffleanswers>",
        "<answernumbering>abc</answernumbering>",
        "<showstandardinstruction>0</showstandardinstruction>",
    ]
    for i, (_, text) in enumerate(options(q)):
        out.append(
            f'<answer fraction="{100 if i == right else 0}" format="html">'
            f"<text>{cdata(esc(text))}</text>" + _text("feedback", "") + "</answer>"
        )
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        out.append(_text(tag, ""))
    return out


def shortanswer_forms(q: Any) -> list[str]:
    """The accepted spellings: the canonical form, its ASCII spelling, and that without spaces."""
    from dlstudy.answers.expr_syntax import normalize

    canonical = clean(q.answer)
    ascii_form = normalize(canonical).replace("σ", "sigmoid").replace("π", "pi")  # as typed
    forms: list[str] = []
    for form in (canonical, ascii_form, ascii_form.replace(" ", "")):
        if form not in forms:
            forms.append(form)
    return forms


def _shortanswer(q: Any) -> list[str]:
    out = ["<usecase>0</usecase>"]
    for form in shortanswer_forms(q):
        literal = form.replace("*", "\\*")  # * is Moodle's wildcard
        out.append(
            f'<answer fraction="100" format="moodle_auto_format"><text>{xml_escape(literal)}</text>'
            + _text("feedback", "")
            + "</answer>"
        )
    return out


def export(items: Sequence[Item], path: Path, *, quiet: bool = False) -> int:
    """Write the Moodle XML of ``items`` to ``path``; returns the file's size in bytes."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    current = None
    for item, q in built(items, "Moodle XML", quiet=quiet):
        if item.section_title != current:
            current = item.section_title
            parts.append(category(current))
        parts.append(question_xml(q, current))
    parts.append("</quiz>")
    return write_text(path, "\n".join(parts) + "\n")
