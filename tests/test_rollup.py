"""The report roll-up stays exact: after any sequence of changes through the services, the figures
it gives equal the figures counted from the raw rows, and the table equals a rebuild.

Changes come from hypothesis (bounded and derandomized, like tests/test_hostile_input.py):
submissions on every channel, paper cards, Google reviews new and edited, triage (Anliegen,
status and closing, Ombudsstelle), bulk actions, interim replies that move a deadline, and the
retention purge. The raw counts below are the report's queries as they were before the roll-up.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from admin.accounts.models import User
from admin.google.sync import ReviewData, SyncContext, store_review
from admin.inbox.models import Concern, Topic
from admin.inbox.triage import (
    BulkAction,
    ConcernInput,
    EntryChanges,
    TriageError,
    bulk,
    update_entry,
)
from admin.mail.service import MailActionError, queue_interim
from admin.paper.service import PaperCard, capture_paper_card
from admin.reports.figures import (
    Period,
    concern_cells,
    month_period,
    period_counts,
    rating_trend,
    reaction_counts,
    week_period,
    year_period,
)
from admin.retention.service import purge
from cards.models import Location
from cards.services import add_location
from portal import rollup
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.feedback import Feedback
from portal.mail.smtp import MailConfig
from portal.rollup import ReportRollup
from portal.submissions import Rules, Submission, submit_feedback
from portal.vocab import (
    OPEN_STATUSES,
    Area,
    Assessment,
    Channel,
    ConcernKind,
    Role,
    Status,
)

pytestmark = pytest.mark.engines

COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("rollup-ci", max_examples=25, derandomize=True, **COMMON)
settings.register_profile("rollup-explore", max_examples=500, **COMMON)
profile = "rollup-explore" if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else "rollup-ci"

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_HOURS = 2 * 365 * 24
MAIL = MailConfig.from_config({"MAIL_SERVER": "127.0.0.1", "MAIL_FROM": "krm@jc.example"})

# --- the changes -------------------------------------------------------------------------------

moment = st.integers(0, SPAN_HOURS).map(lambda h: START + timedelta(hours=h, minutes=30))
later = st.integers(0, 40 * 24).map(lambda h: timedelta(hours=h))
entry_index = st.integers(0, 10_000)


def valid_concern(kind: ConcernKind, area, topic, assessment) -> ConcernInput:
    """An Anliegen the rules accept: complaints assessed, Dienstaufsicht not assessable."""
    if kind == ConcernKind.CONDUCT:
        assessment = Assessment.NOT_ASSESSABLE
    elif kind.is_complaint:
        assessment = assessment or Assessment.JUSTIFIED
    else:
        assessment = None
    return ConcernInput(kind, area=area, topic_id=topic, assessment=assessment)


concern = st.builds(
    valid_concern,
    st.sampled_from(list(ConcernKind)),
    st.one_of(st.none(), st.sampled_from(list(Area))),
    st.sampled_from([None, 1, 2]),  # topic positions, mapped to ids below
    st.one_of(st.none(), st.sampled_from(list(Assessment))),
)
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("submit"),
            moment,
            st.sampled_from([c for c in Channel if c != Channel.SOCIAL_MEDIA]),
            st.one_of(st.none(), st.integers(1, 5)),
            st.sampled_from([None, 0, 1]),  # location
            st.booleans(),  # with an e-mail address
        ),
        st.tuples(st.just("paper"), moment, st.integers(1, 5), st.sampled_from([0, 1])),
        st.tuples(st.just("google"), st.integers(0, 5), moment, st.integers(1, 5), later),
        st.tuples(
            st.just("triage"),
            entry_index,
            later,
            st.lists(concern, max_size=3),
            st.sampled_from(list(Status)),
            st.booleans(),
        ),
        st.tuples(st.just("bulk"), entry_index, later, st.sampled_from(list(BulkAction))),
        st.tuples(st.just("interim"), entry_index, later, st.integers(1, 30)),
        st.tuples(st.just("purge"), later),
    ),
    min_size=1,
    max_size=12,
)


class World:
    """The app's session, an officer, two locations and two topics; applies one change at a time."""

    def __init__(self, session):
        self.session = session
        self.officer = session.scalars(select(User).where(User.role == Role.KRM)).first()
        self.locations = [
            session.scalar(select(Location.id).where(Location.code == code))
            or add_location(session, code, f"Dienststelle {code}").id
            for code in ("NORD", "SUED")
        ]
        self.topics = list(session.scalars(select(Topic.id).order_by(Topic.id).limit(2)))
        session.commit()

    def entry(self, index: int) -> Feedback | None:
        ids = list(self.session.scalars(select(Feedback.id).order_by(Feedback.id)))
        return self.session.get(Feedback, ids[index % len(ids)]) if ids else None

    def apply(self, step: tuple) -> None:
        getattr(self, step[0])(*step[1:])
        self.session.commit()

    def submit(self, at, channel, rating, location, email):
        submission = Submission(
            channel,
            "de",
            rating=rating,
            text="Lange gewartet.",
            contact_email="a@b.example" if email else None,
            location_id=None if location is None else self.locations[location],
        )
        submit_feedback(self.session, submission, now=at, check_duplicates=False)

    def paper(self, at, rating, location):
        card = PaperCard(
            received_on=at.astimezone(BERLIN).date(),
            location_id=self.locations[location],
            rating=rating,
        )
        capture_paper_card(
            self.session, card, actor="krm", now=at + timedelta(hours=3), rules=Rules()
        )

    def google(self, review, at, stars, edited_after):
        created = START + timedelta(days=review * 40, hours=review * 5)
        data = ReviewData(
            name=f"accounts/1/locations/9/reviews/r{review}",
            location="locations/9",
            review_id=f"r{review}",
            stars=stars,
            anonymous=True,
            reviewer_name=None,
            comment="Gut.",
            created_at=created,
            updated_at=max(at, created) + edited_after,
            reply_text=None,
            reply_updated_at=None,
        )
        context = SyncContext(now=max(at, created) + edited_after, actor="google")
        store_review(self.session, data, context)

    def triage(self, index, after, concerns, status, ombudsstelle):
        feedback = self.entry(index)
        if feedback is None:
            return
        concerns = [
            ConcernInput(
                c.kind, c.area, self.topics[c.topic_id - 1] if c.topic_id else None, c.assessment
            )
            for c in concerns
        ]
        changes = EntryChanges(concerns=concerns, status=status, ombudsstelle=ombudsstelle)
        try:
            update_entry(
                self.session,
                feedback,
                changes,
                actor=self.officer,
                now=feedback.received_at + after,
            )
        except TriageError:
            self.session.rollback()

    def bulk(self, index, after, action):
        feedback = self.entry(index)
        if feedback is not None and action != BulkAction.TEAM:
            now = feedback.received_at + after
            bulk(self.session, [feedback.id], action, actor=self.officer, now=now)

    def interim(self, index, after, days):
        feedback = self.entry(index)
        if feedback is None:
            return
        now = feedback.received_at + after
        until = now.astimezone(BERLIN).date() + timedelta(days=days)
        try:
            queue_interim(
                self.session,
                feedback,
                reason="Die Stellungnahme fehlt noch.",
                until=until,
                config=MAIL,
                actor=self.officer,
                now=now,
            )
        except MailActionError:
            self.session.rollback()

    def purge(self, after):
        purge(self.session, now=START + timedelta(days=400) + after, months=6, actor="cron")


# --- the figures from the raw rows (the report's queries before the roll-up) -------------------


def counted(period: Period):
    return [
        Feedback.received_at >= period.start,
        Feedback.received_at < period.end,
        Feedback.status != Status.SPAM,
    ]


def raw_reactions(session, period: Period, now: datetime):
    done, is_open = Feedback.status == Status.DONE, Feedback.status.in_(OPEN_STATUSES)
    first = aliased(Concern)

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Feedback.channel,
            Feedback.rating,
            func.count(),
            total(Feedback.ombudsstelle.is_(True)),
            total(and_(done, Feedback.closed_at <= Feedback.close_by)),
            total(and_(done, Feedback.closed_at > Feedback.close_by)),
            total(and_(is_open, Feedback.close_by < now)),
            total(and_(is_open, Feedback.close_by >= now)),
            total(first.id.is_(None)),
        )
        .select_from(Feedback)
        .outerjoin(first, and_(first.feedback_id == Feedback.id, first.position == 1))
        .where(*counted(period))
        .group_by(Feedback.channel, Feedback.rating)
    )
    sums = [0] * 7
    channels: Counter = Counter()
    distribution: dict = {}
    for channel, rating, *counts in session.execute(query):
        channels[Channel(channel)] += counts[0]
        if rating is not None:
            distribution.setdefault(Channel(channel), {})[int(rating)] = counts[0]
        sums = [before + int(value or 0) for before, value in zip(sums, counts, strict=True)]
    return sums, dict(channels), distribution


def raw_concerns(session, period: Period) -> Counter:
    query = (
        select(Concern.kind, Concern.area, Topic.name, Concern.assessment, func.count())
        .select_from(Feedback)
        .join(Concern, Concern.feedback_id == Feedback.id)
        .outerjoin(Topic, Topic.id == Concern.topic_id)
        .where(*counted(period))
        .group_by(Concern.kind, Concern.area, Topic.name, Concern.assessment)
    )
    return Counter(
        {
            (ConcernKind(k), Area(a) if a else None, t, Assessment(s) if s else None): n
            for k, a, t, s, n in session.execute(query)
        }
    )


def raw_period(session, period: Period):
    received, stars = session.execute(
        select(func.count(), func.sum(Feedback.rating)).where(*counted(period))
    ).one()
    rated = session.scalar(
        select(func.count(Feedback.rating)).where(*counted(period), Feedback.rating.is_not(None))
    )
    closed = session.scalar(
        select(func.count()).where(
            Feedback.status == Status.DONE,
            Feedback.closed_at >= period.start,
            Feedback.closed_at < period.end,
        )
    )
    return received, closed, (stars / rated if rated else None)


def raw_trend(session, period: Period) -> dict:
    query = (
        select(Location.name, func.sum(Feedback.rating), func.count())
        .select_from(Feedback)
        .outerjoin(Location, Location.id == Feedback.location_id)
        .where(*counted(period), Feedback.rating.is_not(None))
        .group_by(Location.name)
    )
    return {
        name or "ohne Dienststelle": (stars / n, n) for name, stars, n in session.execute(query)
    }


def assert_exact(session, now: datetime) -> None:
    stored = Counter(
        {
            rollup.Key(*row[:-1]): row[-1]
            for row in session.execute(
                select(*(ReportRollup.__table__.c[name] for name in rollup.Key._fields),
                       ReportRollup.count).where(ReportRollup.count != 0)
            )
        }
    )  # fmt: skip
    assert stored == rollup.computed(session)
    for year in (2025, 2026, 2027):
        period = year_period(year)
        reactions, channels, distribution = reaction_counts(session, period, now)
        sums, raw_channels, raw_distribution = raw_reactions(session, period, now)
        assert [
            reactions.total,
            reactions.ombudsstelle,
            reactions.closed_in_time,
            reactions.closed_late,
            reactions.open_overdue,
            reactions.open_pending,
            reactions.unclassified,
        ] == sums
        assert channels == raw_channels and distribution == raw_distribution
        cells = Counter(
            {
                (c.kind, c.area, c.topic, c.assessment): c.count
                for c in concern_cells(session, period)
            }
        )
        assert cells == raw_concerns(session, period)
    for day in (date(2025, 3, 31), date(2025, 10, 27), date(2026, 6, 15)):
        for period in (week_period(day), month_period(day)):
            counts = period_counts(session, period)
            received, closed, average = raw_period(session, period)
            assert (counts.received, counts.closed) == (received, closed)
            assert counts.average_rating == (None if average is None else pytest.approx(average))
    trend = rating_trend(session, date(2026, 5, 10))
    for index, month in enumerate(trend.months):
        expected = raw_trend(session, month)
        got = {name: cells[index] for name, cells in trend.series.items() if cells[index]}
        assert got.keys() == expected.keys()
        for name, (average, n) in expected.items():
            assert got[name] == (pytest.approx(average), n)


@settings(settings.get_profile(profile))
@given(changes=steps, report_at=moment)
def test_the_rollup_equals_the_raw_figures_after_any_changes(app, accounts, changes, report_at):
    with app.app_context():
        world = World(db.session)
        for step in changes:
            world.apply(step)
        assert_exact(db.session, report_at)
        db.session.rollback()


def test_rebuild_restores_a_damaged_rollup_and_krm_report_rebuild_prints_plain_lines(app, accounts):
    with app.app_context():
        world = World(db.session)
        for hours in range(0, 24 * 30, 7):
            world.submit(START + timedelta(hours=hours), Channel.EMAIL, hours % 5 + 1, 0, False)
        db.session.commit()
        db.session.execute(ReportRollup.__table__.update().values(count=ReportRollup.count + 3))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["report", "rebuild"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Report roll-up: reactions: 0 of 103 (0 %)"
    assert "Report roll-up: reactions: 52 of 103 (50 %)" in lines
    assert "Report roll-up: reactions: 103 done" in lines
    assert lines[-1].startswith("Report roll-up rebuilt: 103 reactions, ")
    with app.app_context():
        assert_exact(db.session, START + timedelta(days=20))
