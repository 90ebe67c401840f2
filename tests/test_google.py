"""Google reviews: sync, replies, templates and failures, against a fake Google on loopback.

The fake is a real HTTP server (pytest-httpserver) that speaks the Business Profile v4 reviews
API; nothing here reaches the internet.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token, login
from sqlalchemy import func, select

from admin.google.client import (
    GoogleClient,
    GoogleConfig,
    GoogleError,
    TokenSource,
    load_credentials,
)
from admin.google.models import GoogleReview, ReplyTemplate
from admin.google.replies import Actor, render_reply, template_problem
from admin.google.sync import SyncContext, erase_names, sync_reviews
from portal.audit import AuditEvent
from portal.extensions import db
from portal.feedback import Feedback
from portal.vocab import Channel, Status

pytestmark = pytest.mark.engines

ACCOUNT = "accounts/1001"
LOCATION = "locations/2002"
OTHER_LOCATION = "locations/3003"
TOKEN = "ya29.test-token"
REVIEWS_PATH = f"/v4/{ACCOUNT}/{LOCATION}/reviews"


def review(
    review_id: str,
    *,
    stars: str = "FOUR",
    comment: str | None = "Freundliche Beratung, kurze Wartezeit.",
    name: str | None = "Erika Mustermann",
    created: str = "2026-11-16T09:15:30.123456Z",
    updated: str | None = None,
    reply: dict | None = None,
    location: str = LOCATION,
) -> dict:
    item = {
        "name": f"{ACCOUNT}/{location}/reviews/{review_id}",
        "reviewId": review_id,
        "reviewer": {"displayName": name} if name else {"isAnonymous": True},
        "starRating": stars,
        "createTime": created,
        "updateTime": updated or created,
    }
    if comment is not None:
        item["comment"] = comment
    if reply is not None:
        item["reviewReply"] = reply
    return item


@pytest.fixture
def google_app(make_app, httpserver):
    return make_app(
        GOOGLE_API_BASE_URL=httpserver.url_for("/v4"),
        GOOGLE_ACCOUNT=ACCOUNT,
        GOOGLE_LOCATIONS=LOCATION,
        GOOGLE_ACCESS_TOKEN=TOKEN,
        GOOGLE_RETRY_BASE_DELAY=0,
        GOOGLE_MAX_RETRIES=2,
    )


@pytest.fixture
def google_runner(google_app):
    return google_app.test_cli_runner()


def serve_reviews(httpserver, reviews: list[dict], path: str = REVIEWS_PATH) -> None:
    httpserver.expect_request(
        path,
        method="GET",
        query_string={"pageSize": "50"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json({"reviews": reviews, "averageRating": 4, "totalReviewCount": len(reviews)})


def reviews_in(app) -> list[GoogleReview]:
    with app.app_context():
        query = select(GoogleReview).order_by(GoogleReview.id)
        rows = list(db.session.scalars(query))
        for row in rows:
            _ = row.feedback  # load while the session is open
        return rows


def sync(runner) -> object:
    return runner.invoke(args=["google", "sync"])


def one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


# --- sync -------------------------------------------------------------------------------------


def test_sync_follows_next_page_token_and_stores_every_review(
    google_app, google_runner, httpserver
):
    first = [review(f"r{n}", created=f"2026-11-1{n}T10:00:00Z") for n in range(1, 4)]
    second = [
        review("r4", stars="ONE", comment=None, name=None, created="2026-11-18T08:00:00Z"),
        review("r5", stars="TWO", comment="Niemand geht ans Telefon. Ruft mich an: 0171 2345678"),
    ]
    httpserver.expect_ordered_request(
        REVIEWS_PATH, query_string={"pageSize": "50"}
    ).respond_with_json({"reviews": first, "nextPageToken": "page-2"})
    httpserver.expect_ordered_request(
        REVIEWS_PATH, query_string={"pageSize": "50", "pageToken": "page-2"}
    ).respond_with_json({"reviews": second})

    result = sync(google_runner)

    assert result.exit_code == 0, result.output
    assert "5 neu" in result.output
    assert re.search(r"^Google reviews of locations/\S+: 0 of 5 \(0 %\)$", result.output, re.M)
    assert re.search(r"^Google reviews of locations/\S+: 5 done$", result.output, re.M)
    httpserver.check_assertions()
    rows = reviews_in(google_app)
    assert [r.review_id for r in rows] == ["r1", "r2", "r3", "r4", "r5"]
    rating_only = rows[3]
    assert rating_only.anonymous and rating_only.reviewer_name is None
    assert rating_only.feedback.text is None and rating_only.feedback.rating == 1
    assert rating_only.reviewer == "anonym"
    entry = rows[0].feedback
    assert entry.channel == Channel.SOCIAL_MEDIA
    assert entry.status == Status.NEW
    assert entry.rating == 4
    assert entry.received_at == datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
    assert entry.acknowledge_by is None  # anonymous: triage standard only
    assert entry.close_by > entry.received_at
    assert rows[0].reviewer_name == "Erika Mustermann"
    masked = rows[4].feedback
    assert "0171" not in masked.text and masked.text_masked


def test_an_edited_review_updates_its_entry_instead_of_adding_one(
    google_app, google_runner, httpserver
):
    serve_reviews(httpserver, [review("r1", stars="TWO", comment="Lange Wartezeit.")])
    assert sync(google_runner).exit_code == 0
    with google_app.app_context():
        before = db.session.scalars(select(Feedback)).one().updated_at

    httpserver.clear()
    edited = review(
        "r1",
        stars="FOUR",
        comment="Lange Wartezeit, aber dann gut beraten.",
        updated="2026-11-20T12:00:00Z",
    )
    serve_reviews(httpserver, [edited])
    result = sync(google_runner)

    assert result.exit_code == 0, result.output
    assert "1 geändert" in result.output
    with google_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1
        assert db.session.scalar(select(func.count()).select_from(GoogleReview)) == 1
        entry = db.session.scalars(select(Feedback)).one()
        assert entry.rating == 4
        assert entry.text == "Lange Wartezeit, aber dann gut beraten."
        assert entry.updated_at > before
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "google: review edited")
        ).one()
        assert event.feedback_id == entry.id
        assert event.details["rating"] == [2, 4]

    # The same listing again changes nothing.
    assert "1 unverändert" in sync(google_runner).output


def test_a_review_gone_from_the_listing_is_marked_removed_not_deleted(
    google_app, google_runner, httpserver
):
    serve_reviews(httpserver, [review("r1"), review("r2")])
    assert sync(google_runner).exit_code == 0
    httpserver.clear()
    serve_reviews(httpserver, [review("r2")])

    result = sync(google_runner)

    assert "1 bei Google entfernt" in result.output
    rows = {r.review_id: r for r in reviews_in(google_app)}
    assert rows["r1"].removed_at is not None
    assert rows["r2"].removed_at is None
    assert len(rows) == 2


def test_reviewer_names_are_erased_once_answered_or_after_retention(
    google_app, google_runner, httpserver
):
    answered = review("r1", reply={"comment": "Danke!", "updateTime": "2026-11-17T08:00:00Z"})
    serve_reviews(httpserver, [answered, review("r2")])
    assert sync(google_runner).exit_code == 0
    rows = {r.review_id: r for r in reviews_in(google_app)}
    assert rows["r1"].reviewer_name is None  # already answered on Google: not needed
    assert rows["r1"].reply_text == "Danke!"
    assert rows["r2"].reviewer_name == "Erika Mustermann"

    later = datetime.now(UTC) + timedelta(days=31)
    with google_app.app_context():
        context = SyncContext.from_config(google_app.config, now=later, actor="test")
        assert erase_names(db.session, context) == 1
        db.session.commit()
    assert all(r.reviewer_name is None for r in reviews_in(google_app))

    # A later sync does not bring the name back: Google still sends it, it is not kept.
    with google_app.app_context():
        client = GoogleClient.from_config(GoogleConfig.from_config(google_app.config))
        sync_reviews(db.session, client, [LOCATION], context)
        db.session.commit()
    assert all(r.reviewer_name is None for r in reviews_in(google_app))


def test_reviews_appear_in_the_inbox_with_the_google_channel(google_app, httpserver):
    serve_reviews(httpserver, [review("r1", comment="Sehr lange Bearbeitungsdauer.")])
    assert sync(google_app.test_cli_runner()).exit_code == 0
    _accounts(google_app)
    client = google_app.test_client()
    login(client, "krm")
    page = client.get("/admin/?channel=soziale_medien").get_data(as_text=True)
    assert "Sehr lange Bearbeitungsdauer." in page


def test_reviews_go_into_the_weekly_export_of_the_week_they_were_written(
    google_app, google_runner, httpserver, tmp_path
):
    serve_reviews(
        httpserver,
        [
            review(
                "r1",
                stars="TWO",
                comment="Sehr lange Bearbeitungsdauer.",
                created="2026-11-17T09:00:00Z",
            )
        ],
    )
    assert sync(google_runner).exit_code == 0
    out = tmp_path / "kw47.csv"
    result = google_runner.invoke(
        args=["export", "--week", "2026-W47", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = out.read_text("utf-8-sig").splitlines()
    [row] = [line for line in rows[1:] if "Bearbeitungsdauer" in line]
    assert "soziale Medien (Google)" in row and "17.11.2026" in row


def test_takeout_import_reads_reviews_json(google_app, google_runner, tmp_path):
    takeout = tmp_path / "reviews.json"
    takeout.write_text(
        json.dumps(
            {
                "reviews": [
                    review("t1", stars="FIVE", comment="Top Service im Jobcenter!"),
                    review("t2", stars="THREE", comment=None, name=None),
                    review(
                        "t3",
                        reply={"comment": "Vielen Dank", "updateTime": "2026-11-17T10:00:00Z"},
                    ),
                ]
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    result = google_runner.invoke(args=["google", "import", str(takeout)])
    assert result.exit_code == 0, result.output
    assert "3 neu" in result.output
    rows = reviews_in(google_app)
    assert [r.location for r in rows] == [LOCATION] * 3
    assert rows[0].feedback.rating == 5
    assert rows[1].anonymous and rows[1].feedback.text is None
    assert rows[2].answered

    # Importing again updates, never duplicates.
    again = google_runner.invoke(args=["google", "import", str(takeout)])
    assert "3 unverändert" in again.output
    assert len(reviews_in(google_app)) == 3


def test_a_broken_takeout_file_names_line_and_column(google_runner, tmp_path):
    broken = tmp_path / "reviews.json"
    broken.write_text('{\n  "reviews": [\n    {"reviewId": "x",}\n  ]\n}\n', encoding="utf-8")
    line = one_line_error(google_runner.invoke(args=["google", "import", str(broken)]))
    assert "Zeile 3, Spalte" in line

    bad_review = tmp_path / "bad.json"
    bad_review.write_text(json.dumps({"reviews": [review("a"), review("b", stars="SIX")]}))
    line = one_line_error(google_runner.invoke(args=["google", "import", str(bad_review)]))
    assert "Rezension 2" in line and "starRating" in line
    missing = google_runner.invoke(args=["google", "import", str(tmp_path / "none.json")])
    assert "gibt es nicht" in one_line_error(missing)


# --- failures ---------------------------------------------------------------------------------


def test_sync_without_settings_says_what_is_missing(runner):
    line = one_line_error(sync(runner))
    assert "KRM_GOOGLE_ACCOUNT" in line and "KRM_GOOGLE_LOCATIONS" in line


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "abgelaufen oder ungültig"),
        (403, "verweigert den Zugriff"),
        (404, "kennt den Standort locations/2002 nicht"),
        (429, "begrenzt gerade die Zahl der Anfragen (429), auch nach 3 Versuchen"),
    ],
)
def test_sync_failures_give_one_german_line_and_a_nonzero_exit(
    google_runner, httpserver, status, words
):
    httpserver.expect_request(REVIEWS_PATH).respond_with_json(
        {"error": {"code": status, "message": "Request had invalid credentials.", "status": "X"}},
        status=status,
        headers={"Retry-After": "0"},
    )
    line = one_line_error(sync(google_runner))
    assert words in line
    assert "Request had invalid credentials." in line
    assert len(httpserver.log) == (3 if status == 429 else 1)  # other 4xx are not retried


def test_429_waits_for_retry_after_then_succeeds(google_app, google_runner, httpserver):
    httpserver.expect_ordered_request(REVIEWS_PATH).respond_with_json(
        {"error": {"code": 429, "message": "Quota exceeded"}},
        status=429,
        headers={"Retry-After": "0"},
    )
    httpserver.expect_ordered_request(REVIEWS_PATH).respond_with_json({"reviews": [review("r1")]})
    result = sync(google_runner)
    assert result.exit_code == 0, result.output
    assert len(reviews_in(google_app)) == 1
    assert len(httpserver.log) == 2


def test_the_client_honours_retry_after_and_backs_off_exponentially(httpserver):
    config = GoogleConfig(
        base_url=httpserver.url_for("/v4"),
        account=ACCOUNT,
        locations=(LOCATION,),
        access_token=TOKEN,
        max_retries=3,
        retry_base_delay=0.5,
    )
    waits: list[float] = []
    client = GoogleClient.from_config(config, sleep=waits.append)
    httpserver.expect_ordered_request(REVIEWS_PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request(REVIEWS_PATH).respond_with_data("oops", status=503)
    httpserver.expect_ordered_request(REVIEWS_PATH).respond_with_data("oops", status=500)
    httpserver.expect_ordered_request(REVIEWS_PATH).respond_with_json({"reviews": []})
    assert client.list_reviews(LOCATION) == []
    assert waits == [7.0, 1.0, 2.0]


def test_a_retry_after_longer_than_we_wait_fails_at_once(httpserver):
    config = GoogleConfig(
        base_url=httpserver.url_for("/v4"), account=ACCOUNT, access_token=TOKEN, max_wait=5
    )
    waits: list[float] = []
    client = GoogleClient.from_config(config, sleep=waits.append)
    httpserver.expect_request(REVIEWS_PATH).respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    with pytest.raises(GoogleError, match="429"):
        client.list_reviews(LOCATION)
    assert waits == [] and len(httpserver.log) == 1


def test_5xx_is_retried_then_fails_with_a_german_line(google_app, google_runner, httpserver):
    httpserver.expect_request(REVIEWS_PATH).respond_with_data("backend error", status=503)
    line = one_line_error(sync(google_runner))
    assert "Google ist gerade gestört (HTTP 503), auch nach 3 Versuchen" in line
    assert len(httpserver.log) == 3  # the first try and two retries
    assert reviews_in(google_app) == []


def test_a_connection_failure_is_one_line_too(make_app, httpserver):
    app = make_app(
        GOOGLE_API_BASE_URL="http://127.0.0.1:9/v4",  # discard port: nothing listens there
        GOOGLE_ACCOUNT=ACCOUNT,
        GOOGLE_LOCATIONS=[LOCATION],
        GOOGLE_ACCESS_TOKEN=TOKEN,
        GOOGLE_RETRY_BASE_DELAY=0,
        GOOGLE_MAX_RETRIES=1,
    )
    line = one_line_error(sync(app.test_cli_runner()))
    assert "Keine Verbindung zu Google" in line


def test_a_failing_location_does_not_stop_the_others(make_app, httpserver):
    app = make_app(
        GOOGLE_API_BASE_URL=httpserver.url_for("/v4"),
        GOOGLE_ACCOUNT=ACCOUNT,
        GOOGLE_LOCATIONS=json.dumps([OTHER_LOCATION, LOCATION]),
        GOOGLE_ACCESS_TOKEN=TOKEN,
        GOOGLE_RETRY_BASE_DELAY=0,
        GOOGLE_MAX_RETRIES=0,
    )
    httpserver.expect_request(f"/v4/{ACCOUNT}/{OTHER_LOCATION}/reviews").respond_with_json(
        {}, status=404
    )
    serve_reviews(httpserver, [review("r1")])
    line = one_line_error(sync(app.test_cli_runner()))
    assert OTHER_LOCATION in line and "404" in line
    assert len(reviews_in(app)) == 1


# --- credentials ------------------------------------------------------------------------------


def test_a_missing_or_bad_credentials_file_is_a_clear_error(make_app, tmp_path):
    base = {"GOOGLE_ACCOUNT": ACCOUNT, "GOOGLE_LOCATIONS": [LOCATION]}
    missing = make_app(GOOGLE_CREDENTIALS=str(tmp_path / "nope.json"), **base)
    line = one_line_error(sync(missing.test_cli_runner()))
    assert "KRM_GOOGLE_CREDENTIALS" in line and "gibt es nicht" in line

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    line = one_line_error(sync(make_app(GOOGLE_CREDENTIALS=str(garbage), **base).test_cli_runner()))
    assert "keine gültige JSON-Datei" in line

    service = tmp_path / "service.json"
    service.write_text(json.dumps({"type": "service_account", "client_email": "a@b.iam"}))
    line = one_line_error(sync(make_app(GOOGLE_CREDENTIALS=str(service), **base).test_cli_runner()))
    assert "unvollständig" in line

    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"client_id": "x"}))
    app = make_app(GOOGLE_CREDENTIALS=str(incomplete), **base)
    line = one_line_error(sync(app.test_cli_runner()))
    assert "unvollständig" in line


def _oauth_client(httpserver, tmp_path, refresh_token: str) -> GoogleClient:
    """A client on an authorised-user file, its token endpoint pointed at the fake.

    google-auth always sets Google's own token endpoint when it reads the file; the test moves
    it to loopback, so the refresh is real HTTP and never leaves the machine.
    """
    credentials = tmp_path / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "client.apps.googleusercontent.com",
                "client_secret": "secret",
                "refresh_token": refresh_token,
            }
        )
    )
    loaded = load_credentials(str(credentials)).with_token_uri(httpserver.url_for("/token"))
    config = GoogleConfig(
        base_url=httpserver.url_for("/v4"),
        account=ACCOUNT,
        locations=(LOCATION,),
        credentials_file=str(credentials),
        retry_base_delay=0,
    )
    return GoogleClient(config, TokenSource(credentials=loaded))


def test_oauth_credentials_are_refreshed_and_renewed_once_on_401(httpserver, tmp_path):
    client = _oauth_client(httpserver, tmp_path, "refresh-me")
    httpserver.expect_ordered_request("/token", method="POST").respond_with_json(
        {"access_token": "first-token", "expires_in": 3600, "token_type": "Bearer"}
    )
    httpserver.expect_ordered_request(
        REVIEWS_PATH, headers={"Authorization": "Bearer first-token"}
    ).respond_with_json({"error": {"code": 401, "message": "expired"}}, status=401)
    httpserver.expect_ordered_request("/token", method="POST").respond_with_json(
        {"access_token": "second-token", "expires_in": 3600, "token_type": "Bearer"}
    )
    httpserver.expect_ordered_request(
        REVIEWS_PATH, headers={"Authorization": "Bearer second-token"}
    ).respond_with_json({"reviews": [review("r1")]})
    assert [item["reviewId"] for item in client.list_reviews(LOCATION)] == ["r1"]
    httpserver.check_assertions()
    token_request = httpserver.log[0][0]
    assert "refresh_token=refresh-me" in token_request.get_data(as_text=True)


def test_a_refused_refresh_says_the_credentials_are_expired(httpserver, tmp_path):
    client = _oauth_client(httpserver, tmp_path, "revoked")
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        status=400,
    )
    with pytest.raises(GoogleError, match="Anmeldung bei Google ist fehlgeschlagen") as caught:
        client.list_reviews(LOCATION)
    assert caught.value.status == 401
    assert all(request.path == "/token" for request, _ in httpserver.log)


def test_a_static_token_is_sent_as_bearer():
    source = TokenSource(access_token="abc")
    assert source.token() == "abc" and not source.refreshable


# --- the admin area ---------------------------------------------------------------------------


def _accounts(app) -> None:
    from conftest import PASSWORD

    from admin.accounts.models import User
    from admin.accounts.service import add_user
    from portal.db import utcnow
    from portal.vocab import Role

    with app.app_context():
        if db.session.scalars(select(User).where(User.name == "krm")).first() is None:
            now = utcnow()
            add_user(db.session, "krm", PASSWORD, Role.KRM, actor="test", now=now)
            add_user(db.session, "reader", PASSWORD, Role.READ, actor="test", now=now)
            db.session.commit()


@pytest.fixture
def officer(google_app):
    _accounts(google_app)
    client = google_app.test_client()
    assert login(client, "krm").status_code == 303
    return client


def _synced(google_app, httpserver, reviews: list[dict]) -> None:
    serve_reviews(httpserver, reviews)
    assert sync(google_app.test_cli_runner()).exit_code == 0
    httpserver.clear()


def _review_id(app, review_id: str) -> int:
    return next(r.id for r in reviews_in(app) if r.review_id == review_id)


def test_only_the_krm_officer_sees_google_reviews(google_app):
    _accounts(google_app)
    reader = google_app.test_client()
    login(reader, "reader")
    assert reader.get("/admin/google/").status_code == 403
    assert reader.get("/admin/google/templates").status_code == 403
    anonymous = google_app.test_client()
    assert anonymous.get("/admin/google/").status_code == 302


def test_the_list_shows_unanswered_first_then_newest(google_app, officer, httpserver):
    _synced(
        google_app,
        httpserver,
        [
            review("old", comment="Alt und offen", created="2026-10-01T08:00:00Z"),
            review(
                "answered",
                comment="Neu und beantwortet",
                created="2026-11-20T08:00:00Z",
                reply={"comment": "Danke", "updateTime": "2026-11-20T09:00:00Z"},
            ),
            review("new", comment="Neu und offen", created="2026-11-19T08:00:00Z"),
            review("stars", stars="THREE", comment=None, created="2026-11-18T08:00:00Z"),
        ],
    )
    page = officer.get("/admin/google/").get_data(as_text=True)
    order = [page.index(text) for text in ("Neu und offen", "nur Sterne", "Alt und offen")]
    assert order == sorted(order)
    assert page.index("Alt und offen") < page.index("Neu und beantwortet")
    assert "3 von 5 Sternen" in page
    assert "3 unbeantwortet" in page
    assert "Google-Rezensionen" in page  # in the navigation


def test_sync_button_stores_reviews_and_reports_google_errors_in_german(
    google_app, officer, httpserver
):
    serve_reviews(httpserver, [review("r1")])
    token = csrf_token(officer, "/admin/google/")
    response = officer.post("/admin/google/sync", data={"csrf_token": token})
    assert response.status_code == 303
    assert "1 neu" in officer.get("/admin/google/").get_data(as_text=True)

    httpserver.clear()
    httpserver.expect_request(REVIEWS_PATH).respond_with_json(
        {"error": {"code": 403, "message": "The caller does not have permission"}}, status=403
    )
    response = officer.post("/admin/google/sync", data={"csrf_token": token})
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "Google verweigert den Zugriff" in page
    assert "The caller does not have permission" in page


def _reply_page(officer, google_app, review_id: str) -> tuple[str, str]:
    url = f"/admin/google/reviews/{_review_id(google_app, review_id)}"
    return url, csrf_token(officer, url)


def test_answer_with_a_template_and_publish_to_google(google_app, officer, httpserver):
    _synced(google_app, httpserver, [review("r1", name="Erika Mustermann")])
    token = csrf_token(officer, "/admin/google/templates")
    created = officer.post(
        "/admin/google/templates",
        data={
            "csrf_token": token,
            "title": "Dank für Lob",
            "text": "Hallo {name}, danke für {sterne}! Ihr {jobcenter}",
        },
    )
    assert created.status_code == 303
    with google_app.app_context():
        template_id = db.session.scalars(select(ReplyTemplate.id)).one()

    url, token = _reply_page(officer, google_app, "r1")
    page = officer.post(
        f"{url}/reply", data={"csrf_token": token, "action": "template", "template": template_id}
    ).get_data(as_text=True)
    expected = "Hallo Erika Mustermann, danke für 4 von 5 Sternen! Ihr Jobcenter Musterstadt"
    assert expected in page
    assert "noch nicht gespeichert" in page

    reply_path = f"{REVIEWS_PATH}/r1/reply"
    httpserver.expect_request(
        reply_path,
        method="PUT",
        json={"comment": expected},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json({"comment": expected, "updateTime": "2026-11-22T08:00:00Z"})
    response = officer.post(
        f"{url}/reply", data={"csrf_token": token, "action": "publish", "reply": expected}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    httpserver.check_assertions()
    (request, _), *_ = httpserver.log
    assert request.method == "PUT" and request.path == reply_path
    assert request.get_json() == {"comment": expected}
    stored = next(r for r in reviews_in(google_app) if r.review_id == "r1")
    assert stored.reply_text == expected
    assert stored.reply_updated_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert stored.draft_text is None
    assert stored.reviewer_name is None  # erased once published
    page = officer.get(url).get_data(as_text=True)
    assert "veröffentlicht" in page and "22.11.2026" in page


def test_edit_and_delete_a_published_reply(google_app, officer, httpserver):
    reply = {"comment": "Danke!", "updateTime": "2026-11-17T08:00:00Z"}
    _synced(google_app, httpserver, [review("r1", reply=reply)])
    url, token = _reply_page(officer, google_app, "r1")
    reply_path = f"{REVIEWS_PATH}/r1/reply"

    httpserver.expect_request(
        reply_path, method="PUT", json={"comment": "Danke für Ihr Lob!"}
    ).respond_with_json({"comment": "Danke für Ihr Lob!", "updateTime": "2026-11-22T08:00:00Z"})
    response = officer.post(
        f"{url}/reply",
        data={"csrf_token": token, "action": "publish", "reply": "Danke für Ihr Lob!"},
    )
    assert response.status_code == 303
    assert reviews_in(google_app)[0].reply_text == "Danke für Ihr Lob!"

    httpserver.expect_request(reply_path, method="DELETE").respond_with_data("", status=200)
    response = officer.post(f"{url}/reply/delete", data={"csrf_token": token})
    assert response.status_code == 303
    methods = [(req.method, req.path) for req, _ in httpserver.log]
    assert methods == [("PUT", reply_path), ("DELETE", reply_path)]
    assert all(req.headers["Authorization"] == f"Bearer {TOKEN}" for req, _ in httpserver.log)
    stored = reviews_in(google_app)[0]
    assert stored.reply_text is None and not stored.answered
    with google_app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.feedback_id == stored.feedback_id)
        ).all()
    assert {"google: reply updated", "google: reply deleted"} <= set(actions)


def test_a_reply_over_4096_bytes_is_refused_before_sending(google_app, officer, httpserver):
    _synced(google_app, httpserver, [review("r1")])
    url, token = _reply_page(officer, google_app, "r1")
    text = "ä" * 2049  # 2,049 characters, 4,098 bytes
    response = officer.post(
        f"{url}/reply", data={"csrf_token": token, "action": "publish", "reply": text}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "4098 Byte" in page and "höchstens 4096 Byte" in page
    assert text in page  # nothing typed is lost
    assert httpserver.log == []
    fits = "ä" * 2048
    response = officer.post(
        f"{url}/reply", data={"csrf_token": token, "action": "save", "reply": fits}
    )
    assert response.status_code == 303
    assert reviews_in(google_app)[0].draft_text == fits


@pytest.mark.parametrize(
    ("status", "headers", "words"),
    [
        (401, {}, "Google lehnt die Anmeldung ab (401)"),
        (403, {}, "Google verweigert den Zugriff"),
        (404, {}, "(404)"),
        (429, {"Retry-After": "0"}, "(429), auch nach 3 Versuchen"),
        (500, {}, "(HTTP 500), auch nach 3 Versuchen"),
    ],
)
def test_a_failed_publish_keeps_the_draft_and_explains_in_german(
    google_app, officer, httpserver, status, headers, words
):
    _synced(google_app, httpserver, [review("r1")])
    url, token = _reply_page(officer, google_app, "r1")
    httpserver.expect_request(f"{REVIEWS_PATH}/r1/reply", method="PUT").respond_with_json(
        {"error": {"code": status, "message": "nope"}}, status=status, headers=headers
    )
    response = officer.post(
        f"{url}/reply", data={"csrf_token": token, "action": "publish", "reply": "Danke, {name}!"}
    )
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert words in page
    assert "Ihr Entwurf ist gespeichert" in page
    assert "Danke, {name}!" in page
    stored = reviews_in(google_app)[0]
    assert stored.draft_text == "Danke, {name}!"
    assert stored.reply_text is None
    assert words in stored.reply_error
    assert "Veröffentlichen fehlgeschlagen" in officer.get("/admin/google/").get_data(as_text=True)


def test_a_failed_delete_keeps_the_reply(google_app, officer, httpserver):
    reply = {"comment": "Danke!", "updateTime": "2026-11-17T08:00:00Z"}
    _synced(google_app, httpserver, [review("r1", reply=reply)])
    url, token = _reply_page(officer, google_app, "r1")
    httpserver.expect_request(f"{REVIEWS_PATH}/r1/reply", method="DELETE").respond_with_json(
        {}, status=404
    )
    response = officer.post(f"{url}/reply/delete", data={"csrf_token": token})
    assert response.status_code == 502
    assert "Die Antwort wurde nicht gelöscht" in response.get_data(as_text=True)
    assert reviews_in(google_app)[0].reply_text == "Danke!"


# --- templates --------------------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused_with_the_text_kept(google_app, officer):
    token = csrf_token(officer, "/admin/google/templates")
    text = "Guten Tag {kunde}, danke!"
    response = officer.post(
        "/admin/google/templates", data={"csrf_token": token, "title": "Dank", "text": text}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Den Platzhalter {kunde} gibt es nicht" in page
    assert text in page and 'value="Dank"' in page
    with google_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReplyTemplate)) == 0


def test_templates_can_be_edited_and_deleted(google_app, officer):
    token = csrf_token(officer, "/admin/google/templates")
    officer.post(
        "/admin/google/templates",
        data={"csrf_token": token, "title": "Kritik", "text": "Das tut uns leid, {name}."},
    )
    with google_app.app_context():
        template_id = db.session.scalars(select(ReplyTemplate.id)).one()
    url = f"/admin/google/templates/{template_id}"
    assert "Das tut uns leid" in officer.get(url).get_data(as_text=True)
    broken = officer.post(url, data={"csrf_token": token, "title": "Kritik", "text": "Hallo {"})
    assert broken.status_code == 422
    assert "geschweifte Klammer" in broken.get_data(as_text=True)
    saved = officer.post(
        url, data={"csrf_token": token, "title": "Kritik", "text": "Es tut uns leid."}
    )
    assert saved.status_code == 303
    deleted = officer.post(f"{url}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    with google_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReplyTemplate)) == 0
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "google: template added",
        "google: template changed",
        "google: template deleted",
    } <= actions


def test_placeholders_render_and_an_empty_name_leaves_no_gap(google_app, httpserver):
    assert template_problem("{name} {jobcenter} {sterne} {datum}") is None
    assert "gibt es nicht" in template_problem("{0}")
    assert "ohne Zusätze" in template_problem("{name!r}")
    _synced(google_app, httpserver, [review("r1", name=None, created="2026-11-20T23:30:00Z")])
    stored = reviews_in(google_app)[0]
    filled = render_reply(
        "Hallo {name}, danke für Ihre Bewertung vom {datum}.", stored, jobcenter="J"
    )
    assert filled == "Hallo, danke für Ihre Bewertung vom 21.11.2026."  # Berlin date


def test_the_client_refuses_an_over_long_reply_without_calling(httpserver):
    config = GoogleConfig(base_url=httpserver.url_for("/v4"), account=ACCOUNT, access_token=TOKEN)
    client = GoogleClient.from_config(config)
    with pytest.raises(GoogleError, match="4097 Byte"):
        client.put_reply(LOCATION, "r1", "€" * 1365 + "ab")
    assert httpserver.log == []


def test_services_record_the_actor(google_app, httpserver):
    from admin.google.replies import save_draft

    _synced(google_app, httpserver, [review("r1")])
    with google_app.app_context():
        stored = db.session.scalars(select(GoogleReview)).one()
        save_draft(db.session, stored, "Danke!", actor=Actor("krm", None), now=datetime.now(UTC))
        db.session.commit()
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "google: reply draft saved")
        ).one()
        assert event.actor == "krm" and event.feedback_id == stored.feedback_id


def test_the_page_has_no_personal_data_of_removed_names(google_app, officer, httpserver):
    _synced(google_app, httpserver, [review("r1", name="Max Beispiel", reply={"comment": "Ok"})])
    page = officer.get(f"/admin/google/reviews/{_review_id(google_app, 'r1')}").get_data(
        as_text=True
    )
    assert "Max Beispiel" not in page
    assert re.search(r"Name gelöscht", page)


def test_the_inbox_entry_links_to_its_review(google_app, officer, httpserver):
    _synced(google_app, httpserver, [review("r1")])
    stored = reviews_in(google_app)[0]
    page = officer.get(f"/admin/entries/{stored.feedback_id}").get_data(as_text=True)
    assert f'href="/admin/google/reviews/{stored.id}"' in page
    assert "4 von 5 Sternen – Antwort: unbeantwortet" in page


def test_a_mapped_google_location_counts_for_its_dienststelle(make_app, httpserver):
    from cards.services import add_location

    app = make_app(
        GOOGLE_API_BASE_URL=httpserver.url_for("/v4"),
        GOOGLE_ACCOUNT=ACCOUNT,
        GOOGLE_LOCATIONS=[LOCATION],
        GOOGLE_ACCESS_TOKEN=TOKEN,
        GOOGLE_LOCATION_MAP=f"{LOCATION}=BE01",
    )
    with app.app_context():
        location_id = add_location(db.session, "BE01", "Bad Ems").id
        db.session.commit()
    serve_reviews(httpserver, [review("r1")])
    assert sync(app.test_cli_runner()).exit_code == 0
    assert reviews_in(app)[0].feedback.location_id == location_id


def test_purged_text_is_not_brought_back_by_an_unchanged_review(google_app, httpserver):
    _synced(google_app, httpserver, [review("r1", comment="Alles gut.")])
    with google_app.app_context():
        entry = db.session.scalars(select(Feedback)).one()
        entry.text = None  # as the retention purge leaves it
        db.session.commit()
    serve_reviews(httpserver, [review("r1", comment="Alles gut.")])
    assert "1 unverändert" in sync(google_app.test_cli_runner()).output
    assert reviews_in(google_app)[0].feedback.text is None


def test_an_edit_on_google_does_not_bring_back_a_purged_text(google_app, httpserver):
    from portal.db import utcnow

    _synced(google_app, httpserver, [review("r1", comment="Alles gut.")])
    with google_app.app_context():
        entry = db.session.scalars(select(Feedback)).one()
        entry.text, entry.purged_at = None, utcnow()  # as `krm purge` leaves it
        db.session.commit()
    edited = review("r1", comment="Alles gut, Herr Muster.", updated="2026-11-20T10:00:00Z")
    serve_reviews(httpserver, [edited])
    assert sync(google_app.test_cli_runner()).exit_code == 0
    assert reviews_in(google_app)[0].feedback.text is None


def test_a_sync_racing_another_one_ends_with_one_line(google_runner, httpserver, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    import admin.google.cli

    def racing(*_args, **_kwargs):
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(admin.google.cli, "sync_reviews", racing)
    line = one_line_error(sync(google_runner))
    assert "anderer Abgleich" in line


def test_comments_are_masked_with_the_reviewers_name_on_sync_and_edit(google_app, httpserver):
    """The reviewer's own name goes wherever the comment names them; a staff name stays."""
    comment = (
        "Ich, Erika Mustermann, geb. 14.07.1979, warte seit Wochen. "
        "Herr Dr. Weber war freundlich. Gruß, Erika"
    )
    serve_reviews(httpserver, [review("r1", comment=comment)])
    assert sync(google_app.test_cli_runner()).exit_code == 0
    assert reviews_in(google_app)[0].feedback.text == (
        "Ich, [Name entfernt], geb. [Geburtsdatum entfernt], warte seit Wochen. "
        "Herr Dr. Weber war freundlich. Gruß, [Name entfernt]"
    )
    httpserver.clear()
    edited = review(
        "r1",
        comment="Nachtrag von Erika: Steuer-ID 36574261809, Ausweisnummer T22000129.",
        updated="2026-11-20T12:00:00Z",
    )
    serve_reviews(httpserver, [edited])
    result = sync(google_app.test_cli_runner())
    assert "1 geändert" in result.output
    assert reviews_in(google_app)[0].feedback.text == (
        "Nachtrag von [Name entfernt]: Steuer-ID [Steuer-ID entfernt], "
        "Ausweisnummer [Ausweisnummer entfernt]."
    )
