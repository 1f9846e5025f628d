"""The question bank: templates as data (``question_bank/*.toml``), instantiated into questions.

::

    from dlstudy.bank import load_bank
    bank = load_bank(extra_dirs=["my_questions/"])
    q = bank.get("cnn.rf-stack").instantiate(seed=7)
    print(q.prompt); grade = q.grade("27")
"""

from __future__ import annotations

from dlstudy.answers import AnswerError, Grade
from dlstudy.bank.loader import Bank, BankFile, load_bank, split_ref
from dlstudy.bank.template import Question, Template, TemplateError, seed_for

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
