"""Changing an entry: Anliegen, status, team, Ombudsstelle, acknowledgement, notes, bulk actions.

Plain functions on a session, given the acting user and ``now``. Each change of an entry bumps its
``updated_at`` and writes one audit event with ``{"field": [old, new]}`` in the same transaction;
the caller commits. The rules (``concern_problem``, ``status_problem``) are also what the forms
check, so a view and a service never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from admin.accounts.models import Team, User
from admin.inbox.models import Concern, Note, Topic
from admin.inbox.query import visible_to
from portal import rollup
from portal.audit import record
from portal.feedback import Feedback
from portal.text import clean_text
from portal.vocab import (
    AREA_REGISTER_LABELS,
    OPEN_STATUSES,
    Area,
    Assessment,
    ConcernKind,
    Kind,
    Role,
    Status,
)

MAX_CONCERNS = 3
MAX_NOTE = 5000


class TriageError(ValueError):
    """A change that cannot be made; the message (German) says why."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


@dataclass(frozen=True)
class ConcernInput:
    kind: ConcernKind
    area: Area | None = None
    topic_id: int | None = None
    assessment: Assessment | None = None


@dataclass(frozen=True)
class EntryChanges:
    """The entry form as values: the Anliegen in order, status, flag, and optionally the team."""

    concerns: Sequence[ConcernInput] = ()
    status: Status = Status.NEW
    ombudsstelle: bool = False
    team_id: int | None = field(default=UNCHANGED)  # UNCHANGED: leave the team as it is
    acknowledge: bool = False


# --- rules -------------------------------------------------------------------------------------


def concern_problem(kind: ConcernKind, assessment: Assessment | None) -> str | None:
    """Complaints need a Bewertung, other Anliegen have none; Dienstaufsicht is not assessable."""
    if kind in (ConcernKind.COMPLAINT, ConcernKind.SUPERVISORY) and assessment is None:
        return "Bitte wählen Sie eine Bewertung: Beschwerden werden bewertet."
    if kind == ConcernKind.CONDUCT and assessment != Assessment.NOT_ASSESSABLE:
        return "Eine Dienstaufsichtsbeschwerde wird als „nicht bewertbar“ abgeschlossen."
    if not kind.is_complaint and assessment is not None:
        return "Nur Beschwerden werden bewertet: Bitte lassen Sie die Bewertung leer."
    return None


def status_problem(status: Status, concern_count: int) -> str | None:
    if status == Status.DONE and concern_count == 0:
        return "Zum Abschließen braucht der Eintrag mindestens ein Anliegen (oder Status Spam)."
    return None


def acknowledge_problem(feedback: Feedback) -> str | None:
    if not feedback.wants_answer:
        return "Hier wurde keine Antwort gewünscht: Es gibt keinen Eingang zu bestätigen."
    if feedback.acknowledged_at is not None:
        return "Der Eingang ist bereits bestätigt."
    return None


# --- one entry ---------------------------------------------------------------------------------


def update_entry(
    session: Session, feedback: Feedback, changes: EntryChanges, *, actor: User, now: datetime
) -> dict[str, list]:
    """Apply the entry form; returns the recorded changes (empty if nothing changed)."""
    _check(session, feedback, changes, actor)
    before = rollup.of_entry(feedback)
    diff = _set_concerns(session, feedback, changes.concerns)
    diff |= _set_status(feedback, changes.status, now)
    diff |= _set_value(feedback, "ombudsstelle", changes.ombudsstelle)
    if changes.team_id is not UNCHANGED:
        diff |= _set_team(session, feedback, changes.team_id)
    if changes.acknowledge:
        diff |= _set_value(feedback, "acknowledged_at", now)
    _record(session, feedback, diff, "entry updated", actor=actor, now=now)
    if diff:
        rollup.changed(session, feedback, before)
    return diff


def _check(session: Session, feedback: Feedback, changes: EntryChanges, actor: User) -> None:
    if len(changes.concerns) > MAX_CONCERNS:
        raise TriageError(f"Höchstens {MAX_CONCERNS} Anliegen je Kundenreaktion.")
    problems = [concern_problem(c.kind, c.assessment) for c in changes.concerns]
    problems.append(status_problem(changes.status, len(changes.concerns)))
    if changes.acknowledge:
        problems.append(acknowledge_problem(feedback))
    if changes.team_id is not UNCHANGED and changes.team_id != feedback.team_id:
        problems.append(_team_problem(session, changes.team_id, actor))
    used = {c.topic_id for c in feedback.concerns}
    wanted = {c.topic_id for c in changes.concerns} - used - {None}
    if wanted and len(wanted & set(active_topic_ids(session))) < len(wanted):
        problems.append("Dieses Thema gibt es nicht (mehr).")
    for problem in problems:
        if problem:
            raise TriageError(problem)


def _team_problem(session: Session, team_id: int | None, actor: User) -> str | None:
    if actor.role != Role.KRM:
        return "Das Team kann nur das KRM ändern."
    if team_id is not None and not session.scalar(
        select(Team.id).where(Team.id == team_id, Team.active.is_(True))
    ):
        return "Dieses Team gibt es nicht (mehr)."
    return None


def active_topic_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Topic.id).where(Topic.active.is_(True))))


def _set_concerns(
    session: Session, feedback: Feedback, wanted: Sequence[ConcernInput]
) -> dict[str, list]:
    """Rewrite the Anliegen in place (positions 1..n): the (entry, position) key never clashes."""
    old = [concern_words(c) for c in feedback.concerns]
    current = list(feedback.concerns)
    for position, item in enumerate(wanted, start=1):
        if position <= len(current):
            concern = current[position - 1]
        else:
            concern = Concern(position=position)
            feedback.concerns.append(concern)
        concern.position, concern.kind, concern.area = position, item.kind, item.area
        concern.topic = session.get(Topic, item.topic_id) if item.topic_id else None
        concern.assessment = item.assessment
    for concern in current[len(wanted) :]:
        feedback.concerns.remove(concern)
    new = [concern_words(c) for c in feedback.concerns]
    return {"concerns": [old, new]} if old != new else {}


def _set_status(feedback: Feedback, status: Status, now: datetime) -> dict[str, list]:
    """``closed_at`` is set exactly while the entry is erledigt: closing sets it, others clear."""
    if feedback.status == status:
        return {}
    diff = _set_value(feedback, "status", status)
    diff |= _set_value(feedback, "closed_at", now if status == Status.DONE else None)
    return diff


def _set_team(session: Session, feedback: Feedback, team_id: int | None) -> dict[str, list]:
    if feedback.team_id == team_id:
        return {}
    old = feedback.team.name if feedback.team else None
    feedback.team = session.get(Team, team_id) if team_id is not None else None
    return {"team": [old, feedback.team.name if feedback.team else None]}


def _set_value(feedback: Feedback, name: str, value: Any) -> dict[str, list]:
    old = getattr(feedback, name)
    if old == value:
        return {}
    setattr(feedback, name, value)
    return {name: [_plain(old), _plain(value)]}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _record(
    session: Session,
    feedback: Feedback,
    diff: dict[str, list],
    action: str,
    *,
    actor: User,
    now: datetime,
) -> None:
    if not diff:
        return
    feedback.updated_at = now
    record(
        session,
        at=now,
        actor=actor.name,
        actor_id=actor.id,
        action=action,
        feedback_id=feedback.id,
        changes=diff,
    )


def concern_words(concern: Concern | ConcernInput) -> dict[str, str | None]:
    """An Anliegen as stored in the audit log: stored values, the topic by its name."""
    topic = getattr(concern, "topic", None)
    return {
        "kind": concern.kind.value,
        "area": concern.area.value if concern.area else None,
        "topic": topic.name if topic else None,
        "assessment": concern.assessment.value if concern.assessment else None,
    }


def acknowledge(session: Session, feedback: Feedback, *, actor: User, now: datetime) -> None:
    """The Eingangsbestätigung has been sent (only where an answer was requested)."""
    problem = acknowledge_problem(feedback)
    if problem:
        raise TriageError(problem)
    diff = _set_value(feedback, "acknowledged_at", now)
    _record(session, feedback, diff, "acknowledged", actor=actor, now=now)


def add_note(
    session: Session, feedback: Feedback, text: str, *, actor: User, now: datetime
) -> Note:
    text = clean_text(text)
    if not text:
        raise TriageError("Bitte schreiben Sie eine Notiz.")
    if len(text) > MAX_NOTE:
        raise TriageError(f"Eine Notiz hat höchstens {MAX_NOTE} Zeichen.")
    note = Note(text=text, author_id=actor.id, created_at=now)
    feedback.notes.append(note)
    _record(session, feedback, {"note": [None, text]}, "note added", actor=actor, now=now)
    return note


# --- bulk --------------------------------------------------------------------------------------


class BulkAction(StrEnum):
    SPAM = "spam"
    PRAISE = "lob"
    TEAM = "team"


BULK_LABELS = {
    BulkAction.SPAM: "Als Spam markieren",
    BulkAction.PRAISE: "Lob weitergegeben und erledigt",
    BulkAction.TEAM: "Team zuweisen",
}


@dataclass(frozen=True)
class BulkResult:
    changed: int
    skipped: int  # not visible to the user, not fitting the action, or already so


def bulk(
    session: Session,
    ids: Iterable[int],
    action: BulkAction,
    *,
    actor: User,
    now: datetime,
    team_id: int | None = None,
) -> BulkResult:
    """Apply one action to the selected entries the actor may see; one audit event per entry."""
    wanted = set(ids)
    if action == BulkAction.TEAM:
        problem = _team_problem(session, team_id, actor) or (
            None if team_id else "Bitte wählen Sie ein Team."
        )
        if problem:
            raise TriageError(problem)
    entries = session.scalars(
        select(Feedback)
        .where(Feedback.id.in_(wanted), *visible_to(actor))
        .options(selectinload(Feedback.concerns), selectinload(Feedback.team))
        .order_by(Feedback.id)
    ).all()
    changed = 0
    for feedback in entries:
        before = rollup.of_entry(feedback)
        if action == BulkAction.SPAM:
            diff = _set_status(feedback, Status.SPAM, now)
        elif action == BulkAction.PRAISE:
            diff = _pass_on_praise(session, feedback, actor=actor, now=now)
        else:
            diff = _set_team(session, feedback, team_id)
        _record(session, feedback, diff, f"bulk: {action.value}", actor=actor, now=now)
        if diff:
            rollup.changed(session, feedback, before)
        changed += bool(diff)
    return BulkResult(changed=changed, skipped=len(wanted) - changed)


def is_praise(feedback: Feedback) -> bool:
    """Open, and praise: every Anliegen is Lob, or (not yet classified) the citizen said Lob."""
    if feedback.status not in OPEN_STATUSES:
        return False
    if feedback.concerns:
        return all(concern.kind == ConcernKind.PRAISE for concern in feedback.concerns)
    return feedback.kind == Kind.PRAISE


def _pass_on_praise(
    session: Session, feedback: Feedback, *, actor: User, now: datetime
) -> dict[str, list]:
    if not is_praise(feedback):
        return {}
    diff = {}
    if not feedback.concerns:
        wanted = [ConcernInput(ConcernKind.PRAISE, area=feedback.area)]
        diff |= _set_concerns(session, feedback, wanted)
    diff |= _set_status(feedback, Status.DONE, now)
    text = f"Lob an {praise_recipient(feedback)} weitergegeben"
    feedback.notes.append(Note(text=text, author_id=actor.id, created_at=now))
    return diff | {"note": [None, text]}


def praise_recipient(feedback: Feedback) -> str:
    if feedback.team is not None:
        return feedback.team.name
    area = next((c.area for c in feedback.concerns if c.area), None) or feedback.area
    if area is not None:
        return f"den Bereich {AREA_REGISTER_LABELS[area]}"
    return "die Mitarbeitenden"
