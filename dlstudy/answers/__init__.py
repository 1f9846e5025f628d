"""Safe reading and grading of typed answers (no eval, no sympify of raw text).

``AnswerError`` (a :class:`~dlstudy.errors.DlstudyError`) means the input could not be read, and its
subclass ``AskAgain`` that it was read but is not gradable as given (too few digits): the caller
explains it and asks again; it is never counted as a wrong answer. The precision contract of numeric
answers is :mod:`dlstudy.answers.precision` (``Precision``, ``tolerance``).
"""

from __future__ import annotations

from dlstudy.answers.expr import evaluate, to_text
from dlstudy.answers.expr_syntax import AnswerError, AskAgain, Node, Parser
from dlstudy.answers.grade import KINDS, Expected, ExprMistake, Grade, grade_answer
from dlstudy.answers.reading import (
    Reading,
    read_bool,
    read_choice,
    read_expression,
    read_numeric,
    read_words,
)

__all__ = [
    "KINDS",
    "AnswerError",
    "AskAgain",
    "Expected",
    "ExprMistake",
    "Grade",
    "Node",
    "Parser",
    "Reading",
    "evaluate",
    "grade_answer",
    "read_bool",
    "read_choice",
    "read_expression",
    "read_numeric",
    "read_words",
    "to_text",
]
