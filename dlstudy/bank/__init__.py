"""The question bank: templates as data (``question_bank/*.toml``), instantiated into questions.

::

    from dlstudy.bank import load_bank
    bank = load_bank(extra_dirs=["my_questions/"])
    q = bank.get("cnn.rf-stack").instantiate(seed=7)
    print(q.prompt); grade = q.grade("27")

Importing the package (and loading the bank from its cached index) imports neither numpy nor the
template code: the names of :mod:`dlstudy.bank.template` and :mod:`dlstudy.answers` below are
imported on first use, so that ``bank list``, ``stats`` and ``topics`` start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dlstudy.bank.loader import Bank, BankFile, load_bank, split_ref

if TYPE_CHECKING:
    from dlstudy.answers import AnswerError, Grade
    from dlstudy.bank.template import Question, Template, TemplateError, seed_for

_LAZY = {
    "AnswerError": "dlstudy.answers",
    "Grade": "dlstudy.answers",
    "Question": "dlstudy.bank.template",
    "Template": "dlstudy.bank.template",
    "TemplateError": "dlstudy.bank.template",
    "seed_for": "dlstudy.bank.template",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dlstudy.bank' has no attribute {name!r}")


__all__ = [
    "AnswerError",
    "Bank",
    "BankFile",
    "Grade",
    "Question",
    "Template",
    "TemplateError",
    "load_bank",
    "seed_for",
    "split_ref",
]
