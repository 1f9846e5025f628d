"""``dlstudy export anki|moodle|sheet``: every exported answer is the reference answer of ``dlstudy bank
show ID --seed S --json`` (run in-process once per ID:SEED), the files have the structure their readers
need (an Anki collection, Moodle's XML importer, a self-contained printable HTML page, GitHub Markdown),
and bad output paths or hostile template text get a clear answer."""

from __future__ import annotations

import html
import json
import math
import os
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dlstudy.app import app
from dlstudy.cli import load_commands
from tests.conftest import dlstudy_cmd, subprocess_env

load_commands(["bank"])  # (check is registered by the test that uses it)
load_commands(["export"])

RUNNER = CliRunner()
WJ = "\u2060"  # the word joiner the exports put after \ and $ (MathJax must not read them)


def cli(*args: str) -> Any:
    return RUNNER.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})


_REFERENCE: dict[str, dict[str, Any]] = {}


def reference(ref: str) -> dict[str, Any]:
    """``dlstudy bank show ID --seed S --json`` (in-process), once per ID:SEED."""
    if ref not in _REFERENCE:
        tid, _, seed = ref.rpartition(":")
        result = cli("bank", "show", tid, "--seed", seed, "--json")
        assert result.exit_code == 0, result.output
        _REFERENCE[ref] = json.loads(result.output)
    return _REFERENCE[ref]


def close(got: float, want: float) -> bool:
    """Equal to the 6 significant digits the exports print."""
    return abs(got - want) <= 5e-6 * max(abs(want), 1e-300) + 1e-12


def flat(x: Any) -> list[Any]:
    return [v for item in x for v in flat(item)] if isinstance(x, list) else [x]


def number(text: str) -> float:
    return float(text.replace("−", "-").replace(WJ, "").strip())


def tex_rows(tex: str) -> list[list[float]]:
    m = re.search(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", tex, re.S)
    assert m, tex
    return [[number(c) for c in row.split("&")] for row in m.group(1).split(r"\\")]


def check_matrix_text(tex: str, want: Any) -> None:
    rows = tex_rows(tex)
    want_rows = want if isinstance(want[0], list) else [want]
    assert len(rows) == len(want_rows)
    for got_row, want_row in zip(rows, want_rows, strict=True):
        assert len(got_row) == len(want_row)
        assert all(close(g, w) for g, w in zip(got_row, want_row, strict=True)), (rows, want)


def plain(fragment: str) -> str:
    """The text of an HTML fragment as a reader sees it."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace(WJ, "")


# -- the exports, made once for the whole bank (one variant) and for a few sections (three) ---------


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="module")
def apkg(outdir: Path) -> Path:
    path = outdir / "deck.apkg"
    r = cli("export", "anki", str(path), "--variants", "1", "--seed", "4", "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["format"] == "anki" and summary["file"] == str(path)
    assert summary["bytes"] == path.stat().st_size
    return path


@pytest.fixture(scope="module")
def moodle_xml(outdir: Path) -> Path:
    path = outdir / "quiz.xml"
    r = cli("export", "moodle", str(path), "--variants", "1", "--seed", "6")
    assert r.exit_code == 0, r.output
    return path


def anki_notes(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The notes (fields by name, tags, guid, deck name), the note types and the decks of an .apkg."""
    folder = path.parent / (path.stem + "-unzipped")
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", folder)
    db = sqlite3.connect(folder / "collection.anki2")
    try:
        models_json, decks_json = db.execute("select models, decks from col").fetchone()
        models = json.loads(models_json)
        decks = json.loads(decks_json)
        deck_of = dict(db.execute("select nid, did from cards").fetchall())
        notes = []
        for nid, guid, mid, tags, flds in db.execute("select id, guid, mid, tags, flds from notes"):
            names = [f["name"] for f in models[str(mid)]["flds"]]
            notes.append(
                {
                    "guid": guid,
                    "mid": mid,
                    "tags": tags.split(),
                    "fields": dict(zip(names, flds.split("\x1f"), strict=True)),
                    "deck": decks[str(deck_of[nid])]["name"],
                }
            )
    finally:
        db.close()
    return notes, models, decks


# -- Anki ---------------------------------------------------------------------------------------------


def test_anki_every_answer_is_the_reference_answer(apkg: Path) -> None:
    from dlstudy.bank import load_bank
    from dlstudy.sections import TITLES

    notes, _, _ = anki_notes(apkg)
    bank = load_bank()
    assert sorted(plain(n["fields"]["Ref"]) for n in notes) == sorted(
        f"{tid}:5" for tid in bank.templates
    )  # one note per template and variant: seed 4 + 1
    for note in notes:
        f = note["fields"]
        ref = plain(f["Ref"])
        want = reference(ref)
        assert note["deck"] == f"dlstudy::{TITLES[want['section']]}"
        assert set(note["tags"]) == {want["section"], f"difficulty::{want['difficulty']}", ref}
        if want["answer_kind"] in ("vector", "matrix"):
            check_matrix_text(html.unescape(f["Answer"]), want["answer"])
        else:
            assert plain(f["Answer"]) == want["answer_text"], ref
        if want["answer_kind"] in ("number", "integer"):
            assert close(number(plain(f["Answer"])), want["answer"])
        if want.get("precision"):
            assert f["Precision"]
        if want["answer_kind"] == "choice":  # the options, in the order of the question
            shown = re.findall(r"<div>([a-z])\) (.*?)</div>", f["Options"])
            assert [(letter, plain(t)) for letter, t in shown] == [
                (chr(97 + i), o) for i, o in enumerate(want["options"])
            ]
        # the worked solution, its last line (the answer) included
        last = want["solution"].strip().splitlines()[-1].strip()
        if "⎡" not in last and "⎣" not in last:
            assert last in plain(f["Solution"].replace("<br/>", "\n")), ref


def test_anki_prompts_matrices_and_mistakes_are_on_the_card(apkg: Path) -> None:
    notes, models, _ = anki_notes(apkg)
    by_ref = {plain(n["fields"]["Ref"]): n for n in notes}
    corr = by_ref["cnn.corr-valid:5"]["fields"]
    want = reference("cnn.corr-valid:5")
    assert corr["Prompt"].count(r"\begin{bmatrix}") == 2  # I and K as MathJax matrices
    assert r"\[" in corr["Prompt"] and "⎡" not in corr["Prompt"]
    inputs = want["params"]
    tex = re.findall(r"\\\[.*?\\\]", html.unescape(corr["Prompt"]))
    check_matrix_text(tex[0], inputs["input"])
    check_matrix_text(tex[1], inputs["kernel"])
    with_mistakes = [n for n in notes if n["fields"]["Mistakes"]]
    assert len(with_mistakes) > 50
    (model,) = models.values()
    assert [f["name"] for f in model["flds"]][:3] == ["Ref", "Section", "Prompt"]
    back = model["tmpls"][0]["afmt"]
    assert "{{Answer}}" in back and "{{Mistakes}}" in back and "{{Solution}}" in back


def test_anki_reexport_keeps_ids_so_anki_updates_the_notes(outdir: Path, apkg: Path) -> None:
    again = outdir / "again.apkg"
    assert cli("export", "anki", str(again), "--variants", "1", "--seed", "4").exit_code == 0
    first, models1, decks1 = anki_notes(apkg)
    second, models2, decks2 = anki_notes(again)
    assert {n["guid"] for n in first} == {n["guid"] for n in second}
    assert set(models1) == set(models2)
    named1 = {d["name"]: k for k, d in decks1.items() if d["name"].startswith("dlstudy")}
    named2 = {d["name"]: k for k, d in decks2.items() if d["name"].startswith("dlstudy")}
    assert named1 == named2 and "dlstudy" in named1
    other = outdir / "other.apkg"
    r = cli("export", "anki", str(other), "--section", "pooling", "--variants", "2", "--seed", "4")
    assert r.exit_code == 0
    notes, _, _ = anki_notes(other)
    refs = {plain(n["fields"]["Ref"]) for n in notes}
    assert refs == {f"{tid}:{s}" for tid in {r.rpartition(":")[0] for r in refs} for s in (5, 6)}
    # the same ID:SEED has the same guid in both exports; another seed is another note
    guid = {plain(n["fields"]["Ref"]): n["guid"] for n in first}
    for n in notes:
        ref = plain(n["fields"]["Ref"])
        assert (n["guid"] == guid[ref]) if ref in guid else (n["guid"] not in guid.values())


# -- Moodle -------------------------------------------------------------------------------------------

REQUIRED = {
    "numerical": ["name/text", "questiontext/text", "generalfeedback/text", "answer/tolerance"],
    "cloze": ["name/text", "questiontext/text", "generalfeedback/text"],
    "multichoice": ["name/text", "questiontext/text", "answer/text", "single", "shuffleanswers"],
    "truefalse": ["name/text", "questiontext/text", "answer/text"],
    "shortanswer": ["name/text", "questiontext/text", "answer/text", "usecase"],
}
CLOZE_NUMERICAL = re.compile(r"\{1:NUMERICAL:=([^:}]+):([^}]+)\}")


def unit_tolerance(precision: dict[str, Any], x: float) -> float:
    """One unit in the last digit asked (an independent statement of the precision contract)."""
    if precision["kind"] == "exact":
        return 0.0
    if precision["kind"] == "dp":
        return 10.0 ** -precision["digits"]
    return 10.0 ** (math.floor(math.log10(abs(x))) - precision["digits"] + 1) if x else 0.0


def check_tolerance(tolerance: float, x: float, precision: dict[str, Any], ref: str) -> None:
    """Moodle accepts |given − x| ≤ tolerance: the rounded answer is in, two units off is out."""
    unit = unit_tolerance(precision, x)
    if unit == 0.0:
        assert tolerance <= 1e-9 * max(abs(x), 1.0), ref
        return
    assert math.isclose(tolerance, unit, rel_tol=1e-9), (ref, tolerance, unit)
    if precision["kind"] == "sig":
        rounded = float(f"{x:.{precision['digits'] - 1}e}")
    else:
        rounded = round(x, precision["digits"])
    assert abs(rounded - x) <= tolerance, ref
    assert abs((x + 2 * unit) - x) > tolerance, ref


def test_moodle_every_answer_is_the_reference_answer(moodle_xml: Path) -> None:
    from dlstudy.bank import load_bank
    from dlstudy.sections import TITLES

    raw = moodle_xml.read_text(encoding="utf-8")
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    root = ET.fromstring(raw.encode())
    assert root.tag == "quiz"
    seen: list[str] = []
    category = None
    types: set[str] = set()
    for q in root.findall("question"):
        qtype = q.get("type")
        if qtype == "category":
            category = q.findtext("category/text")
            continue
        types.add(qtype)
        for path in REQUIRED[qtype]:
            assert q.find(path) is not None, (qtype, path)
        assert q.find("questiontext").get("format") == "html"
        name = q.findtext("name/text")
        ref = name.split()[0]
        seen.append(ref)
        want = reference(ref)
        assert category == f"$course$/top/dlstudy/{TITLES[want['section']]}"
        tags = {t.text for t in q.findall("tags/tag/text")}
        assert tags == {want["section"], f"difficulty::{want['difficulty']}", ref}
        kind = want["answer_kind"]
        if qtype == "numerical":
            assert kind in ("number", "integer")
            right = [a for a in q.findall("answer") if a.get("fraction") == "100"]
            assert len(right) == 1
            assert float(right[0].findtext("text")) == want["answer"], ref  # exactly
            tol = float(right[0].findtext("tolerance"))
            if kind == "integer":
                assert tol == 0.0, ref
            check_tolerance(tol, want["answer"], want["precision"], ref)
            for wrong in q.findall("answer"):  # each named mistake: 0 %, feedback, outside
                if wrong.get("fraction") == "0":
                    assert abs(float(wrong.findtext("text")) - want["answer"]) > tol
                    assert wrong.findtext("feedback/text").strip()
        elif qtype == "cloze":
            assert kind in ("vector", "matrix")
            text = q.findtext("questiontext/text")
            fields = CLOZE_NUMERICAL.findall(text)
            values = flat(want["answer"])
            assert [float(v) for v, _ in fields] == values, ref  # exactly, entry by entry
            for (_, tol), x in zip(fields, values, strict=True):
                check_tolerance(float(tol), x, want["precision"], ref)
        elif qtype == "multichoice":
            assert kind == "choice"
            assert q.findtext("single") == "true" and q.findtext("shuffleanswers") == "1"
            answers = q.findall("answer")
            fractions = [a.get("fraction") for a in answers]
            assert fractions.count("100") == 1 and set(fractions) == {"0", "100"}
            right = answers[fractions.index("100")]
            letter = want["answer"]
            assert plain(right.findtext("text")) == want["options"][ord(letter) - 97]
            assert [plain(a.findtext("text")) for a in answers] == want["options"]
        elif qtype == "truefalse":
            assert kind == "bool"
            right = [a.findtext("text") for a in q.findall("answer") if a.get("fraction") == "100"]
            assert right == [str(want["answer"]).lower()]
        else:
            assert kind == "expression"
            forms = [a.findtext("text") for a in q.findall("answer")]
            assert forms[0] == want["answer"]
            assert all(a.get("fraction") == "100" for a in q.findall("answer"))
        feedback = plain(q.findtext("generalfeedback/text"))
        assert ref in feedback
    assert sorted(seen) == sorted(f"{tid}:7" for tid in load_bank().templates)
    assert types == set(REQUIRED)  # every Moodle question type is exercised
    # HTML texts are CDATA sections (one per question text and general feedback)
    n = len(seen)
    assert raw.count('<questiontext format="html"><text><![CDATA[') == n
    assert raw.count('<generalfeedback format="html"><text><![CDATA[') == n


def test_moodle_expression_answers_carry_a_note_and_ascii_spellings(moodle_xml: Path) -> None:
    root = ET.fromstring(moodle_xml.read_bytes())
    shorts = [q for q in root.findall("question") if q.get("type") == "shortanswer"]
    assert shorts
    for q in shorts:
        assert "Moodle compares the text" in plain(q.findtext("questiontext/text"))
        forms = [a.findtext("text") for a in q.findall("answer")]
        assert any(all(ord(c) < 128 for c in f) for f in forms), forms
        for form in forms:  # * is Moodle's wildcard: a literal one is escaped
            assert re.search(r"(?<!\\)\*", form) is None, form


# -- the sheet -------------------------------------------------------------------------------------------


def sheet(outdir: Path, name: str, *args: str) -> Path:
    path = outdir / name
    r = cli("export", "sheet", str(path), *args)
    assert r.exit_code == 0, r.output
    return path


def mathml_rows(table: ET.Element) -> list[list[float]]:
    return [
        [number("".join(td.itertext())) for td in tr.findall("mtd")] for tr in table.iter("mtr")
    ]


def test_sheet_html_is_self_contained_printable_and_its_key_is_the_reference(outdir: Path) -> None:
    path = sheet(outdir, "all.html", "--n", "60", "--seed", "11", "--key")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for banned in ("<script", "http://", "https://", "url(", "@import", "@font-face", "src="):
        assert banned not in text.lower(), banned
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "@media print" in style and "@page" in style
    assert re.search(r"\.key \{[^}]*page-break-before: always", style)
    assert re.search(r"math \{[^}]*break-inside: avoid", style)
    assert re.search(r"\.question \{[^}]*break-inside: avoid", style)
    root = ET.fromstring(text.encode())  # well-formed (XHTML-compatible) markup
    sections = list(root.iter("section"))
    questions = [s for s in sections if s.get("class") == "question"]
    entries = [s for s in sections if s.get("class") == "key-entry"]
    (key,) = [s for s in sections if s.get("class") == "key"]
    assert key.find("h1").text == "Answer key"
    assert len(questions) == len(entries) == 60
    body_order = [s.get("class") for s in sections if s.get("class") in ("question", "key")]
    assert body_order.index("key") == 60  # the key after every question
    assert [q.get("data-ref") for q in questions] == [e.get("data-ref") for e in entries]
    matrices = 0
    for entry in entries:
        ref = entry.get("data-ref")
        want = reference(ref)
        assert json.loads(entry.get("data-answer")) == want["answer"], ref
        assert ref in "".join(entry.find("h3").itertext())
        answer = next(d for d in entry.iter("div") if d.get("class") == "answer")
        if want["answer_kind"] in ("vector", "matrix"):
            table = next(answer.iter("mtable"))
            want_rows = want["answer"] if want["answer_kind"] == "matrix" else [want["answer"]]
            got = mathml_rows(table)
            assert len(got) == len(want_rows)
            for g, w in zip(got, want_rows, strict=True):
                assert all(close(a, b) for a, b in zip(g, w, strict=True)), ref
            matrices += 1
        else:
            assert want["answer_text"] in plain(ET.tostring(answer, encoding="unicode")), ref
    assert matrices > 5
    # the prompts' matrices are MathML tables, never the terminal's grid characters
    prompts = "".join(ET.tostring(q, encoding="unicode") for q in questions)
    assert "<mtable" in prompts and not re.search("[⎡⎢⎣]", prompts)


def test_key_entries_grade_with_dlstudy_check(outdir: Path) -> None:
    """Under its ID:SEED, a key's answer is what ``dlstudy check`` grades right."""
    load_commands(["check"])
    path = sheet(outdir, "few.html", "--n", "40", "--seed", "3", "--key-only")
    root = ET.fromstring(path.read_bytes())
    assert not [s for s in root.iter("section") if s.get("class") == "question"]
    kinds_done: set[str] = set()
    for entry in root.iter("section"):
        if entry.get("class") != "key-entry":
            continue
        ref = entry.get("data-ref")
        kind = reference(ref)["answer_kind"]
        if kind in kinds_done:
            continue
        answer = json.loads(entry.get("data-answer"))
        typed = json.dumps(answer) if isinstance(answer, (list, bool)) else str(answer)
        r = cli("check", ref, "--answer", typed)
        assert r.exit_code == 0, (ref, typed, r.output)
        kinds_done.add(kind)
    assert len(kinds_done) >= 4


def test_exam_sheet_draws_as_dlstudy_exam_and_gives_points_and_time(outdir: Path) -> None:
    from dlstudy.bank import load_bank
    from dlstudy.study import select

    path = sheet(outdir, "exam.html", "--exam", "--n", "8", "--seed", "21", "--minutes", "25")
    root = ET.fromstring(path.read_bytes())
    refs = [s.get("data-ref") for s in root.iter("section") if s.get("class") == "question"]
    assert refs == [d.ref for d in select.draw(load_bank(), n=8, seed=21)]
    points = [int(p.text.split()[0]) for p in root.iter("span") if p.get("class") == "points"]
    assert points == [reference(r)["difficulty"] for r in refs]
    meta = " ".join("".join(p.itertext()) for p in root.iter("p"))
    assert "25 minutes" in meta and f"{sum(points)} points" in meta
    work = sheet(outdir, "work.html", "--n", "8", "--seed", "21")
    wroot = ET.fromstring(work.read_bytes())
    wrefs = [s.get("data-ref") for s in wroot.iter("section") if s.get("class") == "question"]
    assert sorted(wrefs) == sorted(refs)  # the same questions, grouped by section
    assert not [s for s in wroot.iter("section") if s.get("class") == "key"]
    assert "--key-only --seed 21" in work.read_text(encoding="utf-8")


def test_sheet_markdown_math_and_key(outdir: Path) -> None:
    path = sheet(outdir, "all.md", "--n", "40", "--seed", "5", "--key")
    text = path.read_text(encoding="utf-8")
    assert text.count("$$") % 2 == 0
    assert "\n## Answer key\n" in text
    questions, key = text.split("\n## Answer key\n")
    assert re.search(r"\$\$\n\\begin\{bmatrix\}", questions)
    assert "<" not in re.sub(r"&lt;", "", questions)  # no raw HTML from a template
    entries = re.split(r"\n### \d+\. `", key)[1:]
    assert len(entries) == 40
    for entry in entries:
        ref = entry.split("`", 1)[0]
        want = reference(ref)
        if want["answer_kind"] in ("vector", "matrix"):
            check_matrix_text(entry, want["answer"])
        else:
            line = re.search(r"\*\*Answer:\*\* (.*)", entry).group(1)
            shown = re.sub(r"\\(.)", r"\1", line)  # Markdown escapes undone
            assert shown.startswith(want["answer_text"]), (ref, shown)


# -- bad input and hostile template text --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["anki", "{dir}"], "expected"),
        (["anki", "{dir}/deck.apkg/"], "folder"),
        (["anki", "{dir}/missing/deck.apkg"], "does not exist"),
        (["moodle", "/proc/dlstudy-export-test.xml"], "cannot write"),
        (["anki", "{dir}/deck.txt"], ".apkg"),
        (["moodle", "{dir}/quiz.apkg"], ".xml"),
        (["sheet", "{dir}/sheet.pdf"], ".html, .htm or .md"),
        (["anki", "{dir}/d.apkg", "--section", "convolutoin"], "did you mean 'convolution'"),
        (["sheet", "{dir}/s.html", "--key-only"], "--seed"),
        (["sheet", "{dir}/s.html", "--exam", "--minutes", "0"], "--minutes"),
    ],
)
def test_bad_output_or_options_exit_2_with_one_line(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    (tmp_path / "deck.apkg").mkdir()
    shown = [a.replace("{dir}", str(tmp_path)) for a in args]
    if shown[0] == "anki" and shown[1] == str(tmp_path):
        fragment = "no extension"
    proc = subprocess.run(
        [*dlstudy_cmd(), "export", *shown],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("dlstudy: error:") and fragment in proc.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_an_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "quiz.xml"
    path.write_text("old")
    os.chmod(path, 0o640)
    assert cli("export", "moodle", str(path), "--section", "pooling").exit_code == 0
    assert path.read_text(encoding="utf-8").startswith("<?xml")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["quiz.xml"]


HOSTILE = r'''
[[template]]
id = "mine.hostile"
section = "convolution"
kind = "bool"
title = "Hostile <b>title</b> \u001b[31m"
prompt = """
Is <script>alert(1)</script> & \u001b[2J safe? $$x$$ \\(y\\) \\[z\\] {{1:NUMERICAL:=1:0}} ]]> done
"""
correct = true
explanation = "Yes <img src=x onerror=alert(1)> \u202e reversed"

[[template]]
id = "mine.hostile-choice"
section = "convolution"
kind = "choice"
title = "Choice"
prompt = "Pick one."
options = ["<i>a</i> }#~/", "b ]]> \u0007", "c $$ \\( d"]
correct = 1
'''


def test_template_text_is_escaped_in_every_format(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "mine.toml").write_text(HOSTILE, encoding="utf-8")
    outs = {
        "anki": tmp_path / "d.apkg",
        "moodle": tmp_path / "q.xml",
        "sheet": tmp_path / "s.html",
    }
    for fmt, path in outs.items():
        # every question of the section (a draw of a few could miss the hostile ones)
        extra = ["--n", "60", "--seed", "1", "--key"] if fmt == "sheet" else []
        r = cli("export", fmt, str(path), "--bank", str(bank), "--section", "convolution", *extra)
        assert r.exit_code == 0, r.output
    md = tmp_path / "s.md"
    assert (
        cli(
            "export", "sheet", str(md), "--bank", str(bank), "--section", "convolution",
            "--n", "60", "--seed", "1", "--key",
        ).exit_code
        == 0
    )  # fmt: skip
    notes, _, _ = anki_notes(outs["anki"])
    refs = {plain(n["fields"]["Ref"]) for n in notes}
    assert {"mine.hostile:1", "mine.hostile-choice:1"} <= refs  # the templates loaded
    texts = {
        "anki": "\n".join("\n".join(n["fields"].values()) for n in notes),
        "moodle": outs["moodle"].read_text(encoding="utf-8"),
        "sheet": outs["sheet"].read_text(encoding="utf-8"),
        "markdown": md.read_text(encoding="utf-8"),
    }
    for fmt, text in texts.items():
        assert "<script" not in text and "<img" not in text and "<i>a" not in text, fmt
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text, fmt
    assert "mine.hostile" in texts["markdown"]
    for fmt in ("anki", "moodle", "sheet"):
        bare = texts[fmt].replace(WJ, "")
        assert "&lt;script&gt;" in bare and "\\x1b[2J" in bare, fmt
        shown = html.unescape(texts[fmt])
        assert "$$x" not in shown and "\\(y" not in shown, fmt  # MathJax cannot start there
    root = ET.fromstring(texts["moodle"].encode())  # ]]> split across CDATA sections
    for q in root.findall("question"):
        if (q.findtext("name/text") or "").startswith("mine.hostile:"):
            body = q.findtext("questiontext/text")
            assert "]]>" in html.unescape(body) and "{1:NUMERICAL" not in body
            assert q.get("type") == "truefalse"
        if (q.findtext("name/text") or "").startswith("mine.hostile-choice:"):
            opts = [plain(a.findtext("text")) for a in q.findall("answer")]
            assert "<i>a</i> }#~/" in opts
            assert [a.get("fraction") for a in q.findall("answer")].count("100") == 1


def test_progress_bar_only_on_a_terminal_for_a_slow_export(monkeypatch, tmp_path: Path) -> None:
    import io

    from rich.console import Console

    import dlstudy.export as export
    from dlstudy import output

    buffer = io.StringIO()
    monkeypatch.setitem(
        output._consoles, "err", Console(file=buffer, force_terminal=True, width=80)
    )
    monkeypatch.setattr(export, "PROGRESS_AFTER", -1.0)
    assert cli("export", "moodle", str(tmp_path / "q.xml"), "--section", "pooling").exit_code == 0
    assert "Moodle XML" in buffer.getvalue()
    buffer.truncate(0)
    buffer.seek(0)
    r = cli("export", "moodle", str(tmp_path / "q.xml"), "--section", "pooling", "--json")
    assert buffer.getvalue() == "" and json.loads(r.output)["format"] == "moodle"


def test_help_does_not_import_genanki() -> None:
    code = (
        "import sys\nfrom dlstudy.cli import main\n"
        "try:\n    main(['export', '--help'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr([m for m in ('genanki', 'numpy', 'sympy') if m in sys.modules]))\n"
    )
    r = subprocess.run(
        [os.sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env()
    )
    assert r.stderr.strip().endswith("[]"), r.stderr
