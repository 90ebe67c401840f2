"""The inbox: filters, search, keyset paging, counts, deadline sort, team scope, roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import login
from sqlalchemy import event, select

from admin.accounts.models import Team, User
from admin.inbox.query import (
    Cursor,
    InboxFilter,
    fts_query,
    inbox_page,
    reference_id,
    search_condition,
    tsquery,
)
from cards.services import add_cards, add_location
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.submissions import Submission, submit_feedback
from portal.vocab import Channel, Kind, Status

pytestmark = pytest.mark.engines

ROW = re.compile(r'<th scope="row"><a href="/admin/entries/(\d+)">')


def add(app, *, at: datetime | None = None, **fields) -> int:
    """One entry through the real submission service."""
    fields.setdefault("channel", Channel.HOMEPAGE)
    fields.setdefault("language", "de")
    with app.app_context():
        stored = submit_feedback(db.session, Submission(**fields), now=at or utcnow())
        db.session.commit()
        return stored.feedback_id


def edit(app, entry_id: int, **values) -> None:
    with app.app_context():
        feedback = db.session.get(Feedback, entry_id)
        for name, value in values.items():
            setattr(feedback, name, value)
        db.session.commit()


def team_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.name == name))


def listed(page) -> list[int]:
    return [int(number) for number in ROW.findall(page.get_data(as_text=True))]


def client_of(app, name: str):
    client = app.test_client()
    assert login(client, name).status_code == 303
    return client


@pytest.fixture
def cards(app):
    with app.app_context():
        add_location(db.session, "NORD", "Dienststelle Nord")
        add_location(db.session, "SUED", "Dienststelle Süd")
        north = add_cards(db.session, "NORD", "Empfang")[0].code
        south = add_cards(db.session, "SUED", "Leistung")[0].code
        db.session.commit()
    return {"north": north, "south": south}


@pytest.fixture
def varied(app, accounts, cards):
    """A small, varied inbox; returns the ids by name."""
    now = utcnow()
    ids = {
        "praise_card": add(
            app,
            channel=Channel.CARD_QR,
            card_code=cards["north"],
            rating=5,
            kind=Kind.PRAISE,
            text="Sehr freundlicher Empfang",
            at=now - timedelta(hours=1),
        ),
        "critic_south": add(
            app,
            channel=Channel.CARD_PAPER,
            card_code=cards["south"],
            rating=1,
            kind=Kind.CRITICISM,
            text="Die Wartezeit war zu lang",
            at=now - timedelta(hours=2),
        ),
        "idea_home": add(
            app,
            rating=4,
            kind=Kind.SUGGESTION,
            text="Termine am Nachmittag",
            at=now - timedelta(hours=3),
        ),
        "old_critic": add(
            app,
            channel=Channel.EMAIL,
            rating=2,
            kind=Kind.CRITICISM,
            text="Bescheid kam nie an",
            contact_email="kundin@example.org",
            at=now - timedelta(days=30),
        ),
    }
    edit(app, ids["idea_home"], status=Status.DONE, closed_at=now)
    edit(app, ids["critic_south"], team_id=team_id(app, "Team 5"))
    edit(app, ids["old_critic"], team_id=team_id(app, "Team 3"))
    edit(app, ids["praise_card"], team_id=team_id(app, "Team 3"))
    return ids


# --- access ------------------------------------------------------------------------------------


def test_the_read_role_may_not_open_the_inbox_or_an_entry(app, accounts):
    entry = add(app, text="Hallo")
    reader = client_of(app, "reader")
    assert reader.get("/admin/").status_code == 403
    assert reader.get(f"/admin/entries/{entry}").status_code == 403


def test_signed_out_users_are_sent_to_the_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


# --- the list ----------------------------------------------------------------------------------


def test_newest_first_with_the_columns_in_office_time(app, krm_client, cards):
    received = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 02.03.2026 00:30 in Berlin
    long_text = "Anfang " + "x" * 200
    first = add(
        app,
        channel=Channel.CARD_QR,
        card_code=cards["north"],
        rating=2,
        kind=Kind.CRITICISM,
        text=long_text,
        at=received,
    )
    second = add(app, text="Später", at=received + timedelta(minutes=5))
    page = krm_client.get("/admin/")
    html = page.get_data(as_text=True)
    assert listed(page) == [second, first]
    assert "02.03.2026 00:30" in html
    assert "Meinungskarte (QR)" in html and "Dienststelle Nord" in html and cards["north"] in html
    assert "Anfang " + "x" * 113 + "…" in html and "x" * 114 not in html
    assert "<caption" in html and 'scope="col"' in html
    assert f"Eintrag {first} auswählen" in html
    for control in ("q", "status", "kind", "channel", "location", "card", "rating", "from", "to"):
        assert f'<label class="label" for="{control}">' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=erledigt", {"idea_home"}),
        ("status=offen", {"praise_card", "critic_south", "old_critic"}),
        ("kind=kritik", {"critic_south", "old_critic"}),
        ("channel=meinungskarte_papier", {"critic_south"}),
        ("rating=5", {"praise_card"}),
        ("overdue=yes", {"old_critic"}),
        ("team=ohne", {"idea_home"}),
        ("kind=kritik&rating=1", {"critic_south"}),
        ("q=wartezeit", {"critic_south"}),
    ],
)
def test_each_filter_against_real_data(app, krm_client, varied, query, expected):
    assert set(listed(krm_client.get(f"/admin/?{query}"))) == {varied[name] for name in expected}


def test_filters_by_location_card_and_team(app, krm_client, varied, cards):
    with app.app_context():
        north = db.session.get(Feedback, varied["praise_card"]).location_id
    assert listed(krm_client.get(f"/admin/?location={north}")) == [varied["praise_card"]]
    typed = cards["south"].lower()
    assert listed(krm_client.get(f"/admin/?card={typed}")) == [varied["critic_south"]]
    team3 = team_id(app, "Team 3")
    found = listed(krm_client.get(f"/admin/?team={team3}"))
    assert found == [varied["praise_card"], varied["old_critic"]]


def test_the_period_is_counted_in_office_days(app, krm_client):
    late_evening = add(app, text="spät", at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 2 March
    day_before = add(app, text="früh", at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    assert listed(krm_client.get("/admin/?from=2026-03-02&to=2026-03-02")) == [late_evening]
    assert listed(krm_client.get("/admin/?from=2026-03-01&to=2026-03-01")) == [day_before]
    assert listed(krm_client.get("/admin/?to=2026-02-28")) == []


def test_bad_filter_values_are_explained_not_an_error(app, krm_client, varied):
    page = krm_client.get("/admin/?status=bogus&from=gestern&card=!!&from=2026-13-45&rating=9")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Kein gültiges Datum" in html and "Kartencode" in html
    assert len(listed(page)) == 4  # the invalid filters are not applied


def test_search_finds_words_with_umlauts_and_prefixes(app, krm_client):
    mueller = add(app, text="Frau Müller im Büro war sehr hilfsbereit")
    strasse = add(app, text="Die Straße vor dem Jobcenter ist laut")
    add(app, text="Nichts davon")
    for query in ("Müller", "müller", "MÜLLER", "muller", "Büro hilfs", "hilfsbere"):
        assert listed(krm_client.get("/admin/", query_string={"q": query})) == [mueller], query
    assert listed(krm_client.get("/admin/", query_string={"q": "Straße"})) == [strasse]


@pytest.mark.parametrize(
    "hostile",
    ['"', "*", "NEAR(", "-x", "'", 'a" OR "b', "AND", "text:foo", "^", "(", "x NOT y", "\\"],
)
def test_hostile_search_input_never_raises(app, krm_client, hostile):
    add(app, text="x-ray NEAR the AND gate")
    page = krm_client.get("/admin/", query_string={"q": hostile})
    assert page.status_code == 200


@pytest.mark.parametrize("database_engine", ["postgresql"], indirect=True)
def test_postgres_search_stems_german_words_and_reads_the_gin_index(app, krm_client):
    advice = add(app, text="Die Beratungen waren immer hilfreich")
    add(app, text="Nichts davon")
    assert listed(krm_client.get("/admin/", query_string={"q": "Beratung"})) == [advice]
    with app.app_context():
        query = select(Feedback.id).where(search_condition(db.session, "Beratung"))
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
    assert "ix_feedback_text_search" in plan, plan


def test_postgres_search_keeps_only_letters_and_digits():
    assert tsquery('Wartezeit "Büro!') == "Wartezeit:* & Büro:*"
    assert tsquery("* - ' ( & | ! <->") == ""
    assert tsquery("x-ray 2026") == "x:* & ray:* & (2026:* | -2026:*)"


def test_search_quotes_every_word_as_a_prefix_phrase():
    assert fts_query('Wartezeit "Büro') == '"Wartezeit"* """Büro"*'
    assert fts_query("* - ' (") == ""
    assert fts_query("NEAR( -x") == '"NEAR("* "-x"*'


def test_search_finds_an_entry_by_its_reference(app, krm_client, accounts):
    """A reference finds that entry besides the text matches; a bare number also the texts."""
    entry = add(app, text="Freundliche Beratung am Empfang")
    mention = add(app, text=f"Meine Wartemarke hatte die Nummer {entry}")
    follow_up = add(app, text=f"Nachtrag zu KRM-{entry}: es hat sich erledigt")
    add(app, text="Ohne Zahl")
    for query in (f"KRM-{entry}", f"krm {entry}", f"KRM {entry}", f"krm-{entry}"):
        found = listed(krm_client.get("/admin/", query_string={"q": query}))
        assert sorted(found) == sorted([entry, follow_up]), query
    for query in (str(entry), f"#{entry}"):
        found = listed(krm_client.get("/admin/", query_string={"q": query}))
        assert sorted(found) == sorted([entry, mention, follow_up]), query
    assert listed(krm_client.get("/admin/", query_string={"q": "KRM-99999999"})) == []
    assert listed(client_of(app, "lead3").get("/admin/", query_string={"q": str(entry)})) == []


def test_a_reference_is_the_whole_search_and_fits_an_id():
    assert [reference_id(q) for q in ("KRM-42", "krm 42", "KRM – 42", "krm42", "#42", " 042 ")] == [
        42
    ] * 6
    for q in ("KRM-42 Wartezeit", "42 43", "KRM", "#", "4a", "KR-42", "99999999999", "-42"):
        assert reference_id(q) is None, q


def test_a_reference_search_pages_in_time_order(app, accounts):
    """The entry a number names comes in its place by time received, from the fast paths too.

    It is not a text match, so SQLite's window of the highest matching ids and PostgreSQL's walk
    through the newest rows must add it; here it falls into the window and onto page 2.
    """
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    texts = [f"Platzhalter {'x' * (n + 1)}" for n in range(24)]
    older = [add(app, text=texts[n], at=base + timedelta(minutes=n)) for n in range(12)]
    named = add(app, text="Ohne Zahl", at=base + timedelta(minutes=20, seconds=30))
    newer = [add(app, text=texts[n], at=base + timedelta(minutes=n)) for n in range(12, 24)]
    for n, ident in enumerate(older + newer):
        edit(app, ident, text=f"Wartemarke {named} Besuch {'x' * (n + 1)}")
    with app.app_context():
        times = dict(db.session.execute(select(Feedback.id, Feedback.received_at)).all())
    expected = sorted([*older, named, *newer], key=lambda i: (times[i], i), reverse=True)
    assert expected[3] == named
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.name == "krm"))
        seen, cursor = [], None
        while True:
            page = inbox_page(
                db.session,
                InboxFilter(q=str(named)),
                user=officer,
                now=utcnow(),
                before=cursor,
                limit=3,
            )
            seen += [row.id for row in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == expected


def test_a_search_of_stop_words_only_finds_what_sqlite_finds(app, krm_client):
    """German stemming drops "die" and "der"; PostgreSQL then matches the words as they are."""
    waiting = add(app, text="Die Wartezeit war zu lang")
    appointment = add(app, text="Der Termin fiel aus")
    add(app, text="Alles gut")
    assert listed(krm_client.get("/admin/", query_string={"q": "die"})) == [waiting]
    assert listed(krm_client.get("/admin/", query_string={"q": "DER"})) == [appointment]
    assert listed(krm_client.get("/admin/", query_string={"q": "die wartezeit"})) == [waiting]
    assert listed(krm_client.get("/admin/", query_string={"q": "der die"})) == []


def test_search_pages_follow_the_time_received_not_the_id(app, accounts):
    """Newest-first search reads the highest ids first on SQLite; ids out of time order too."""
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    early_id_newest = add(app, text="Wartezeit am Morgen", at=base + timedelta(hours=5))
    in_order = [add(app, text=f"Wartezeit {n}", at=base + timedelta(minutes=n)) for n in range(30)]
    add(app, text="Nichts davon", at=base + timedelta(hours=6))
    back_dated = [
        add(app, text=f"Papierkarte Wartezeit {n}", at=base - timedelta(days=n + 1))
        for n in range(6)
    ]
    tied = add(app, text="Wartezeit gleichzeitig", at=base + timedelta(minutes=12))
    with app.app_context():  # the order the office expects, sorted here in Python
        found = db.session.execute(select(Feedback.received_at, Feedback.id)).all()
        times = {ident: moment for moment, ident in found}
    matching = [early_id_newest, *in_order, *back_dated, tied]
    expected = sorted(matching, key=lambda ident: (times[ident], ident), reverse=True)
    assert expected[0] == early_id_newest and expected[-6:] == back_dated
    assert expected != sorted(matching, reverse=True)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.name == "krm"))
        seen, cursor = [], None
        while True:
            page = inbox_page(
                db.session,
                InboxFilter(q="Wartezeit"),
                user=officer,
                now=utcnow(),
                before=cursor,
                limit=3,
            )
            seen += [row.id for row in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == expected


# --- paging ------------------------------------------------------------------------------------


def _many(app, count: int) -> list[int]:
    """``count`` entries, several sharing a timestamp, so the id must break ties."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    return [
        add(app, text=f"Eintrag {n}", at=start + timedelta(minutes=n // 3)) for n in range(count)
    ]


def _next_link(page, label: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)">{label}</a>', page.get_data(as_text=True))
    return found.group(1).replace("&amp;", "&") if found else None


def test_keyset_paging_has_no_gaps_and_no_duplicates(app, krm_client):
    ids = _many(app, 123)
    expected = sorted(ids, reverse=True)  # same order as received_at desc, id desc
    pages, url = [], "/admin/"
    while url:
        page = krm_client.get(url)
        pages.append(listed(page))
        url = _next_link(page, "Ältere Einträge →")
    assert [len(rows) for rows in pages] == [50, 50, 23]
    assert [entry for rows in pages for entry in rows] == expected
    assert "before=" in _next_link(krm_client.get("/admin/"), "Ältere Einträge →")


def test_paging_back_to_newer_entries(app, krm_client):
    ids = sorted(_many(app, 120), reverse=True)
    second = krm_client.get(_next_link(krm_client.get("/admin/"), "Ältere Einträge →"))
    third = krm_client.get(_next_link(second, "Ältere Einträge →"))
    assert listed(third) == ids[100:]
    back = krm_client.get(_next_link(third, "← Neuere Einträge"))
    assert listed(back) == ids[50:100]
    first = krm_client.get(_next_link(back, "← Neuere Einträge"))
    assert listed(first) == ids[:50]
    assert _next_link(first, "← Neuere Einträge") is None


def test_paging_keeps_the_filter(app, krm_client):
    for n in range(60):
        add(app, text=f"Lob {n}", kind=Kind.PRAISE, at=datetime(2026, 2, 1, tzinfo=UTC))
        add(app, text=f"Kritik {n}", kind=Kind.CRITICISM, at=datetime(2026, 2, 1, tzinfo=UTC))
    link = _next_link(krm_client.get("/admin/?kind=lob"), "Ältere Einträge →")
    assert parse_qs(urlsplit(link).query)["kind"] == ["lob"]
    assert len(listed(krm_client.get(link))) == 10


def test_a_page_view_uses_no_offset_and_counts_only_by_status(app, krm_client):
    _many(app, 60)
    statements = []

    def remember(conn, cursor, statement, parameters, *args):
        statements.append(statement.upper())
        if "OFFSET ?" in statement.upper():  # SQLite's dialect writes LIMIT ? OFFSET 0
            assert parameters[-1] == 0

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        response = krm_client.get("/admin/?before=2026-01-05T08:10:00%2B00:00,30")
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert response.status_code == 200 and len(listed(response)) == 30
    assert any("LIMIT" in s for s in statements)
    counted = [s for s in statements if "COUNT(" in s and "FROM FEEDBACK" in s]
    assert len(counted) == 2 and all("FEEDBACK.STATUS" in s for s in counted)
    # Besides, only the failed mails (a few rows, by their status index).
    others = [s for s in statements if "COUNT(" in s and "FROM FEEDBACK" not in s]
    assert all("FROM MAIL_OUTBOX" in s and "MAIL_OUTBOX.STATUS" in s for s in others)


def test_a_broken_cursor_shows_the_first_page(app, krm_client):
    ids = _many(app, 3)
    assert listed(krm_client.get("/admin/?before=nonsense")) == sorted(ids, reverse=True)
    assert Cursor.parse("2026-01-05T08:00:00,7") is None  # no time zone: not ours
    assert str(Cursor.parse("2026-01-05T08:00:00+01:00,7")) == "2026-01-05T07:00:00+00:00,7"


# --- counts, deadlines, overdue ----------------------------------------------------------------


def test_counts_of_new_and_overdue_link_to_their_filter(app, krm_client, varied):
    html = krm_client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/?status=neu"><strong>3</strong> neu</a>' in html
    assert '<a href="/admin/?overdue=yes"><strong>1</strong> überfällig</a>' in html


def test_an_owed_acknowledgement_makes_an_entry_overdue(app, krm_client):
    now = utcnow()
    entry = add(app, text="Bitte antworten", contact_email="a@example.org")
    edit(app, entry, acknowledge_by=now - timedelta(hours=1))
    assert listed(krm_client.get("/admin/?overdue=yes")) == [entry]
    edit(app, entry, acknowledged_at=now)
    assert listed(krm_client.get("/admin/?overdue=yes")) == []


def test_overdue_rows_are_marked_by_class_and_by_word(app, krm_client, varied):
    html = krm_client.get("/admin/").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"is-overdue\")?>\s*<td><input[^>]+value=\"(\d+)\"", html)
    marked = {int(number) for cls, number in rows if cls}
    assert marked == {varied["old_critic"]}
    overdue_row = html.split('class="is-overdue"')[1].split("</tr>")[0]
    assert '<span class="badge badge--overdue">überfällig</span>' in overdue_row


def test_sorting_by_deadline_lists_open_entries_earliest_first(app, krm_client):
    base = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    ids = [add(app, text=f"Frist {n}", at=base) for n in range(55)]
    for n, entry in enumerate(ids):  # many share a deadline: the id breaks the tie
        edit(app, entry, close_by=base + timedelta(days=(n * 7) % 20))
    done = add(app, text="fertig", at=base)
    edit(app, done, status=Status.DONE, close_by=base - timedelta(days=9))
    with app.app_context():
        expected = list(
            db.session.scalars(
                select(Feedback.id)
                .where(Feedback.status != Status.DONE)
                .order_by(Feedback.close_by, Feedback.id)
            )
        )
    first = krm_client.get("/admin/?sort=deadline")
    second = krm_client.get(_next_link(first, "Spätere Fristen →"))
    assert listed(first) + listed(second) == expected
    assert done not in listed(first)
    assert listed(krm_client.get("/admin/?sort=deadline&status=erledigt")) == [done]


# --- team scope --------------------------------------------------------------------------------


def test_a_team_lead_sees_only_their_teams_entries_and_counts(app, accounts, varied):
    lead = client_of(app, "lead3")
    page = lead.get("/admin/")
    assert set(listed(page)) == {varied["praise_card"], varied["old_critic"]}
    html = page.get_data(as_text=True)
    assert "<strong>2</strong> neu" in html and "<strong>1</strong> überfällig" in html
    team5 = team_id(app, "Team 5")
    assert varied["critic_south"] not in listed(lead.get(f"/admin/?team={team5}"))
    assert 'name="team"' not in html  # no team filter, no team assignment
    assert listed(lead.get("/admin/?q=wartezeit")) == []


def test_a_team_lead_gets_404_for_other_entries(app, accounts, varied):
    lead = client_of(app, "lead3")
    other = varied["critic_south"]
    assert lead.get(f"/admin/entries/{other}").status_code == 404
    assert lead.get(f"/admin/entries/{varied['praise_card']}").status_code == 200
    assert lead.get("/admin/entries/999999").status_code == 404
