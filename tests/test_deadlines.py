"""Deadlines in working days of the Jobcenter's state: Easter, Christmas, one-state holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from conftest import stored_feedback

from portal.deadlines import add_working_days, deadlines_for, end_of_day, local_date


@pytest.mark.parametrize(
    ("received", "state", "due"),
    [
        (date(2026, 4, 2), "RP", date(2026, 4, 9)),  # Good Friday and Easter Monday skipped
        (date(2026, 12, 23), "RP", date(2026, 12, 29)),  # 24th counts, 25th and the weekend not
        (date(2026, 6, 3), "RP", date(2026, 6, 9)),  # Fronleichnam is a holiday in RP …
        (date(2026, 6, 3), "BE", date(2026, 6, 8)),  # … but not in Berlin
        (date(2026, 11, 17), "SN", date(2026, 11, 23)),  # Buß- und Bettag: Saxony only
        (date(2026, 11, 17), "RP", date(2026, 11, 20)),
        (date(2026, 11, 20), "RP", date(2026, 11, 25)),  # received on a Friday
        (date(2026, 11, 21), "RP", date(2026, 11, 25)),  # received on a Saturday
    ],
)
def test_three_working_days(received, state, due):
    assert add_working_days(received, 3, state) == due


def test_a_deadline_is_the_end_of_the_day_in_berlin():
    assert end_of_day(date(2026, 1, 15)) == datetime(2026, 1, 15, 22, 59, 59, tzinfo=UTC)
    assert end_of_day(date(2026, 7, 15)) == datetime(2026, 7, 15, 21, 59, 59, tzinfo=UTC)


def test_the_day_of_receipt_is_the_office_day_not_the_utc_day():
    late = datetime(2026, 6, 3, 22, 30, tzinfo=UTC)  # 00:30 on Thursday, 4 June, in Berlin
    assert local_date(late) == date(2026, 6, 4)


def test_an_answer_requested_means_acknowledgement_and_closing_deadlines():
    received = datetime(2026, 12, 23, 9, tzinfo=UTC)
    deadlines = deadlines_for(received, wants_answer=True, state="RP", triage_working_days=5)
    assert deadlines.acknowledge_by == end_of_day(date(2026, 12, 29))
    assert deadlines.close_by == end_of_day(date(2027, 1, 6))


def test_anonymous_feedback_has_the_triage_standard_only():
    received = datetime(2026, 4, 2, 9, tzinfo=UTC)
    deadlines = deadlines_for(received, wants_answer=False, state="RP", triage_working_days=5)
    assert deadlines.acknowledge_by is None
    assert deadlines.close_by == end_of_day(date(2026, 4, 13))


def test_the_collector_stores_the_deadlines(make_app):
    app = make_app(STATE="SN", TRIAGE_WORKING_DAYS=2)
    client = app.test_client()
    client.post("/submit", data={"rating": "3", "lang": "de"})
    client.post(
        "/submit",
        data={"text": "Bitte um Antwort", "contact_email": "a@example.org", "consent": "y"},
    )
    anonymous, answered = stored_feedback(app)
    assert anonymous.acknowledge_by is None
    assert local_date(anonymous.close_by) == add_working_days(
        local_date(anonymous.received_at), 2, "SN"
    )
    assert answered.acknowledge_by is not None
    assert (local_date(answered.close_by) - local_date(answered.received_at)).days == 14
    assert not answered.overdue(answered.received_at)
    assert answered.overdue(answered.close_by.replace(year=answered.close_by.year + 1))
