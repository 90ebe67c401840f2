"""Bringing Google reviews in: the API sync and the Takeout import share one upsert.

Each review becomes a ``Feedback`` entry (channel soziale Medien, rating from the stars, the
comment masked) through ``portal.submissions``. A review edited on Google updates its entry
instead of adding one; a review missing from a complete listing is marked removed, never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.google.client import GoogleClient, GoogleError
from admin.google.models import GoogleReview
from cards.models import Location
from portal import rollup
from portal.audit import record
from portal.privacy import mask_personal_data
from portal.progress import Track, counted, quiet
from portal.submissions import Rules, Submission, submit_feedback
from portal.vocab import Channel

# Two syncs at once (cron and the button) may both add the same new review; one of them loses.
CONCURRENT_SYNC = (
    "Ein anderer Abgleich mit Google lief gleichzeitig und hat dieselben Rezensionen gespeichert. "
    "Bitte wiederholen Sie den Abgleich."
)
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
LANGUAGE = "de"


class ReviewFormatError(ValueError):
    """A review that does not have the shape Google documents."""


@dataclass(frozen=True)
class ReviewData:
    """One review as Google describes it, checked and parsed."""

    name: str
    location: str
    review_id: str
    stars: int
    anonymous: bool
    reviewer_name: str | None
    comment: str | None
    created_at: datetime
    updated_at: datetime
    reply_text: str | None
    reply_updated_at: datetime | None


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    restored: int = 0
    names_erased: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        parts = [
            f"{self.added} neu",
            f"{self.updated} geändert",
            f"{self.unchanged} unverändert",
            f"{self.removed} bei Google entfernt",
        ]
        if self.restored:
            parts.append(f"{self.restored} wieder aufgetaucht")
        return "Rezensionen: " + ", ".join(parts) + "."


@dataclass(frozen=True)
class SyncContext:
    """What storing a review needs besides the review: who, when, and the installation's rules."""

    now: datetime
    actor: str
    actor_id: int | None = None
    rules: Rules = field(default_factory=Rules)
    location_map: Mapping[str, str] = field(default_factory=dict)  # locations/… → Location.code
    name_retention: timedelta = timedelta(days=30)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, now: datetime, actor: str, actor_id: int | None = None
    ) -> SyncContext:
        return cls(
            now=now,
            actor=actor,
            actor_id=actor_id,
            rules=Rules.from_config(config),
            location_map=dict(config.get("GOOGLE_LOCATION_MAP") or {}),
            name_retention=timedelta(days=int(config.get("GOOGLE_NAME_RETENTION_DAYS", 30))),
        )


# --- parsing ----------------------------------------------------------------------------------


def parse_review(item: Any, *, location: str | None = None) -> ReviewData:
    """Check one review object; the location comes from its ``name`` unless given."""
    if not isinstance(item, dict):
        raise ReviewFormatError("ist kein JSON-Objekt")
    name = _text(item.get("name"))
    review_id = _text(item.get("reviewId")) or (name.rsplit("/", 1)[-1] if name else None)
    if not review_id:
        raise ReviewFormatError("reviewId fehlt")
    location = location or _location_from_name(name)
    if not location:
        raise ReviewFormatError("Standort (locations/…) fehlt im Feld name")
    stars = STARS.get(str(item.get("starRating", "")))
    if stars is None:
        raise ReviewFormatError(f"starRating „{item.get('starRating')}“ ist nicht ONE bis FIVE")
    reviewer = item.get("reviewer") if isinstance(item.get("reviewer"), dict) else {}
    anonymous = bool(reviewer.get("isAnonymous")) or not _text(reviewer.get("displayName"))
    created = _time(item.get("createTime"), "createTime")
    reply = item.get("reviewReply") if isinstance(item.get("reviewReply"), dict) else None
    reply_text = _text(reply.get("comment")) if reply else None
    return ReviewData(
        name=name or f"{location}/reviews/{review_id}",
        location=location,
        review_id=review_id,
        stars=stars,
        anonymous=anonymous,
        reviewer_name=None if anonymous else _text(reviewer.get("displayName")),
        comment=_text(item.get("comment")),
        created_at=created,
        updated_at=_time(item.get("updateTime"), "updateTime")
        if item.get("updateTime")
        else created,
        reply_text=reply_text,
        reply_updated_at=(
            _time(reply.get("updateTime"), "reviewReply.updateTime")
            if reply_text and reply.get("updateTime")
            else None
        ),
    )


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _location_from_name(name: str | None) -> str | None:
    parts = (name or "").split("/")
    for index, part in enumerate(parts[:-1]):
        if part == "locations" and parts[index + 1]:
            return f"locations/{parts[index + 1]}"
    return None


def _time(value: Any, field_name: str) -> datetime:
    if not isinstance(value, str):
        raise ReviewFormatError(f"{field_name} fehlt")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ReviewFormatError(f"{field_name} „{value}“ ist kein Zeitpunkt") from error
    if moment.tzinfo is None:
        raise ReviewFormatError(f"{field_name} „{value}“ hat keine Zeitzone")
    return moment


# --- storing -----------------------------------------------------------------------------------


def store_review(session: Session, data: ReviewData, context: SyncContext) -> str:
    """Add or update one review; returns "added", "updated", "restored" or "unchanged"."""
    review = session.scalars(
        select(GoogleReview)
        .where(GoogleReview.location == data.location)
        .where(GoogleReview.review_id == data.review_id)
    ).one_or_none()
    if review is None:
        _add(session, data, context)
        return "added"
    outcome = "unchanged"
    if review.removed_at is not None:
        review.removed_at = None
        _audit(session, review, context, "google: review restored")
        outcome = "restored"
    if _update_entry(session, review, data, context):
        outcome = "updated"
    review.name = data.name
    review.anonymous = data.anonymous
    review.updated_at = max(review.updated_at, data.updated_at)
    review.synced_at = context.now
    if data.reply_text != review.reply_text:
        review.reply_text = data.reply_text
        review.reply_updated_at = data.reply_updated_at if data.reply_text else None
    _keep_name(review, data, context)
    return outcome


def _add(session: Session, data: ReviewData, context: SyncContext) -> GoogleReview:
    stored = submit_feedback(
        session,
        Submission(
            channel=Channel.SOCIAL_MEDIA,
            language=LANGUAGE,
            rating=data.stars,
            text=data.comment,
            location_id=_location_id(session, data.location, context.location_map),
            writer_names=_writer_names(data),
        ),
        now=context.now,
        rules=context.rules,
        received_at=data.created_at,
        check_duplicates=False,
    )
    review = GoogleReview(
        name=data.name,
        location=data.location,
        review_id=data.review_id,
        feedback_id=stored.feedback_id,
        stars=data.stars,
        anonymous=data.anonymous,
        created_at=data.created_at,
        updated_at=data.updated_at,
        first_seen_at=context.now,
        synced_at=context.now,
        reply_text=data.reply_text,
        reply_updated_at=data.reply_updated_at if data.reply_text else None,
    )
    _keep_name(review, data, context)
    session.add(review)
    session.flush()
    return review


def _update_entry(
    session: Session, review: GoogleReview, data: ReviewData, context: SyncContext
) -> bool:
    """Carry an edit on Google into the entry: stars and text; True if anything changed.

    Only a newer ``updateTime`` counts as an edit: an older snapshot (a Takeout file) changes
    nothing, and text purged from the entry after the retention period is not brought back,
    not even by a later edit on Google (admin.retention.service).
    """
    if data.updated_at <= review.updated_at and data.stars == review.stars:
        return False
    feedback = review.feedback
    masked = mask_personal_data(data.comment, names=_writer_names(data)) if data.comment else None
    text = masked.text if masked else None
    changes: dict[str, Any] = {}
    if review.stars != data.stars or feedback.rating != data.stars:
        changes["rating"] = [feedback.rating, data.stars]
        before = rollup.of_entry(feedback)
        review.stars = data.stars
        feedback.rating = data.stars
        rollup.changed(session, feedback, before)
    if feedback.purged_at is None and feedback.text != text:
        changes["text_changed"] = True
        feedback.text = text
        feedback.text_masked = bool(masked and masked.masked)
    if not changes:
        return False
    feedback.updated_at = context.now  # the weekly export sees the entry as changed
    _audit(session, review, context, "google: review edited", changes)
    return True


def _writer_names(data: ReviewData) -> tuple[str, ...]:
    """The reviewer's display name, masked in the comment like any other sign of the writer."""
    return (data.reviewer_name,) if data.reviewer_name else ()


def _keep_name(review: GoogleReview, data: ReviewData, context: SyncContext) -> None:
    """The name serves only the reply's {name}: not kept once answered or past retention."""
    keep = (
        not data.anonymous
        and review.reply_text is None
        and context.now - review.first_seen_at < context.name_retention
    )
    review.reviewer_name = data.reviewer_name if keep else None


def _location_id(session: Session, location: str, location_map: Mapping[str, str]) -> int | None:
    code = location_map.get(location)
    if not code:
        return None
    code = code.strip().upper()  # location codes are stored upper-case (cards.services)
    return session.scalars(select(Location.id).where(Location.code == code)).first()


def _audit(
    session: Session,
    review: GoogleReview,
    context: SyncContext,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        at=context.now,
        actor=context.actor,
        actor_id=context.actor_id,
        action=action,
        feedback_id=review.feedback_id,
        subject=f"{review.location}/reviews/{review.review_id}"[:120],
        changes=changes,
    )


def mark_removed(
    session: Session, location: str, present: Iterable[str], context: SyncContext
) -> int:
    """Mark the reviews of a location that a complete listing no longer shows."""
    present = set(present)
    missing = session.scalars(
        select(GoogleReview)
        .where(GoogleReview.location == location)
        .where(GoogleReview.removed_at.is_(None))
    )
    count = 0
    for review in missing:
        if review.review_id not in present:
            review.removed_at = context.now
            _audit(session, review, context, "google: review removed")
            count += 1
    return count


def erase_names(session: Session, context: SyncContext) -> int:
    """Erase reviewer names no longer needed: answered, or kept past the retention period."""
    reviews = session.scalars(
        select(GoogleReview).where(GoogleReview.reviewer_name.is_not(None))
    ).all()
    count = 0
    for review in reviews:
        if review.reply_text is not None or (
            context.now - review.first_seen_at >= context.name_retention
        ):
            review.reviewer_name = None
            count += 1
    return count


def _tally(result: SyncResult, outcome: str) -> None:
    attribute = {"added": "added", "updated": "updated", "restored": "restored"}
    name = attribute.get(outcome, "unchanged")
    setattr(result, name, getattr(result, name) + 1)


# --- the two ways in ------------------------------------------------------------------------


def sync_reviews(
    session: Session,
    client: GoogleClient,
    locations: Iterable[str],
    context: SyncContext,
    *,
    track: Track = quiet,
) -> SyncResult:
    """Pull every review of every location; a failing location is reported, the others stored.

    A location's listing is read completely before anything is stored, so a failure half-way
    never marks the reviews of later pages as removed.
    """
    result = SyncResult()
    for location in locations:
        try:
            items = client.list_reviews(location)
        except GoogleError as error:
            result.errors.append(f"{location}: {error}")
            continue
        present = []
        with track(f"Google reviews of {location}", len(items)) as advance:
            for number, item in enumerate(counted(items, advance), start=1):
                try:
                    data = parse_review(item, location=location)
                except ReviewFormatError as error:
                    result.errors.append(f"{location}, Rezension {number}: {error}")
                    review_id = item.get("reviewId") if isinstance(item, dict) else None
                    if review_id:
                        present.append(str(review_id))  # unreadable is not removed
                    continue
                present.append(data.review_id)
                _tally(result, store_review(session, data, context))
        result.removed += mark_removed(session, location, present, context)
    result.names_erased = erase_names(session, context)
    session.flush()
    return result


class TakeoutError(ValueError):
    """A Takeout file that cannot be read; the message names where."""


def read_takeout(path: Path) -> list[Any]:
    """The review objects of a Takeout ``reviews.json`` (``{"reviews": […]}`` or a bare list)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise TakeoutError(f"{path}: Die Datei gibt es nicht.") from error
    except UnicodeDecodeError as error:
        raise TakeoutError(f"{path}: Die Datei ist nicht in UTF-8 geschrieben.") from error
    except OSError as error:
        raise TakeoutError(
            f"{path}: Die Datei lässt sich nicht lesen ({error.strerror})."
        ) from error
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise TakeoutError(
            f"{path}, Zeile {error.lineno}, Spalte {error.colno}: kein gültiges JSON ({error.msg})."
        ) from error
    reviews = document.get("reviews") if isinstance(document, dict) else document
    if not isinstance(reviews, list):
        raise TakeoutError(f"{path}: Es fehlt die Liste „reviews“ einer Google-Takeout-Datei.")
    return reviews


def import_takeout(
    session: Session,
    path: Path,
    context: SyncContext,
    *,
    location: str | None = None,
    track: Track = quiet,
) -> SyncResult:
    """Import a Takeout file whole, or nothing: a bad review refuses the file, naming it.

    A file is a snapshot the office chose, not a complete listing, so nothing is marked removed.
    """
    items = read_takeout(path)
    parsed = []
    for number, item in enumerate(items, start=1):
        try:
            parsed.append(parse_review(item, location=location))
        except ReviewFormatError as error:
            raise TakeoutError(f"{path}, Rezension {number}: {error}.") from error
    result = SyncResult()
    with track(f"Google reviews of {path.name}", len(parsed)) as advance:
        for data in counted(parsed, advance):
            _tally(result, store_review(session, data, context))
    result.names_erased = erase_names(session, context)
    session.flush()
    return result
