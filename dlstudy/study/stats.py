"""Progress figures computed from the store: per-section accuracy, attempts, last seen, FSRS
retrievability and mastery, the weakest sections, and accuracy over time.

Definitions (the ones ``dlstudy stats`` and ``dlstudy topics`` print):

* an *attempt* is a question answered or given up on with the solution (skips are not attempts);
* *accuracy* = right / attempts;
* *retrievability* of a section = mean FSRS retrievability (``Scheduler.get_card_retrievability``) of
  the section's templates seen so far;
* *mastery* of a section = mean retrievability over all of the section's templates in the bank,
  unseen ones counting 0: the expected fraction of the section recalled today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from dlstudy.sections import SECTION_IDS, TITLES
from dlstudy.study import schedule


@dataclass
class SectionStats:
    section: str
    title: str
    attempts: int = 0
    correct: int = 0
    skipped: int = 0
    seconds: float = 0.0
    last_seen: str | None = None
    seen_templates: int = 0
    templates: int | None = None
    retrievability: float | None = None
    mastery: float | None = None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["accuracy"] = self.accuracy
        out["seconds"] = round(self.seconds, 1)
        return out


@dataclass
class Bucket:
    """Accuracy of one period (a day, or a session when everything happened on one day)."""

    label: str
    attempts: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "attempts": self.attempts,
            "correct": self.correct,
            "accuracy": self.accuracy,
        }


@dataclass
class Stats:
    attempts: int
    correct: int
    skipped: int
    seconds: float
    sections: list[SectionStats]
    weakest: list[str]
    history: list[Bucket]
    history_unit: str  # "day" | "session"
    due_now: int = 0
    cards: int = 0
    store: str = ""

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 1),
            "cards": self.cards,
            "due_now": self.due_now,
            "sections": [s.to_json() for s in self.sections],
            "weakest": self.weakest,
            "history_unit": self.history_unit,
            "history": [b.to_json() for b in self.history],
            "store": self.store,
        }


def _section_order(section: str) -> int:
    return SECTION_IDS.index(section) if section in SECTION_IDS else len(SECTION_IDS)


def compute(
    attempts: Sequence[Mapping[str, Any]],
    cards: Mapping[str, schedule.Card],
    *,
    bank_sections: Mapping[str, str] | None = None,
    when: datetime | None = None,
    all_sections: bool = False,
) -> Stats:
    """Aggregate the store's rows.

    ``bank_sections`` maps template id → section for every template in the bank (for template counts,
    mastery, and attempts stored without a section by schema version 1).
    """
    when = when or schedule.now_utc()
    bank_sections = dict(bank_sections or {})
    per: dict[str, SectionStats] = {}

    def get(section: str) -> SectionStats:
        if section not in per:
            per[section] = SectionStats(section, TITLES.get(section, section))
        return per[section]

    template_section: dict[str, str] = dict(bank_sections)
    total = right = skipped = 0
    seconds = 0.0
    for row in attempts:
        section = row.get("section") or bank_sections.get(row["template"]) or "unknown"
        template_section.setdefault(row["template"], section)
        s = get(section)
        s.last_seen = max(s.last_seen or "", row["ts"])
        s.seconds += float(row.get("seconds") or 0.0)
        seconds += float(row.get("seconds") or 0.0)
        if row.get("skipped"):
            s.skipped += 1
            skipped += 1
            continue
        s.attempts += 1
        total += 1
        if row.get("correct"):
            s.correct += 1
            right += 1

    recall: dict[str, list[float]] = {}
    for template, card in cards.items():
        section = template_section.get(template, "unknown")
        recall.setdefault(section, []).append(schedule.retrievability(card, when))
    counts: dict[str, int] = {}
    for section in bank_sections.values():
        counts[section] = counts.get(section, 0) + 1

    wanted = set(per) | set(recall) | (set(SECTION_IDS) if all_sections else set())
    for section in wanted:
        s = get(section)
        values = recall.get(section, [])
        s.seen_templates = len(values)
        s.retrievability = sum(values) / len(values) if values else None
        if bank_sections:
            s.templates = counts.get(section, 0)
            s.mastery = sum(values) / s.templates if s.templates else None
        elif values:
            s.mastery = s.retrievability
    sections = sorted(per.values(), key=lambda s: (_section_order(s.section), s.section))

    due_now = sum(1 for c in cards.values() if c.due <= when)
    history, unit = history_buckets(attempts)
    return Stats(
        attempts=total,
        correct=right,
        skipped=skipped,
        seconds=seconds,
        sections=sections,
        weakest=weakest(sections),
        history=history,
        history_unit=unit,
        due_now=due_now,
        cards=len(cards),
    )


def weakest(sections: Sequence[SectionStats], k: int = 3) -> list[str]:
    """Up to ``k`` practised sections that need work most: lowest accuracy, then lowest recall."""
    practised = [s for s in sections if s.attempts]
    weak = [
        s
        for s in practised
        if (s.accuracy or 0.0) < 1.0 or (s.retrievability is not None and s.retrievability < 0.9)
    ]
    weak.sort(key=lambda s: (s.accuracy or 0.0, s.retrievability or 0.0, -s.attempts))
    return [s.section for s in weak[:k]]


def history_buckets(
    attempts: Sequence[Mapping[str, Any]], max_buckets: int = 30
) -> tuple[list[Bucket], str]:
    """Accuracy per local day (the last ``max_buckets`` days with attempts); per session when all
    attempts fall on one day."""
    answered = [r for r in attempts if not r.get("skipped")]
    days: dict[str, Bucket] = {}
    for row in answered:
        day = datetime.fromisoformat(row["ts"]).astimezone().date().isoformat()
        b = days.setdefault(day, Bucket(day))
        b.attempts += 1
        b.correct += int(bool(row.get("correct")))
    if len(days) >= 2:
        return list(days.values())[-max_buckets:], "day"
    sessions: dict[Any, Bucket] = {}
    for row in answered:
        key = row.get("session_id")
        b = sessions.setdefault(key, Bucket(f"#{len(sessions) + 1}"))
        b.attempts += 1
        b.correct += int(bool(row.get("correct")))
    return list(sessions.values())[-max_buckets:], "session"
