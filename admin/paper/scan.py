"""Scan einlesen: store the clear cards of a scanned stack at once, queue the rest for review.

A card is stored at once ("gespeichert") only when its code was read, every box is clearly
ticked or clearly empty with at most one tick per row, a rating is ticked and nothing is written;
it goes through the capture form's service (deadlines, masking, the paper channel), without the
text duplicate check: a stack holds many cards of one code with the same ticks. What keeps a
stack from being stored twice is the page fingerprint: a page read before is skipped and says
when. Everything else waits in the review queue ("zur Prüfung") with its picture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from admin.paper.models import ScannedPage, ScanReview
from admin.paper.service import PaperCard, capture_paper_card
from cards import scan
from cards.scan import ReadCard, ScanError
from cards.services import find_card
from portal.audit import record
from portal.deadlines import BERLIN
from portal.submissions import Rules
from portal.vocab import Kind

STORED, REVIEW, NO_CARD, READ_BEFORE = (
    "gespeichert",
    "zur Prüfung",
    "keine Karte",
    "bereits eingelesen",
)
SCANNED = "paper card scanned"  # the audit action: "aus Scan erfasst"

__all__ = ["CardOutcome", "ScanError", "ScanReport", "scan_file"]


@dataclass
class CardOutcome:
    """One line of the summary, and one object of ``krm paper scan --json``."""

    page: int
    state: str
    code: str | None = None
    rating: int | None = None
    kind: str | None = None
    writing: bool = False
    entry: int | None = None
    review: int | None = None
    message: str | None = None  # German: why it waits for review, or what is wrong with a page

    def as_json(self) -> dict:
        shown = {
            "page": self.page,
            "code": self.code,
            "rating": self.rating,
            "kind": self.kind,
            "writing": self.writing,
            "state": self.state,
            "entry": self.entry,
        }
        if self.message:
            shown["message"] = self.message
        return shown


@dataclass
class ScanReport:
    pages: int = 0
    outcomes: list[CardOutcome] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(outcome.state == state for outcome in self.outcomes)

    @property
    def cards(self) -> int:
        return self.count(STORED) + self.count(REVIEW)

    def summary(self) -> str:
        """The German summary line."""
        parts = [
            f"{self.cards} {'Karte' if self.cards == 1 else 'Karten'} gefunden",
            f"{self.count(STORED)} gespeichert",
            f"{self.count(REVIEW)} zur Prüfung",
            f"{self.count(NO_CARD)} {'Seite' if self.count(NO_CARD) == 1 else 'Seiten'} ohne Karte",
        ]
        if self.count(READ_BEFORE):
            parts.append(f"{self.count(READ_BEFORE)} bereits eingelesen")
        return ", ".join(parts) + "."


def scan_file(
    session: Session,
    data: bytes,
    *,
    received_on: date,
    actor: str,
    now: datetime,
    rules: Rules,
    actor_id: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ScanReport:
    """Read a scanned file and store or queue its cards; the caller commits.

    Raises ScanError (German) for a file that cannot be read at all; a page that fails is
    reported in its place and the others are kept. ``progress(done, pages)`` after each page.
    With ``dry_run`` nothing is stored or queued.
    """
    today = now.astimezone(BERLIN).date()
    if received_on > today:
        raise ScanError(f"Das Eingangsdatum liegt in der Zukunft (heute ist {today:%d.%m.%Y}).")
    source = scan.open_file(data)
    report = ScanReport(pages=source.count)
    for number, page in enumerate(scan.read_pages(source), 1):
        report.outcomes += _page(session, page, received_on, actor, actor_id, now, rules, dry_run)
        if progress:
            progress(number, source.count)
    return report


def _page(session, page, received_on, actor, actor_id, now, rules, dry_run) -> list[CardOutcome]:
    if page.fingerprint:
        before = session.scalar(
            select(ScannedPage.read_at).where(ScannedPage.fingerprint == page.fingerprint)
        )
        if before is not None:
            day = before.astimezone(BERLIN).strftime("%d.%m.%Y")
            message = f"Seite {page.page}: bereits am {day} eingelesen, nichts neu gespeichert."
            return [CardOutcome(page.page, READ_BEFORE, message=message)]
    if not page.cards:
        return [CardOutcome(page.page, NO_CARD, message=page.error)]
    outcomes = [
        _card(session, card, received_on, actor, actor_id, now, rules, dry_run)
        for card in page.cards
    ]
    if page.error:  # a card of the page that could not be read: the officer types it in
        outcomes.append(CardOutcome(page.page, NO_CARD, message=page.error))
    if not dry_run:
        session.add(ScannedPage(fingerprint=page.fingerprint, read_at=now, cards=len(page.cards)))
        session.flush()
    return outcomes


def _card(session, card: ReadCard, received_on, actor, actor_id, now, rules, dry_run):
    outcome = CardOutcome(card.page, STORED, card.code, card.rating, card.kind, card.writing)
    reasons = list(card.reasons)
    known = card.code is not None and find_card(session, card.code) is not None
    if card.code and not known:
        reasons.append(f"Eine Karte mit dem Code „{card.code}“ gibt es nicht.")
    if not reasons:
        if not dry_run:
            outcome.entry = _store(session, card, received_on, actor, actor_id, now, rules)
        return outcome
    outcome.state = REVIEW
    outcome.message = " ".join(reasons)
    certain = card.certain
    if not certain.get("rating"):
        outcome.rating = None
    if not certain.get("kind"):
        outcome.kind = None
    if not dry_run:
        outcome.review = _queue(session, card, reasons, received_on, now, known)
    return outcome


def _store(session, card: ReadCard, received_on, actor, actor_id, now, rules) -> int:
    stored = capture_paper_card(
        session,
        PaperCard(
            received_on=received_on,
            card_code=card.code,
            rating=card.rating,
            kind=Kind(card.kind) if card.kind else None,
        ),
        actor=actor,
        actor_id=actor_id,
        now=now,
        rules=rules,
        action=SCANNED,
        check_duplicates=False,
    )
    return stored.feedback_id


def _queue(session, card: ReadCard, reasons, received_on, now, known: bool) -> int:
    uncertain = [name for name, sure in card.certain.items() if not sure]
    if card.code and not known and "code" not in uncertain:
        uncertain.append("code")
    boxes = {row: [scan.box_state(ink) for ink in inks] for row, inks in card.inks.items() if inks}
    review = ScanReview(
        created_at=now,
        received_on=received_on,
        page=card.page,
        code=card.code,
        rating=card.rating if card.certain.get("rating") else None,
        kind=card.kind if card.certain.get("kind") else None,
        writing=card.writing or not card.certain.get("writing"),
        uncertain=",".join(uncertain),
        reasons="\n".join(reasons),
        boxes=json.dumps(boxes),
        layout=card.layout,
        fingerprint=card.fingerprint,
        picture=card.picture or None,
    )
    session.add(review)
    session.flush()
    return review.id


# The review queue ------------------------------------------------------------------------------


def next_review(session: Session) -> ScanReview | None:
    return session.scalars(select(ScanReview).order_by(ScanReview.id).limit(1)).first()


def waiting(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ScanReview)) or 0


def save_review(
    session: Session,
    review: ScanReview,
    entry: PaperCard,
    *,
    actor: str,
    now: datetime,
    rules: Rules,
    actor_id: int | None = None,
) -> int:
    """Store the card as the officer corrected it and forget the picture; the caller commits."""
    stored = capture_paper_card(
        session,
        entry,
        actor=actor,
        actor_id=actor_id,
        now=now,
        rules=rules,
        action=SCANNED,
        check_duplicates=False,
    )
    session.delete(review)
    session.flush()
    return stored.feedback_id


def discard_review(
    session: Session, review: ScanReview, *, actor: str, now: datetime, actor_id=None
):
    """Drop a queued card and its picture (e.g. not a card at all); the caller commits."""
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action="scanned card discarded",
        subject=f"card:{review.code}" if review.code else None,
        changes={"page": review.page},
    )
    session.delete(review)
    session.flush()


def purge_reviews(session: Session, *, now: datetime, days: int, dry_run: bool = False) -> int:
    """Delete the queued cards (and their pictures) older than ``days``; returns how many."""
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"KRM_SCAN_RETENTION_DAYS muss eine ganze Zahl ab 1 sein, nicht {days!r}.")
    cutoff = now - timedelta(days=days)
    old = select(func.count()).select_from(ScanReview).where(ScanReview.created_at < cutoff)
    count = session.scalar(old) or 0
    if count and not dry_run:
        session.execute(delete(ScanReview).where(ScanReview.created_at < cutoff))
        record(
            session,
            at=now,
            actor="krm (CLI)",
            action="scans purged",
            changes={"reviews": count, "days": days},
        )
    return count
