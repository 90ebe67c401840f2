"""Reports: the annual figures against a hand-counted data set in the shape of Dresden 2021.

``domain.md`` gives Dresden's published figures for 2021 against 2020. The data set below rebuilds
them: 749 reactions (the channel shares published add up to 749; Dresden counts 748 *customers*)
with 1,276 Anliegen, against 1,068 reactions with 2,145 Anliegen. Each expected value is counted
by hand from the tables below, and the published shares and changes are checked against them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert, select

from admin.inbox.models import Concern, Topic
from admin.reports.figures import (
    DECIMAL,
    PERCENT,
    Row,
    annual_report,
    change_percent,
    dashboard,
    default_year,
    year_period,
)
from admin.surveys.models import SurveyResult
from cards.models import Location
from portal import rollup
from portal.extensions import db
from portal.feedback import Feedback
from portal.rollup import rebuild
from portal.vocab import Area, Assessment, Channel, ConcernKind, Status
from tests.conftest import login

pytestmark = pytest.mark.engines

B, K, V, S, ORG = Area.BENEFITS, Area.MUNICIPAL, Area.PLACEMENT, Area.STAFF, Area.ORGANISATION
LOB, IDEE, BESCHWERDE = ConcernKind.PRAISE, ConcernKind.IDEA, ConcernKind.COMPLAINT
DIENSTAUFSICHT, PETITION = ConcernKind.CONDUCT, ConcernKind.PETITION
EINGABE, FOLGE = ConcernKind.SUBMISSION, ConcernKind.FOLLOW_UP
J, U, NA = Assessment.JUSTIFIED, Assessment.UNJUSTIFIED, Assessment.NOT_ASSESSABLE

# The report for 2021 is made on 5 January 2022: one reaction of late December is still open
# with its deadline running, so it does not count for the quality standard yet.
NOW = datetime(2022, 1, 5, 9, 0, tzinfo=UTC)

# (count, Anliegensart, Bereich, Thema, Bewertung)
CONCERNS_2021 = [
    (12, LOB, S, None, None),
    (8, LOB, V, None, None),
    (5, LOB, B, None, None),
    (3, LOB, ORG, None, None),
    (1, LOB, None, None, None),
    (7, PETITION, B, None, None),
    (60, IDEE, ORG, None, None),
    (40, EINGABE, K, None, None),
    (22, FOLGE, B, None, None),
    (118, BESCHWERDE, B, "Bearbeitungsdauer", J),
    (200, BESCHWERDE, B, "Höhe der Leistungen", U),
    (269, BESCHWERDE, B, None, U),
    (100, BESCHWERDE, K, "Zustimmung zum Umzug", J),
    (119, BESCHWERDE, K, "Zustimmung zum Umzug", U),
    (36, BESCHWERDE, V, "Beratung", J),
    (39, BESCHWERDE, V, "Beratung", U),
    (18, DIENSTAUFSICHT, S, None, NA),
    (120, BESCHWERDE, S, "Freundlichkeit", U),
    (99, BESCHWERDE, ORG, "Erreichbarkeit", U),
]
CONCERNS_2020 = [
    (10, LOB, S, None, None),
    (7, LOB, V, None, None),
    (6, LOB, B, None, None),
    (4, LOB, ORG, None, None),
    (5, PETITION, B, None, None),
    (100, IDEE, ORG, None, None),
    (80, EINGABE, K, None, None),
    (28, FOLGE, B, None, None),
    (200, BESCHWERDE, B, "Bearbeitungsdauer", J),
    (956, BESCHWERDE, B, None, U),
    (100, BESCHWERDE, K, "Zustimmung zum Umzug", J),
    (191, BESCHWERDE, K, "Zustimmung zum Umzug", U),
    (66, BESCHWERDE, V, "Beratung", J),
    (24, BESCHWERDE, V, "Beratung", U),
    (20, DIENSTAUFSICHT, S, None, NA),
    (210, BESCHWERDE, S, "Freundlichkeit", U),
    (138, BESCHWERDE, ORG, "Erreichbarkeit", U),
]
CHANNELS_2021 = {
    Channel.EMAIL: 362,
    Channel.PHONE: 242,
    Channel.LETTER: 93,
    Channel.IN_PERSON: 13,
    Channel.HOMEPAGE: 29,
    Channel.SOCIAL_MEDIA: 10,
}
CHANNELS_2020 = {
    Channel.EMAIL: 500,
    Channel.PHONE: 350,
    Channel.LETTER: 150,
    Channel.IN_PERSON: 30,
    Channel.HOMEPAGE: 28,
    Channel.SOCIAL_MEDIA: 10,
}
GOOGLE_2021 = [5, 5, 4, 4, 4, 3, 2, 1, 1, 1]  # 30 stars: 3.0 on average
GOOGLE_2020 = [5, 4, 3, 3, 2, 2, 2, 2, 1, 1]  # 25 stars: 2.5


def berlin(year, month, day, hour=12, minute=0) -> datetime:
    """A Berlin wall-clock time in winter (UTC+1) or summer (UTC+2) as UTC."""
    from portal.deadlines import BERLIN

    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


class Builder:
    """Bulk-inserts feedback rows with explicit ids, and their Anliegen.

    Past the services, as a data load does, so ``loaded`` then rebuilds the report roll-up
    (what ``krm report rebuild`` does after one).
    """

    def __init__(self, session):
        self.session = session
        self.next_id = 1
        self.topics = {t.name: t.id for t in session.scalars(select(Topic))}

    def reactions(self, rows: list[dict]) -> list[int]:
        ids = list(range(self.next_id, self.next_id + len(rows)))
        self.next_id += len(rows)
        defaults = {"language": "de", "status": Status.DONE, "ombudsstelle": False}
        self.session.execute(
            insert(Feedback),
            [{**defaults, **row, "id": i} for i, row in zip(ids, rows, strict=True)],
        )
        return ids

    def loaded(self) -> None:
        rebuild(self.session)

    def concerns(self, ids: list[int], spec: list[tuple]) -> None:
        """Spread the Anliegen over the reactions: first one each, then second, then third."""
        flat = [entry[1:] for entry in spec for _ in range(entry[0])]
        slots = [(i, position) for position in (1, 2, 3) for i in ids][: len(flat)]
        assert len(slots) == len(flat), "at most three Anliegen per reaction"
        self.session.execute(
            insert(Concern),
            [
                {
                    "feedback_id": feedback_id,
                    "position": position,
                    "kind": kind,
                    "area": area,
                    "topic_id": self.topics[topic] if topic else None,
                    "assessment": assessment,
                }
                for (feedback_id, position), (kind, area, topic, assessment) in zip(
                    slots, flat, strict=True
                )
            ],
        )


def year_rows(year, channels, google, ombudsstelle, in_time, late, overdue, pending=None):
    """One reaction per channel count; deadlines and closing as the counts say.

    Spread over the year at noon; the first reaction arrives at 00:30 on 1 January, Berlin time
    (23:30 UTC the day before), to pin the year boundary.
    """
    channel_list = [channel for channel, n in channels.items() for _ in range(n)]
    stars = iter(google)
    rows = []
    for index, channel in enumerate(channel_list):
        received = berlin(year, 1, 1, 0, 30) + timedelta(hours=index * 8)
        rows.append(
            {
                "received_at": received,
                "channel": channel,
                "rating": next(stars) if channel == Channel.SOCIAL_MEDIA else None,
                "ombudsstelle": index < ombudsstelle,
                "close_by": received + timedelta(days=14),
            }
        )
    outcomes = ["in"] * in_time + ["late"] * late + ["overdue"] * overdue
    outcomes += ["pending"] if pending else []
    assert len(outcomes) == len(rows)
    for row, outcome in zip(rows, outcomes, strict=True):
        if outcome == "in":
            row["closed_at"] = row["close_by"] - timedelta(days=3)
        elif outcome == "late":
            row["closed_at"] = row["close_by"] + timedelta(days=2)
        elif outcome == "overdue":
            row["status"] = Status.IN_PROGRESS
        else:
            row.update(status=Status.NEW, received_at=pending[0], close_by=pending[1])
    return rows


@pytest.fixture
def dresden(app):
    """2021 and 2020 in the shape of Dresden's figures, plus spam and a 2022 neighbour."""
    with app.app_context():
        build = Builder(db.session)
        ids_2021 = build.reactions(
            year_rows(
                2021,
                CHANNELS_2021,
                GOOGLE_2021,
                ombudsstelle=326,
                in_time=690,
                late=50,
                overdue=8,
                # received 30 Dec 2021, due 13 Jan 2022: still running on NOW
                pending=(berlin(2021, 12, 30), berlin(2022, 1, 13, 23, 59)),
            )
        )
        build.concerns(ids_2021, CONCERNS_2021)
        ids_2020 = build.reactions(
            year_rows(
                2020, CHANNELS_2020, GOOGLE_2020, ombudsstelle=280, in_time=950, late=118, overdue=0
            )
        )
        build.concerns(ids_2020, CONCERNS_2020)
        # Spam, with Anliegen and a Google star, inside 2021: never counts.
        spam = build.reactions(
            [
                {
                    "received_at": berlin(2021, 6, 1),
                    "channel": Channel.SOCIAL_MEDIA,
                    "rating": 1,
                    "status": Status.SPAM,
                    "ombudsstelle": True,
                    "close_by": berlin(2021, 6, 15),
                }
            ]
            * 5
        )
        build.concerns(spam, [(5, LOB, S, None, None), (5, BESCHWERDE, B, None, J)])
        # 00:30 on 1 January 2022 in Berlin is still 2021 in UTC: it belongs to 2022.
        build.reactions(
            [
                {
                    "received_at": berlin(2022, 1, 1, 0, 30),
                    "channel": Channel.EMAIL,
                    "status": Status.NEW,
                    "close_by": berlin(2022, 1, 15),
                    "ombudsstelle": True,
                }
            ]
        )
        db.session.add_all(
            [
                SurveyResult(
                    period="2021-H1",
                    location="gesamt",
                    indicator="Gesamtzufriedenheit",
                    value=2.1,
                    scale="Schulnote 1-6",
                    respondents=412,
                ),
                SurveyResult(
                    period="2020-H1",
                    location="gesamt",
                    indicator="Gesamtzufriedenheit",
                    value=2.5,
                    scale="Schulnote 1-6",
                    respondents=380,
                ),
                SurveyResult(
                    period="2021-H2",
                    location="gesamt",
                    indicator="Gesamtzufriedenheit",
                    value=2.0,
                    scale="Schulnote 1-6",
                    respondents=398,
                ),
            ]
        )
        build.loaded()
        db.session.commit()
    return app


def report_of(app, year=2021):
    with app.app_context():
        return annual_report(db.session, year, NOW)


def rows_of(report, key) -> dict[str, Row]:
    return {row.label: row for row in report.figure(key).rows}


# --- the figures -------------------------------------------------------------------------------


def test_reactions_and_anliegen_with_the_change_to_the_year_before(dresden):
    overview = rows_of(report_of(dresden), "ueberblick")
    reactions, concerns = overview["Kundenreaktionen"], overview["Anliegen"]
    assert (reactions.current, reactions.previous) == (749, 1068)
    assert reactions.change == pytest.approx((749 - 1068) / 1068 * 100)
    assert round(reactions.change, 1) == -29.9  # Dresden: −30 % on 748 customers
    assert (concerns.current, concerns.previous) == (1276, 2145)
    assert round(concerns.change, 1) == -40.5  # as published
    assert overview["Kundenreaktionen ohne Anliegen (noch nicht eingeordnet)"].current == 0
    assert overview["Petitionen"].current == 7 and overview["Petitionen"].previous == 5


def test_channels_with_shares_as_published(dresden):
    channels = rows_of(report_of(dresden), "zugangsweg")
    published = {"E-Mail": 48.3, "Telefon": 32.3, "schriftlich": 12.4}
    for label, percent in published.items():
        assert round(channels[label].share, 1) == percent
    assert round(channels["persönlich"].share, 2) == 1.74
    assert channels["E-Mail"].current == 362 and channels["E-Mail"].previous == 500
    assert channels["E-Mail"].change == pytest.approx(-27.6)
    assert channels["E-Mail"].share_change == pytest.approx(362 / 749 * 100 - 500 / 1068 * 100)
    assert channels["soziale Medien (Google)"].current == 10
    # Channels without a reaction are listed with 0 and no change ("–", not a division error).
    assert channels["Meinungskarte (QR)"].current == 0
    assert channels["Meinungskarte (QR)"].change is None
    assert sum(row.current for row in channels.values()) == 749


def test_anliegen_by_kind(dresden):
    kinds = rows_of(report_of(dresden), "anliegensart")
    assert kinds["Lob"].current == 29 and kinds["Lob"].previous == 27
    assert kinds["Fachliche Beschwerde"].current == 1100
    assert kinds["Dienstaufsichtsbeschwerde"].current == 18
    assert kinds["Petition"].current == 7
    assert kinds["Fachaufsichtsbeschwerde"].current == 0
    assert kinds["Petition"].share == pytest.approx(7 / 1276 * 100)
    assert sum(row.current for row in kinds.values()) == 1276


def test_complaints_and_the_share_begruendet(dresden):
    overview = rows_of(report_of(dresden), "ueberblick")
    complaints = overview["Beschwerden (Anliegen)"]
    assert (complaints.current, complaints.previous) == (1118, 1905)
    assert round(complaints.change, 1) == -41.3  # as published
    justified = overview["Anteil begründet"]
    assert justified.unit == PERCENT
    assert round(justified.current, 1) == 22.7 and round(justified.previous, 1) == 19.2
    assert justified.change == pytest.approx(254 / 1118 * 100 - 366 / 1905 * 100)  # points
    assessments = rows_of(report_of(dresden), "bewertung")
    assert assessments["begründet"].current == 254
    assert assessments["nicht bewertbar"].current == 18
    assert assessments["unbegründet"].current == 1118 - 254 - 18
    assert assessments["noch ohne Bewertung"].current == 0


def test_unassessed_complaints_do_not_dilute_the_share_begruendet(dresden):
    with dresden.app_context():
        db.session.execute(
            Concern.__table__.update()
            .where(Concern.assessment == Assessment.UNJUSTIFIED, Concern.feedback_id <= 749)
            .values(assessment=None)
        )
        rebuild(db.session)
        db.session.commit()
    report = report_of(dresden)
    assert rows_of(report, "bewertung")["noch ohne Bewertung"].current == 1118 - 254 - 18
    assert rows_of(report, "ueberblick")["Anteil begründet"].current == pytest.approx(
        254 / (254 + 18) * 100
    )


def test_lob_by_area(dresden):
    praise = rows_of(report_of(dresden), "lob")
    assert praise["Mitarbeiterverhalten"].current == 12
    assert praise["Arbeitsvermittlung"].current == 8
    assert praise["Leistungsbereich / Grundsicherung"].current == 5
    assert praise["Organisation gesamt"].current == 3
    assert praise["ohne Bereich"].current == 1 and praise["ohne Bereich"].previous == 0
    assert praise["Kommunale Leistungen"].current == 0
    assert praise["Mitarbeiterverhalten"].share == pytest.approx(12 / 29 * 100)


def test_areas_with_their_topics(dresden):
    figure = report_of(dresden).figure("bereich")
    areas = {row.label: row for row in figure.rows if row.level == 0}
    assert (
        areas["Leistungsbereich / Grundsicherung"].current,
        areas["Leistungsbereich / Grundsicherung"].previous,
    ) == (621, 1195)
    assert (areas["Kommunale Leistungen"].current, areas["Kommunale Leistungen"].previous) == (
        259,
        371,
    )
    assert (areas["Arbeitsvermittlung"].current, areas["Arbeitsvermittlung"].previous) == (83, 97)
    assert round(areas["Arbeitsvermittlung"].change, 1) == -14.4
    assert sum(row.current for row in areas.values()) == 1276
    # The Themen follow their Bereich, largest first; a Thema's share is of its Bereich.
    labels = [row.label for row in figure.rows]
    benefits = labels.index("Leistungsbereich / Grundsicherung")
    themes = figure.rows[benefits + 1 : benefits + 4]
    assert [row.label for row in themes] == [
        "Höhe der Leistungen",
        "Bearbeitungsdauer",
        "ohne Thema",
    ]
    duration = themes[1]
    assert duration.level == 1 and (duration.current, duration.previous) == (118, 200)
    assert round(duration.share) == 19  # 118 of 621, as published
    assert themes[2].current == 621 - 200 - 118


def test_quality_standard_counts_open_reactions_only_once_their_deadline_passed(dresden):
    report = report_of(dresden)
    standard = rows_of(report, "qualitaetsstandard")
    assert standard["fristgerecht erledigt"].current == 690
    assert standard["nach Fristablauf erledigt"].current == 50
    assert standard["offen und überfällig"].current == 8
    assert standard["offen, Frist läuft noch (nicht gezählt)"].current == 1
    share = rows_of(report, "ueberblick")["Im Qualitätsstandard erledigt"]
    assert share.current == pytest.approx(690 / 748 * 100)
    assert round(share.current, 1) == 92.2  # as published
    assert share.previous == pytest.approx(950 / 1068 * 100)
    # A month later the pending one is overdue and counts against the standard.
    with dresden.app_context():
        later = annual_report(db.session, 2021, NOW + timedelta(days=30))
    assert rows_of(later, "ueberblick")["Im Qualitätsstandard erledigt"].current == (
        pytest.approx(690 / 749 * 100)
    )


def test_ombudsstelle_google_and_survey(dresden):
    report = report_of(dresden)
    overview = rows_of(report, "ueberblick")
    ombuds = overview["An die Ombudsstelle gerichtet"]
    assert (ombuds.current, ombuds.previous) == (326, 280)
    assert ombuds.change == pytest.approx((326 - 280) / 280 * 100)
    assert ombuds.share == pytest.approx(326 / 749 * 100)
    assert overview["Google-Bewertungen"].current == 10
    stars = overview["Google: Sterne im Durchschnitt"]
    assert stars.unit == DECIMAL and stars.current == 3.0 and stars.previous == 2.5
    assert stars.change == pytest.approx(20.0)
    google = rows_of(report, "google")
    assert google["1 Stern"].current == 3 and google["5 Sterne"].current == 2
    assert google["2 Sterne"].previous == 4
    survey = rows_of(report, "kundenbefragung")
    first = survey["Gesamtzufriedenheit (Schulnote 1-6), gesamt, H1"]
    assert (first.current, first.previous) == (2.1, 2.5)
    assert first.change == pytest.approx(-16.0)
    second = survey["Gesamtzufriedenheit (Schulnote 1-6), gesamt, H2"]
    assert second.previous is None and second.change is None


def test_spam_and_the_neighbouring_years_never_count(dresden):
    report_2022 = report_of(dresden, 2022)
    overview = rows_of(report_2022, "ueberblick")
    assert overview["Kundenreaktionen"].current == 1  # 00:30 Berlin on 1 January
    assert overview["Kundenreaktionen"].previous == 749
    assert overview["An die Ombudsstelle gerichtet"].current == 1
    assert overview["Google-Bewertungen"].previous == 10  # the five spam stars are not there


def test_year_boundaries_are_berlin_midnight():
    period = year_period(2021)
    assert period.start == datetime(2020, 12, 31, 23, 0, tzinfo=UTC)
    assert period.end == datetime(2021, 12, 31, 23, 0, tzinfo=UTC)


def test_change_in_percent_and_without_a_year_before():
    assert change_percent(748, 1068) == pytest.approx(-29.96, abs=0.01)
    assert change_percent(5, 0) is None
    assert change_percent(0, 0) is None
    assert change_percent(None, 3) is None
    assert Row("x", 3, 0).change is None
    assert Row("x", 22.7, 19.2, unit=PERCENT).change == pytest.approx(3.5)


def test_the_default_year_is_the_one_before_in_january_and_february():
    assert default_year(datetime(2027, 1, 10, tzinfo=UTC)) == 2026
    assert default_year(datetime(2027, 2, 28, 22, 0, tzinfo=UTC)) == 2026
    assert default_year(datetime(2027, 2, 28, 23, 30, tzinfo=UTC)) == 2027  # 1 March in Berlin
    assert default_year(datetime(2026, 11, 22, tzinfo=UTC)) == 2026


def test_an_empty_year_shows_dashes_not_errors(app):
    with app.app_context():
        report = annual_report(db.session, 2030, NOW)
    overview = rows_of(report, "ueberblick")
    assert overview["Kundenreaktionen"].current == 0
    assert overview["Kundenreaktionen"].change is None
    assert overview["Anteil begründet"].current is None
    assert overview["Google: Sterne im Durchschnitt"].current is None


# --- queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("database_engine", ["sqlite"], indirect=True)
def test_every_report_query_reads_a_range_of_days_or_of_open_reactions(dresden):
    """EXPLAIN QUERY PLAN of each statement the annual report runs: a range of one index each,
    the roll-up's days (portal.rollup), and of the feedback rows only the open ones."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    with dresden.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            annual_report(db.session, 2021, NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        raw = db.engine.raw_connection()
        try:
            plans = [
                (statement, raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall())
                for statement, parameters in statements
                if "FROM feedback" in statement or "FROM report_rollup" in statement
            ]
        finally:
            raw.close()
    rollup_plans = [plan for statement, plan in plans if "FROM report_rollup" in statement]
    feedback_plans = [plan for statement, plan in plans if "FROM feedback" in statement]
    assert len(rollup_plans) == 4  # the reactions and the Anliegen of each of the two years
    assert len(feedback_plans) == 1  # the open reactions of 2021 (2020 has none)
    for plan in rollup_plans:
        details = " | ".join(str(row[-1]) for row in plan)
        assert "SCAN report_rollup" not in details, details
        assert "(fact=? AND day>? AND day<?)" in details, details
    details = " | ".join(str(row[-1]) for row in feedback_plans[0])
    assert "SCAN feedback" not in details, details
    assert "(status=? AND received_at>? AND received_at<?)" in details, details


# --- pages, roles, downloads -------------------------------------------------------------------


def client_of(app, name):
    client = app.test_client()
    assert login(client, name).status_code == 303
    return client


def test_krm_and_read_see_reports_and_team_does_not(dresden, accounts):
    for name in ("krm", "reader"):
        client = client_of(dresden, name)
        assert client.get("/admin/reports/").status_code == 200
        assert client.get("/admin/reports/2021").status_code == 200
        assert client.get("/admin/reports/2021.xlsx").status_code == 200
    lead = client_of(dresden, "lead3")
    for path in ("/admin/reports/", "/admin/reports/2021", "/admin/reports/2021.xlsx"):
        assert lead.get(path).status_code == 403
    assert dresden.test_client().get("/admin/reports/").status_code == 302  # to the login


def test_the_annual_report_page_has_svg_charts_and_accessible_tables(dresden, accounts):
    page = client_of(dresden, "reader").get("/admin/reports/2021").get_data(as_text=True)
    assert page.count('role="img"') >= 5
    assert '<title id="chart-zugangsweg-title">Kundenreaktionen nach Zugangsweg 2021</title>' in (
        page
    )
    assert ">Kundenreaktionen nach Zugangsweg 2021 und 2020</caption>" in page
    assert '<th scope="row">E-Mail</th>' in page
    assert "48,3 %" in page  # E-Mail's share
    assert "−29,9 %" in page  # reactions against 2020
    assert "+3,5 Pp." in page  # share begründet, in percentage points
    assert "<script" not in page
    assert 'href="/admin/reports/2021.xlsx"' in page


def test_the_annual_report_is_404_for_an_absurd_year(app, accounts):
    assert client_of(app, "krm").get("/admin/reports/1066").status_code == 404


def test_the_default_report_link_redirects_to_a_year(app, accounts):
    response = client_of(app, "krm").get("/admin/reports/jahr")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/admin/reports/20")


def check_workbook(data: bytes) -> None:
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == [
        "Überblick",
        "Zugangsweg",
        "Anliegensart",
        "Bereich und Thema",
        "Lob nach Bereich",
        "Bewertung der Beschwerden",
        "Qualitätsstandard",
        "Google-Bewertungen",
        "Kundenbefragung",
    ]
    sheet = book["Zugangsweg"]
    assert sheet["A1"].value.startswith("Kundenreaktionen nach Zugangsweg 2021")
    assert [cell.value for cell in sheet[4]] == [
        "Kundenreaktionen",
        "2021",
        "2020",
        "Veränderung",
        "Anteil 2021",
        "Anteil 2020",
        "Veränderung Anteil (Prozentpunkte)",
    ]
    email = next(row for row in sheet.iter_rows(min_row=5) if row[0].value == "E-Mail")
    assert email[1].value == 362 and email[2].value == 500
    assert email[3].value == pytest.approx((362 - 500) / 500)
    assert email[3].number_format.startswith("+0.0%")
    assert email[4].value == pytest.approx(362 / 749) and email[4].number_format == "0.0%"
    overview = book["Überblick"]
    standard = next(r for r in overview.iter_rows(min_row=5) if r[0].value.startswith("Im Quali"))
    # Made today, long after 2021: the reaction pending on NOW is overdue and counts.
    assert standard[1].value == pytest.approx(690 / 749) and standard[1].number_format == "0.0%"
    qr = next(row for row in sheet.iter_rows(min_row=5) if row[0].value == "Meinungskarte (QR)")
    assert qr[1].value == 0 and qr[3].value is None  # no change against 0


def test_the_xlsx_download(dresden, accounts):
    response = client_of(dresden, "reader").get("/admin/reports/2021.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="krm-jahresbericht-2021.xlsx"' in response.headers["Content-Disposition"]
    check_workbook(response.data)


def test_krm_report_writes_the_workbook(dresden, tmp_path):
    out = tmp_path / "bericht.xlsx"
    result = dresden.test_cli_runner().invoke(args=["report", "--year", "2021", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "749 reactions, 1276 Anliegen" in result.output
    check_workbook(out.read_bytes())


def test_krm_report_refuses_bad_arguments_in_one_line(app, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["report", "--year", "2021", "--out", str(tmp_path / "x/y.xlsx")])
    assert missing.exit_code != 0 and "no such folder" in missing.output
    assert "Traceback" not in missing.output
    wrong = runner.invoke(args=["report", "--year", "2021", "--out", str(tmp_path / "y.csv")])
    assert wrong.exit_code != 0 and ".xlsx" in wrong.output
    year = runner.invoke(args=["report", "--year", "99", "--out", str(tmp_path / "y.xlsx")])
    assert year.exit_code != 0


# --- the dashboard -----------------------------------------------------------------------------


def test_dashboard_counts_and_rating_trend(app, accounts):
    now = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
    with app.app_context():
        office = Location(code="MITTE", name="Dienststelle Mitte")
        db.session.add(office)
        db.session.flush()
        build = Builder(db.session)
        base = {"channel": Channel.CARD_QR, "location_id": office.id}
        build.reactions(
            [
                # this week (Monday 16 Nov), new, rating 5 and 3
                {**base, "received_at": berlin(2026, 11, 16, 8), "rating": 5,
                 "status": Status.NEW, "close_by": berlin(2026, 11, 30)},
                {**base, "received_at": berlin(2026, 11, 17, 8), "rating": 3,
                 "status": Status.IN_PROGRESS, "close_by": berlin(2026, 11, 30)},
                # this month, before this week; overdue
                {**base, "received_at": berlin(2026, 11, 2), "rating": 1,
                 "status": Status.NEW, "close_by": berlin(2026, 11, 10)},
                # last month, closed this week
                {**base, "received_at": berlin(2026, 10, 20), "rating": 4,
                 "close_by": berlin(2026, 11, 3), "closed_at": berlin(2026, 11, 16, 9)},
                # Sunday before this week, 23:30 Berlin: last week
                {"channel": Channel.HOMEPAGE, "received_at": berlin(2026, 11, 15, 23, 30),
                 "rating": 2, "status": Status.DONE, "close_by": berlin(2026, 11, 29),
                 "closed_at": berlin(2026, 11, 16)},
                # spam this week: never counts
                {**base, "received_at": berlin(2026, 11, 17), "rating": 1,
                 "status": Status.SPAM, "close_by": berlin(2026, 11, 30)},
            ]
        )  # fmt: skip
        build.loaded()
        db.session.commit()
        board = dashboard(db.session, now)
    assert (board.new, board.open, board.overdue) == (2, 3, 1)
    assert (board.week.received, board.week.closed) == (2, 2)
    assert board.week.average_rating == pytest.approx(4.0)
    assert board.month.received == 4  # 2, 2 Nov, 15 Nov, 16 Nov, 17 Nov (spam not)
    assert board.trend.months[-1].label == "11.2026" and len(board.trend.months) == 12
    mitte = board.trend.series["Dienststelle Mitte"]
    assert mitte[-1] == (pytest.approx(3.0), 3) and mitte[-2] == (pytest.approx(4.0), 1)
    assert mitte[0] is None
    assert board.trend.series["ohne Dienststelle"][-1] == (pytest.approx(2.0), 1)


def test_the_dashboard_page_renders_svg_and_tables(app, accounts):
    with app.app_context():
        build = Builder(db.session)
        build.reactions(
            [
                {
                    "channel": Channel.HOMEPAGE,
                    "received_at": datetime.now(UTC) - timedelta(hours=1),
                    "rating": 4,
                    "status": Status.NEW,
                    "close_by": datetime.now(UTC) + timedelta(days=5),
                }
            ]
        )
        build.loaded()
        db.session.commit()
    page = client_of(app, "reader").get("/admin/reports/").get_data(as_text=True)
    assert "<h1>Berichte</h1>" in page
    assert '<svg class="chart"' in page and 'role="img"' in page
    assert ">ohne Dienststelle: Bewertung im Durchschnitt je Monat</caption>" in page
    assert ">Diese Woche und dieser Monat</caption>" in page
    assert 'aria-current="page"' in page and ">Berichte</a>" in page
    assert "<script" not in page


# --- the interim reply and the standard --------------------------------------------------------


def test_an_interim_reply_in_time_counts_as_within_the_standard_when_closed_by_its_date(
    app, accounts
):
    from datetime import date

    from admin.accounts.models import User
    from admin.mail.service import queue_interim
    from portal.mail.smtp import MailConfig
    from portal.submissions import Submission, submit_feedback

    config = MailConfig.from_config({"MAIL_SERVER": "127.0.0.1", "MAIL_FROM": "krm@jc.example"})
    received = berlin(2025, 3, 3, 10)  # closing deadline: 17.03.2025

    def entry(text, *, interim_at=None, until=date(2025, 3, 31), closed_at=None, at=received):
        with app.app_context():
            stored = submit_feedback(
                db.session,
                Submission(Channel.HOMEPAGE, "de", text=text, contact_email="a@b.example"),
                now=at,
            )
            feedback = db.session.get(Feedback, stored.feedback_id)
            feedback.acknowledged_at = at + timedelta(hours=1)
            if interim_at:
                officer = db.session.scalars(select(User).where(User.name == "krm")).one()
                queue_interim(
                    db.session,
                    feedback,
                    reason="Die Stellungnahme des Fachbereichs fehlt noch.",
                    until=until,
                    config=config,
                    actor=officer,
                    now=interim_at,
                )
            if closed_at:
                before = rollup.of_entry(feedback)
                feedback.status, feedback.closed_at = Status.DONE, closed_at
                rollup.changed(db.session, feedback, before)
            db.session.commit()

    entry(
        "in time, closed by the date", interim_at=berlin(2025, 3, 13), closed_at=berlin(2025, 3, 28)
    )
    entry(
        "in time, closed after the date",
        interim_at=berlin(2025, 3, 13),
        closed_at=berlin(2025, 4, 2),
    )
    entry("no interim reply", closed_at=berlin(2025, 3, 28))
    entry("interim reply too late", interim_at=berlin(2025, 3, 19), closed_at=berlin(2025, 3, 28))
    # Received in December, the interim reply names a date after the report is made: not judged.
    entry(
        "open, moved deadline ahead",
        at=berlin(2025, 12, 1),
        interim_at=berlin(2025, 12, 10),
        until=date(2026, 1, 20),
    )
    with app.app_context():
        report = annual_report(db.session, 2025, berlin(2026, 1, 10))
    standard = rows_of(report, "qualitaetsstandard")
    assert standard["fristgerecht erledigt"].current == 1
    assert standard["nach Fristablauf erledigt"].current == 3
    assert standard["offen und überfällig"].current == 0
    assert standard["offen, Frist läuft noch (nicht gezählt)"].current == 1
    assert rows_of(report, "ueberblick")["Im Qualitätsstandard erledigt"].current == 25.0
