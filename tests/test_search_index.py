"""The search index on SQLite takes new entries in batches (portal.search_index), and a search
always finds every entry all the same: the newest, the changed, never the deleted or purged."""

from __future__ import annotations

import re

from sqlalchemy import delete, text, update

from portal import schema, search_index
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.submissions import Submission, submit_feedback
from portal.vocab import Channel

ROW = re.compile(r'<th scope="row"><a href="/admin/entries/(\d+)">')


def found(client, words: str) -> list[int]:
    page = client.get("/admin/", query_string={"q": words}).get_data(as_text=True)
    return sorted(int(number) for number in ROW.findall(page))


def indexed(app) -> list[int]:
    """The entries the index holds, and a proof it agrees with their texts once it holds all."""
    with app.app_context(), db.engine.begin() as connection:
        ids = list(connection.scalars(text("SELECT id FROM feedback_fts_docsize ORDER BY id")))
        every = list(connection.scalars(text("SELECT id FROM feedback ORDER BY id")))
        check = "INSERT INTO feedback_fts(feedback_fts, rank) VALUES ('integrity-check', :rank)"
        # rank 1: against the entries' texts too, which only holds once every entry is indexed
        connection.execute(text(check), {"rank": int(ids == every)})
        return ids


def post(client, words: str) -> None:
    response = client.post("/submit", data={"rating": "2", "text": words})
    assert response.status_code == 303
    response.close()  # what runs after the answer runs now


def store(app, words: str) -> int:
    with app.app_context():
        submission = Submission(channel=Channel.CARD_PAPER, language="de", text=words)
        stored = submit_feedback(db.session, submission, now=utcnow(), check_duplicates=False)
        db.session.commit()
        return stored.feedback_id


def test_a_new_submission_is_found_by_the_next_search(app, krm_client):
    client = app.test_client()
    post(client, "Die Wartezeit am Empfang war viel zu lang")
    assert indexed(app) == []  # not indexed on the way in

    assert found(krm_client, "Wartezeit") == [1]
    assert indexed(app) == [1]
    post(client, "Freundliche Beratung zur Wartezeit")
    assert found(krm_client, "wartezeit") == [1, 2]
    assert found(krm_client, "freundlich") == [2]


def test_the_collector_indexes_every_batch_after_its_answer(app):
    client = app.test_client()
    for number in range(1, search_index.CATCH_UP_EVERY + 2):
        post(client, f"Anliegen Nummer {number} zum Bescheid")
        if number == search_index.CATCH_UP_EVERY - 1:
            assert indexed(app) == []
    assert indexed(app) == list(range(1, search_index.CATCH_UP_EVERY + 1))


def test_changes_before_and_after_indexing_are_searched_as_they_are_now(app, krm_client):
    early = store(app, "Wort vorher Eins")
    search_index.catch_up(db.engine_of(app))
    late = store(app, "Wort vorher Zwei")
    gone_early = store(app, "Wort geloescht Drei")
    search_index.catch_up(db.engine_of(app))
    gone_late = store(app, "Wort geloescht Vier")
    with app.app_context():
        for ident in (early, late):
            db.session.execute(
                update(Feedback).where(Feedback.id == ident).values(text=f"Wort nachher {ident}")
            )
        db.session.execute(delete(Feedback).where(Feedback.id.in_([gone_early, gone_late])))
        db.session.commit()

    assert found(krm_client, "vorher") == []
    assert found(krm_client, "nachher") == [early, late]
    assert found(krm_client, "geloescht") == []
    assert indexed(app) == [early, late]


def test_a_search_inside_a_write_finds_its_own_entries(app):
    with app.app_context():
        submission = Submission(channel=Channel.CARD_PAPER, language="de", text="Noch offen Wort")
        stored = submit_feedback(db.session, submission, now=utcnow())
        search_index.catch_up(db.session)  # in the open transaction, not blocked by it
        matches = db.session.scalars(
            text("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH 'offen'")
        )
        assert list(matches) == [stored.feedback_id]
        db.session.rollback()
    assert indexed(app) == []


def test_the_downgrade_indexes_what_is_pending_and_the_upgrade_keeps_it(app, krm_client):
    first = store(app, "Alte Wortwahl")
    schema.downgrade(app, "0011")
    assert indexed(app) == [first]
    second = store(app, "Neue Wortwahl")  # the insert trigger is back
    assert indexed(app) == [first, second]
    schema.upgrade(app)
    third = store(app, "Dritte Wortwahl")
    assert indexed(app) == [first, second]
    assert found(krm_client, "wortwahl") == [first, second, third]


def test_entries_without_text_are_indexed_once(app, krm_client):
    client = app.test_client()
    response = client.post("/submit", data={"rating": "4"})
    assert response.status_code == 303
    post(client, "Gute Beratung")
    assert found(krm_client, "beratung") == [2]
    assert found(krm_client, "beratung") == [2]
    assert indexed(app) == [1, 2]  # and the check against the texts holds
