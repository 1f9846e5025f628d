"""A tiny question bank with the interface of ``dlstudy.bank`` for the study/quiz tests.

Questions are sums of two integers (the wrong-method answer a - b is the named mistake "subtracted"),
a 2×2 matrix question and a choice question. ``install()`` makes ``dlstudy.ui.sessions.load_bank``
return this bank (used in-process and by the subprocess driver ``python tests/study_fakes.py ARGS``).
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dlstudy.errors import DlstudyError  # noqa: E402
from dlstudy.sections import SECTION_IDS  # noqa: E402


class FakeAnswerError(DlstudyError):
    pass


@dataclass
class FakeGrade:
    correct: bool
    read_as: str
    message: str = ""
    mistake: str | None = None
    mistake_feedback: str | None = None
    wrong_entries: list[Any] = field(default_factory=list)
    score: float = 0.0


def _rng(tid: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{tid}:{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class FakeQuestion:
    template: FakeTemplate
    seed: int
    prompt: str
    answer: Any
    answer_text: str
    hints: list[str]
    options: list[str] = field(default_factory=list)
    mistake_value: Any = None

    @property
    def ref(self) -> str:
        return f"{self.template.id}:{self.seed}"

    @property
    def params(self) -> dict[str, Any]:
        return {}

    def solution_text(self) -> str:
        return f"Worked solution of {self.ref}: the answer is {self.answer_text}."

    def grade(self, text: str) -> FakeGrade:
        t = text.strip()
        if self.template.kind == "choice":
            letter = t.lower().rstrip(")")
            if len(letter) != 1 or not ("a" <= letter < chr(ord("a") + len(self.options))):
                raise FakeAnswerError(
                    f"expected a letter a-{chr(ord('a') + len(self.options) - 1)}"
                )
            ok = letter == self.answer
            return FakeGrade(ok, f"read as: {letter})", score=float(ok))
        if self.template.kind == "matrix":
            try:
                rows = [[int(x) for x in r.split()] for r in t.split(";")]
            except ValueError:
                raise FakeAnswerError("expected a matrix like 1 2; 3 4") from None
            ok = rows == self.answer
            return FakeGrade(ok, f"read as: {rows}", score=float(ok))
        try:
            value = int(t)
        except ValueError:
            raise FakeAnswerError(f"'{t}' is not an integer") from None
        ok = value == self.answer
        mistake = None
        if not ok and value == self.mistake_value:
            mistake = "subtracted"
        return FakeGrade(
            ok,
            f"read as: {value}",
            "" if ok else f"expected {self.answer}",
            mistake,
            "you subtracted instead of adding" if mistake else None,
            score=float(ok),
        )


@dataclass
class FakeTemplate:
    id: str
    section: str
    difficulty: int = 1
    kind: str = "integer"
    title: str = "Add two integers"
    hints: list[str] = field(default_factory=lambda: ["Add them.", "a + b."])

    def instantiate(self, seed: int) -> FakeQuestion:
        rng = _rng(self.id, seed)
        if self.kind == "matrix":
            m = [[rng.randint(-3, 3) for _ in range(2)] for _ in range(2)]
            t = [[m[0][0], m[1][0]], [m[0][1], m[1][1]]]
            prompt = f"Transpose M =\n  {m[0]}\n  {m[1]}"
            text = "; ".join(" ".join(str(x) for x in r) for r in t)
            return FakeQuestion(self, seed, prompt, t, text, list(self.hints))
        if self.kind == "choice":
            options = ["σ(x)(1 − σ(x))", "1 − σ(x)", "σ(x)²"]
            rng.shuffle(options)
            letter = "abc"[options.index("σ(x)(1 − σ(x))")]
            return FakeQuestion(
                self, seed, "Which is σ'(x)?", letter, letter, list(self.hints), options
            )
        a, b = rng.randint(1, 50), rng.randint(1, 50)
        return FakeQuestion(
            self,
            seed,
            f"Compute a + b for a = {a}, b = {b}.",
            a + b,
            str(a + b),
            list(self.hints),
            mistake_value=a - b,
        )


class FakeBank:
    def __init__(self, templates: list[FakeTemplate] | None = None) -> None:
        if templates is None:
            templates = [
                FakeTemplate("fake.add1", "perceptron"),
                FakeTemplate("fake.add2", "perceptron", difficulty=2),
                FakeTemplate("fake.add3", "activations"),
                FakeTemplate(
                    "fake.transpose",
                    "convolution",
                    kind="matrix",
                    title="Transpose",
                    hints=["Swap rows and columns."],
                ),
                FakeTemplate("fake.choice", "activations", kind="choice", title="σ'", hints=[]),
                FakeTemplate("fake.add-rl", "mdp", difficulty=3),
            ]
        self.templates = {t.id: t for t in templates}
        self.problems: list[str] = []

    def get(self, tid: str) -> FakeTemplate:
        return self.templates[tid]

    def select(self, sections: Any = None, difficulty: Any = None) -> list[FakeTemplate]:
        """Like ``Bank.select``: in the order of the notes (section, difficulty, id)."""
        out = list(self.templates.values())
        if sections:
            out = [t for t in out if t.section in sections]
        if difficulty is not None:
            out = [t for t in out if t.difficulty == difficulty]
        return sorted(out, key=lambda t: (SECTION_IDS.index(t.section), t.difficulty, t.id))


def install() -> None:
    import dlstudy.ui.sessions as sessions

    sessions.load_bank = lambda extra_dirs=None: FakeBank()


if __name__ == "__main__":  # the CLI with the fake bank: python tests/study_fakes.py quiz ...
    install()
    from dlstudy.cli import main

    main(sys.argv[1:])
