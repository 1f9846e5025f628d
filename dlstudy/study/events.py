"""What a study session answers each line with (:meth:`dlstudy.study.session.Session.handle`): the
events the terminal front end (:mod:`dlstudy.ui.runner`) renders. Plain data, free of I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlstudy.study.session import Item


@dataclass
class Answered:
    item: Item
    revised: bool = False  # an exam answer replacing an earlier one


@dataclass
class Invalid:
    message: str
    detail: str = ""
    heading: str = "Could not read that"


@dataclass
class Hint:
    text: str | None  # None: no hint left
    number: int
    total: int


@dataclass
class SolutionShown:
    item: Item


@dataclass
class Skipped:
    item: Item
    revised: bool = False  # an exam answer taken back


@dataclass
class Moved:
    """Exam: now at another question (``item``), or back from the overview."""

    item: Item


@dataclass
class Flagged:
    item: Item


@dataclass
class Overview:
    """Exam: the overview before handing in; ``reason`` is ``end``, ``quit`` or ``interrupt``."""

    reason: str


@dataclass
class HandedIn:
    pass


@dataclass
class Refused:
    message: str


@dataclass
class HelpShown:
    text: str


@dataclass
class Quit:
    pass


@dataclass
class TimeUp:
    pass


Event = (
    Answered
    | Invalid
    | Hint
    | SolutionShown
    | Skipped
    | Moved
    | Flagged
    | Overview
    | HandedIn
    | Refused
    | HelpShown
    | Quit
    | TimeUp
)
