"""Progress figures computed from the store's rows: the ones ``dlstudy stats``, ``dlstudy topics``, a
session's summary and an exam report all print (one set of figures).

Definitions:

* a *question* of a session is one it asked and that ended: answered, given up with the solution shown,
  skipped, or (in an exam) left blank at the hand-in, which is stored as skipped;
* an *attempt* is a question answered or given up with the solution (skips and blanks are not attempts;
  they are counted and shown as such);
* *accuracy* = right / attempts; a session's *score* = sum of the answers' scores (partial credit) /
  questions, the figure its summary and its exam report print;
* *mastery*: see :mod:`dlstudy.study.mastery` (predicted chance of a right answer on the horizon);
* *retrievability* of a section: mean FSRS retrievability now of its templates seen (memory alone);
* *time spent*: the real duration of the sessions (start to end), not the sum of answer times;
* a *leech* is a template failed (answered wrong, or solution shown) at least ``LEECH_FAILURES`` times;
* *mistakes*: the named mistakes recognised in the answers, by their description, with where they
  happen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from dlstudy.sections import SECTION_IDS, TITLES
from dlstudy.study import mastery as mastery_mod
from dlstudy.study import schedule
from dlstudy.study.schema import parse_ts

#: A template failed this many times is a leech (Anki's default threshold is 8; the exam is close).
LEECH_FAILURES = 6


@dataclass
class SectionStats:
    section: str
    title: str
    attempts: int = 0
    correct: int = 0
    skipped: int = 0
    solutions: int = 0
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
class SessionLine:
    """One session of the history, dated: what its summary or exam report said."""

    session: int | None
    mode: str
    started: str  # ISO 8601, UTC
    questions: int = 0
    attempts: int = 0
    correct: int = 0
    skipped: int = 0
    solutions: int = 0
    score: float = 0.0
    seconds: float = 0.0
    ended_by: str | None = None

    @property
    def fraction(self) -> float:
        return self.score / self.questions if self.questions else 0.0

    @property
    def date(self) -> str:
        return parse_ts(self.started).astimezone().strftime("%Y-%m-%d %H:%M")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["date"] = self.date
        out["score"] = round(self.score, 4)
        out["fraction"] = self.fraction
        out["seconds"] = round(self.seconds, 1)
        return out


@dataclass
class MistakeStats:
    name: str
    description: str
    count: int
    templates: list[tuple[str, int]] = field(default_factory=list)  # (id, times), most first
    last: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["templates"] = [{"template": t, "count": n} for t, n in self.templates]
        return out


@dataclass
class Stats:
    attempts: int
    correct: int
    skipped: int
    solutions: int
    seconds: float
    sections: list[SectionStats]
    weakest: list[str]
    history: list[SessionLine]
    horizon: datetime
    mistakes: list[MistakeStats] = field(default_factory=list)
    leeches: list[tuple[str, int]] = field(default_factory=list)
    template_mastery: dict[str, float] = field(default_factory=dict)
    due_now: int = 0
    cards: int = 0
    store: str = ""
    damaged: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "skipped": self.skipped,
            "solutions_shown": self.solutions,
            "seconds": round(self.seconds, 1),
            "cards": self.cards,
            "due_now": self.due_now,
            "horizon": self.horizon.astimezone().date().isoformat(),
            "sections": [s.to_json() for s in self.sections],
            "weakest": self.weakest,
            "mistakes": [m.to_json() for m in self.mistakes],
            "leeches": [{"template": t, "failures": n} for t, n in self.leeches],
            "history": [h.to_json() for h in self.history],
            "damaged_rows": self.damaged,
            "store": self.store,
        }


def _section_order(section: str) -> int:
    return SECTION_IDS.index(section) if section in SECTION_IDS else len(SECTION_IDS)


def failures(attempts: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Per template, the answers that were wrong or gave up with the solution."""
    out: dict[str, int] = {}
    for row in attempts:
        if not row.get("skipped") and (not row.get("correct") or row.get("solution_shown")):
            out[row["template"]] = out.get(row["template"], 0) + 1
    return out


def leeches(attempts: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """Templates failed at least ``LEECH_FAILURES`` times, most failed first."""
    out = [(t, n) for t, n in failures(attempts).items() if n >= LEECH_FAILURES]
    return sorted(out, key=lambda x: (-x[1], x[0]))


def mistakes(attempts: Sequence[Mapping[str, Any]]) -> list[MistakeStats]:
    """The named mistakes made, most frequent first, with the templates where they happen."""
    found: dict[str, MistakeStats] = {}
    where: dict[str, dict[str, int]] = {}
    for row in attempts:
        name = row.get("misconception")
        if not name:
            continue
        m = found.setdefault(name, MistakeStats(name, _describe(name), 0))
        m.count += 1
        m.last = max(m.last, row["ts"])
        if row.get("mistake_text"):
            m.description = str(row["mistake_text"])
        counts = where.setdefault(name, {})
        counts[row["template"]] = counts.get(row["template"], 0) + 1
    for name, m in found.items():
        m.templates = sorted(where[name].items(), key=lambda x: (-x[1], x[0]))
    return sorted(found.values(), key=lambda m: (-m.count, m.name))


def _describe(name: str) -> str:
    """A readable fallback for a mistake stored without its description (before schema 3)."""
    return name.replace("-", " ").replace("_", " ")


def compute(
    attempts: Sequence[Mapping[str, Any]],
    cards: Mapping[str, schedule.Card],
    *,
    bank_sections: Mapping[str, str] | None = None,
    sessions: Sequence[Mapping[str, Any]] = (),
    when: datetime | None = None,
    at: datetime | None = None,
    all_sections: bool = False,
) -> Stats:
    """Aggregate the store's rows (already checked: damaged rows are not among them).

    ``bank_sections`` maps template id → section for every template in the bank (for template counts,
    mastery, and attempts stored without a section by schema version 1); ``at`` is the mastery horizon
    (default: 7 days after ``when``).
    """
    when = when or schedule.now_utc()
    at = at or mastery_mod.horizon(None, when)
    bank_sections = dict(bank_sections or {})
    per: dict[str, SectionStats] = {}

    def get(section: str) -> SectionStats:
        if section not in per:
            per[section] = SectionStats(section, TITLES.get(section, section))
        return per[section]

    template_section: dict[str, str] = dict(bank_sections)
    total = right = skipped = solutions = 0
    for row in attempts:
        section = row.get("section") or bank_sections.get(row["template"]) or "unknown"
        template_section.setdefault(row["template"], section)
        s = get(section)
        s.last_seen = max(s.last_seen or "", row["ts"])
        s.seconds += float(row.get("seconds") or 0.0)
        if row.get("skipped"):
            s.skipped += 1
            skipped += 1
            continue
        s.attempts += 1
        total += 1
        if row.get("solution_shown"):
            s.solutions += 1
            solutions += 1
        if row.get("correct") and not row.get("solution_shown"):
            s.correct += 1
            right += 1

    p = mastery_mod.masteries(list(attempts), cards, template_section, at)
    recall: dict[str, list[float]] = {}
    for template, card in cards.items():
        section = template_section.get(template, "unknown")
        recall.setdefault(section, []).append(schedule.retrievability(card, when))
    in_bank: dict[str, list[str]] = {}
    for template, section in bank_sections.items():
        in_bank.setdefault(section, []).append(template)

    wanted = set(per) | set(recall) | (set(SECTION_IDS) if all_sections else set())
    for section in wanted:
        s = get(section)
        values = recall.get(section, [])
        s.seen_templates = len(values)
        s.retrievability = sum(values) / len(values) if values else None
        if bank_sections:
            members = in_bank.get(section, [])
            s.templates = len(members)
            s.mastery = sum(p[t] for t in members) / len(members) if members else None
        else:
            members = [t for t, sec in template_section.items() if sec == section]
            s.mastery = sum(p[t] for t in members) / len(members) if members else None
    sections = sorted(per.values(), key=lambda s: (_section_order(s.section), s.section))

    history = session_history(attempts, sessions, when)
    unsessioned = sum(
        float(r.get("seconds") or 0.0) for r in attempts if r.get("session_id") is None
    )
    return Stats(
        attempts=total,
        correct=right,
        skipped=skipped,
        solutions=solutions,
        seconds=sum(h.seconds for h in history if h.session is not None) + unsessioned,
        sections=sections,
        weakest=weakest(sections),
        history=history,
        horizon=at,
        mistakes=mistakes(attempts),
        leeches=leeches(attempts),
        template_mastery=p,
        due_now=sum(1 for c in cards.values() if c.due <= when),
        cards=len(cards),
    )


def weakest(sections: Sequence[SectionStats], k: int = 3) -> list[str]:
    """Up to ``k`` practised sections that need work most: lowest mastery, then lowest accuracy."""
    practised = [s for s in sections if s.attempts]
    weak = [s for s in practised if (s.mastery or 0.0) < 0.9]
    weak.sort(key=lambda s: (s.mastery or 0.0, s.accuracy or 0.0, -s.attempts))
    return [s.section for s in weak[:k]]


def session_history(
    attempts: Sequence[Mapping[str, Any]],
    sessions: Sequence[Mapping[str, Any]],
    when: datetime | None = None,
) -> list[SessionLine]:
    """One dated line per session that asked at least one question, oldest first. Attempts stored
    without a session (schema 1) form one line per local day."""
    when = when or schedule.now_utc()
    known = {s["id"]: s for s in sessions}
    lines: dict[Any, SessionLine] = {}
    last: dict[Any, str] = {}
    for row in attempts:
        sid = row.get("session_id")
        if sid is not None and sid in known:
            key: Any = sid
            line = lines.get(key)
            if line is None:
                s = known[sid]
                line = lines[key] = SessionLine(
                    sid, s["mode"], s["started"], ended_by=s["ended_by"]
                )
        else:
            day = parse_ts(row["ts"]).astimezone().date().isoformat()
            key = ("day", day)
            line = lines.get(key)
            if line is None:
                line = lines[key] = SessionLine(None, row.get("mode") or "quiz", row["ts"])
        line.questions += 1
        line.score += float(row.get("score") or 0.0) if not row.get("solution_shown") else 0.0
        last[key] = max(last.get(key, ""), row["ts"])
        if row.get("skipped"):
            line.skipped += 1
            continue
        line.attempts += 1
        line.solutions += int(bool(row.get("solution_shown")))
        line.correct += int(bool(row.get("correct")) and not row.get("solution_shown"))
        if line.session is None:
            line.seconds += float(row.get("seconds") or 0.0)
    for key, line in lines.items():
        if line.session is None:
            continue
        s = known[line.session]
        if s.get("seconds") is not None:
            line.seconds = float(s["seconds"])
        else:  # still running (or ended by an older dlstudy): up to its end, or its last answer
            end = parse_ts(s["ended"]) if s.get("ended") else parse_ts(last[key])
            line.seconds = max(0.0, (end - parse_ts(s["started"])).total_seconds())
    return sorted(lines.values(), key=lambda h: (h.started, h.session or 0))
