"""The weekly export: real XLSX and CSV files opened again, week bounds, mapping, log, download."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token, login
from openpyxl import load_workbook
from sqlalchemy import select

from admin.accounts.models import Team
from admin.export.layout import DEFAULT_LAYOUT, FIELDS
from admin.export.models import ExportColumn, ExportRun
from admin.export.service import ExportError, Week, neutralise, run_export
from admin.inbox.models import Concern, Topic
from admin.surveys.models import SurveyResult
from cards.services import add_cards, add_location
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.submissions import Submission, submit_feedback
from portal.vocab import Area, Assessment, Channel, ConcernKind, Kind, Status

pytestmark = pytest.mark.engines

W47 = "2026-W47"  # Monday 16.11.2026 to Sunday 22.11.2026
IN_W47 = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
FORMULAS = ['=HYPERLINK("http://evil.example","klick")', "+1", "-1+2", "@SUM(A1)", "\tTab", "\rCR"]
DEFAULT_HEADER = [column.header for column in DEFAULT_LAYOUT]


def add(app, at: datetime, **fields) -> int:
    fields.setdefault("channel", Channel.HOMEPAGE)
    fields.setdefault("language", "de")
    with app.app_context():
        stored = submit_feedback(db.session, Submission(**fields), now=at)
        db.session.commit()
        return stored.feedback_id


def edit(app, entry_id: int, **values) -> None:
    with app.app_context():
        feedback = db.session.get(Feedback, entry_id)
        for name, value in values.items():
            setattr(feedback, name, value)
        db.session.commit()


@pytest.fixture
def week_data(app):
    """W47: one fully classified reaction, the formula texts, a Spam entry; one entry outside."""
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Bad Ems")
        card = add_cards(db.session, "HST", "Empfang")[0]
        team = Team(name="Leistung Team 3")
        db.session.add(team)
        db.session.commit()
        names = ("Bearbeitungsdauer", "Beratung", "Wartezeit")  # seeded by the migration
        topic_ids = [db.session.scalar(select(Topic.id).where(Topic.name == n)) for n in names]
        code, team_id = card.code, team.id
    full = add(
        app,
        IN_W47,
        channel=Channel.CARD_QR,
        card_code=code,
        rating=2,
        kind=Kind.CRITICISM,
        area=Area.BENEFITS,
        text="Der Bescheid kam zu spät.",
    )
    with app.app_context():
        db.session.add_all(
            [
                Concern(
                    feedback_id=full,
                    position=1,
                    kind=ConcernKind.COMPLAINT,
                    area=Area.BENEFITS,
                    topic_id=topic_ids[0],
                    assessment=Assessment.JUSTIFIED,
                ),
                Concern(
                    feedback_id=full,
                    position=2,
                    kind=ConcernKind.IDEA,
                    area=Area.ORGANISATION,
                    topic_id=topic_ids[2],
                ),
                Concern(
                    feedback_id=full,
                    position=3,
                    kind=ConcernKind.PRAISE,
                    area=Area.STAFF,
                    topic_id=topic_ids[1],
                ),
            ]
        )
        feedback = db.session.get(Feedback, full)
        feedback.status = Status.DONE
        feedback.closed_at = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)  # 20.11. in Berlin
        feedback.team_id = team_id
        feedback.ombudsstelle = True
        db.session.commit()
    formula_ids = [
        add(app, IN_W47 + timedelta(hours=n + 1), text=text, rating=n % 5 + 1)
        for n, text in enumerate(FORMULAS)
    ]
    spam = add(app, IN_W47 + timedelta(hours=12), text="Kaufen Sie jetzt")
    edit(app, spam, status=Status.SPAM)
    add(app, IN_W47 + timedelta(days=7), text="nächste Woche")
    return {"full": full, "formulas": formula_ids, "card": code}


def export(runner, tmp_path, *args: str, name: str = "export.xlsx"):
    out = tmp_path / name
    result = runner.invoke(args=["export", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return out, result


def xlsx_rows(path, sheet: str = "Kundenreaktionen") -> list[list]:
    book = load_workbook(path)
    rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
    return rows


def csv_rows(path) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""), delimiter=";")
    )


def by_header(header: list, row: list) -> dict:
    return dict(zip(header, row, strict=True))


# --- the week ----------------------------------------------------------------------------------


def test_a_week_runs_monday_to_sunday_in_berlin_time():
    week = Week.parse(W47)
    assert str(week) == W47
    assert week.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    assert week.end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert Week.parse(" 2026-w47 ") == week
    assert Week.parse("2026-W53").monday.isoformat() == "2026-12-28"  # 2026 has 53 weeks


@pytest.mark.parametrize("text", ["2025-W53", "2026-W00", "2026-W54", "2026-47", "KW47", ""])
def test_a_bad_week_is_refused(text):
    with pytest.raises(ExportError, match="keine Kalenderwoche"):
        Week.parse(text)


def test_the_default_is_the_last_complete_week_in_berlin():
    # Monday 00:30 in Berlin is still Sunday in UTC: the week that just ended is W47.
    assert str(Week.last_complete(datetime(2026, 11, 22, 23, 30, tzinfo=UTC))) == W47
    # Sunday 23:30 in Berlin: W47 is not complete yet.
    assert str(Week.last_complete(datetime(2026, 11, 22, 22, 30, tzinfo=UTC))) == "2026-W46"


@pytest.mark.parametrize(
    ("week", "inside", "outside"),
    [
        # Summer time starts on Sunday 29.03.2026: W13 ends at 22:00 UTC, starts at 23:00 UTC.
        (
            "2026-W13",
            ["2026-03-22T23:00", "2026-03-29T21:59"],
            ["2026-03-22T22:59", "2026-03-29T22:00"],
        ),
        # Summer time ends on Sunday 25.10.2026: W43 starts at 22:00 UTC, ends at 23:00 UTC.
        (
            "2026-W43",
            ["2026-10-18T22:00", "2026-10-25T22:59"],
            ["2026-10-18T21:59", "2026-10-25T23:00"],
        ),
    ],
)
def test_week_bounds_around_midnight_and_daylight_saving(
    app, runner, tmp_path, week, inside, outside
):
    ids = {}
    for moment in inside + outside:
        at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        ids[moment] = add(app, at, text=f"um {moment}")
    out, _ = export(runner, tmp_path, "--week", week, "--format", "csv", name="w.csv")
    header, *rows = csv_rows(out)
    exported = {int(by_header(header, row)["ID"]) for row in rows}
    assert exported == {ids[moment] for moment in inside}


# --- the files ---------------------------------------------------------------------------------


def test_xlsx_export_has_the_register_columns_and_the_survey_sheet(
    app, runner, tmp_path, week_data
):
    out, result = export(runner, tmp_path, "--week", W47, "--format", "xlsx")
    assert ": 7 reactions written" in result.output
    # Not on a terminal (cron): progress as plain lines.
    assert "Export 2026-W47: 0 of 7 (0 %)" in result.output
    assert "Export 2026-W47: 7 done" in result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Kundenreaktionen", "Kundenbefragung"]
    header, *rows = xlsx_rows(out)
    assert header == DEFAULT_HEADER
    assert len(rows) == 1 + len(FORMULAS)  # Spam and the next week are left out
    first = by_header(header, rows[0])
    assert first["ID"] == week_data["full"]
    assert first["Eingangsdatum"] == datetime(2026, 11, 17)
    assert book["Kundenreaktionen"]["A2"].number_format == "DD.MM.YYYY"
    assert first["Zugangsweg"] == "Meinungskarte (QR)"
    assert first["Dienststelle"] == "Hauptstelle Bad Ems"
    assert first["Karte"] == f"Empfang ({week_data['card']})"
    assert first["Bewertung (Smiley 1–5)"] == 2
    assert first["Art laut Kunde"] == "Kritik"
    assert [first[f"Anliegen {n} Anliegensart"] for n in (1, 2, 3)] == [
        "Fachliche Beschwerde",
        "Idee/Anregung",
        "Lob",
    ]
    assert [first[f"Anliegen {n} Bereich"] for n in (1, 2, 3)] == [
        "Leistungsbereich / Grundsicherung",
        "Organisation gesamt",
        "Mitarbeiterverhalten",
    ]
    assert [first[f"Anliegen {n} Thema"] for n in (1, 2, 3)] == [
        "Bearbeitungsdauer",
        "Wartezeit",
        "Beratung",
    ]
    assert first["Anliegen 1 Bewertung"] == "begründet"
    assert first["Anliegen 2 Bewertung"] is None
    assert first["Text"] == "Der Bescheid kam zu spät."
    assert first["Status"] == "erledigt"
    assert first["Erledigt am"] == datetime(2026, 11, 20)
    assert first["Ombudsstelle"] == "ja"
    assert first["Team"] == "Leistung Team 3"
    texts = [by_header(header, row)["Text"] for row in rows[1:]]
    # XML reads a carriage return back as a line feed; the apostrophe is what matters.
    assert [text.replace("\n", "\r") for text in texts] == ["'" + text for text in FORMULAS]
    other = by_header(header, rows[1])
    assert other["Ombudsstelle"] == "nein" and other["Status"] == "neu"
    assert other["Anliegen 1 Anliegensart"] is None


def test_no_cell_of_the_xlsx_is_a_formula(app, runner, tmp_path, week_data):
    out, _ = export(runner, tmp_path, "--week", W47)
    book = load_workbook(out)
    for row in book["Kundenreaktionen"].iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_csv_export_opens_in_german_excel(app, runner, tmp_path, week_data):
    out, _ = export(runner, tmp_path, "--week", W47, "--format", "csv", name="export.csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    assert data.splitlines()[0].count(b";") == len(DEFAULT_HEADER) - 1
    assert b"\r\n" in data
    header, *rows = csv_rows(out)
    assert header == DEFAULT_HEADER
    assert len(rows) == 1 + len(FORMULAS)
    first = by_header(header, rows[0])
    assert first["Eingangsdatum"] == "17.11.2026"
    assert first["Erledigt am"] == "20.11.2026"
    assert first["Bewertung (Smiley 1–5)"] == "2"
    assert first["Anliegen 3 Anliegensart"] == "Lob"
    assert first["Text"] == "Der Bescheid kam zu spät."
    assert [by_header(header, row)["Text"] for row in rows[1:]] == ["'" + t for t in FORMULAS]


def test_neutralise_touches_formula_text_only():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-3") == "'-3"
    assert neutralise("ok = gut") == "ok = gut"
    assert neutralise("") == ""


def test_the_first_survey_sheet_holds_every_result_with_numbers_as_numbers(app, runner, tmp_path):
    with app.app_context():
        for period, value in (("2026-H2", 2.1), ("2026-Q4", -0.5), ("2026-H1", 9.9), ("2026", 1.5)):
            db.session.add(
                SurveyResult(
                    period=period,
                    location="gesamt",
                    indicator="=Gesamtzufriedenheit",
                    value=value,
                    scale="Schulnote 1-6",
                    respondents=412 if period == "2026-H2" else None,
                )
            )
        db.session.commit()
    out, _ = export(runner, tmp_path, "--week", W47)
    header, *rows = xlsx_rows(out, "Kundenbefragung")
    assert header == ["Zeitraum", "Dienststelle", "Merkmal", "Wert", "Skala", "Befragte"]
    assert rows == [  # no export carried survey results before: all of them
        ["2026", "gesamt", "'=Gesamtzufriedenheit", 1.5, "Schulnote 1-6", None],
        ["2026-H1", "gesamt", "'=Gesamtzufriedenheit", 9.9, "Schulnote 1-6", None],
        ["2026-H2", "gesamt", "'=Gesamtzufriedenheit", 2.1, "Schulnote 1-6", 412],
        ["2026-Q4", "gesamt", "'=Gesamtzufriedenheit", -0.5, "Schulnote 1-6", None],
    ]
    surveys = tmp_path / "befragung.csv"
    export(
        runner,
        tmp_path,
        "--week",
        W47,
        "--format",
        "csv",
        "--surveys-out",
        str(surveys),
        name="e.csv",
    )
    header, *rows = csv_rows(surveys)
    # Nothing changed since the XLSX: the latest periods (2026, 2026-H2, 2026-Q4 end together).
    assert [row[0] for row in rows] == ["2026", "2026-H2", "2026-Q4"]
    assert rows[1] == ["2026-H2", "gesamt", "'=Gesamtzufriedenheit", "2,1", "Schulnote 1-6", "412"]
    assert rows[2][3] == "-0,5"  # a number, not text: not neutralised
    with app.app_context():
        runs = db.session.scalars(select(ExportRun).order_by(ExportRun.id)).all()
        assert [(run.format, run.surveys) for run in runs] == [("xlsx", 4), ("csv", 3)]


def test_an_empty_week_still_has_the_header_and_the_survey_sheet(app, runner, tmp_path):
    out, result = export(runner, tmp_path, "--week", "2026-W01")
    assert "0 reactions" in result.output
    assert xlsx_rows(out) == [DEFAULT_HEADER]
    assert xlsx_rows(out, "Kundenbefragung")[0][0] == "Zeitraum"


# --- changed only and the log ------------------------------------------------------------------


def test_changed_only_exports_what_changed_since_the_last_export_of_the_week(
    app, runner, tmp_path, week_data
):
    export(runner, tmp_path, "--week", W47, "--format", "csv", name="all.csv")
    changed = week_data["formulas"][2]
    edit(app, changed, status=Status.IN_PROGRESS, updated_at=utcnow())
    out, result = export(
        runner, tmp_path, "--week", W47, "--format", "csv", "--changed-only", name="changes.csv"
    )
    assert "1 new or changed reactions" in result.output
    header, *rows = csv_rows(out)
    assert [int(by_header(header, row)["ID"]) for row in rows] == [changed]
    # Nothing changed since: the next changed-only export is empty.
    out, _ = export(
        runner, tmp_path, "--week", W47, "--format", "csv", "--changed-only", name="n.csv"
    )
    assert len(csv_rows(out)) == 1
    with app.app_context():
        runs = db.session.scalars(select(ExportRun).order_by(ExportRun.id)).all()
        assert [(r.week, r.format, r.rows, r.changed_only, r.actor) for r in runs] == [
            (W47, "csv", 7, False, "krm (CLI)"),
            (W47, "csv", 1, True, "krm (CLI)"),
            (W47, "csv", 0, True, "krm (CLI)"),
        ]


def test_changed_only_without_an_earlier_export_of_the_week_exports_everything(
    app, runner, tmp_path, week_data
):
    export(runner, tmp_path, "--week", "2026-W46", name="other.xlsx")
    out, _ = export(runner, tmp_path, "--week", W47, "--changed-only")
    assert len(xlsx_rows(out)) == 1 + 1 + len(FORMULAS)


def test_a_bad_week_is_one_line_on_the_command_line(runner, tmp_path):
    result = runner.invoke(args=["export", "--week", "2026-W60", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0
    assert "keine Kalenderwoche" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.xlsx").exists()


# --- the mapping -------------------------------------------------------------------------------


def layout_data(token: str, columns: dict[str, tuple[int, str]]) -> dict[str, str]:
    """The mapping form: the given fields ticked with position and header, the rest unticked."""
    data = {"csrf_token": token}
    for key, default in FIELDS.items():
        data[f"header_{key}"] = default
        data[f"position_{key}"] = ""
    for key, (position, header) in columns.items():
        data |= {f"use_{key}": "y", f"position_{key}": str(position), f"header_{key}": header}
    return data


def test_the_officer_renames_reorders_and_leaves_out_columns(
    app, runner, tmp_path, krm_client, week_data
):
    token = csrf_token(krm_client, "/admin/export/")
    columns = {
        "id": (1, "Lfd. Nr."),
        "received": (2, "Eingang"),
        "concern1_kind": (3, "Art 1"),
        "text": (4, "Freitext"),
    }
    response = krm_client.post("/admin/export/columns", data=layout_data(token, columns))
    assert response.status_code == 303
    out, _ = export(runner, tmp_path, "--week", W47)
    header, first, *_ = xlsx_rows(out)
    assert header == ["Lfd. Nr.", "Eingang", "Art 1", "Freitext"]
    assert first == [
        week_data["full"],
        datetime(2026, 11, 17),
        "Fachliche Beschwerde",
        "Der Bescheid kam zu spät.",
    ]
    page = krm_client.get("/admin/export/").get_data(as_text=True)
    assert 'value="Lfd. Nr."' in page and "Es gilt Ihre eigene Zuordnung" in page
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export layout changed")
        ).one()
        assert event.actor == "krm"
        assert "Lfd. Nr. [id]" in event.changes
    assert (
        krm_client.post("/admin/export/columns/reset", data={"csrf_token": token}).status_code
        == 303
    )
    out, _ = export(runner, tmp_path, "--week", W47, name="again.xlsx")
    assert xlsx_rows(out)[0] == DEFAULT_HEADER
    with app.app_context():
        assert db.session.scalars(select(ExportColumn)).all() == []
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export layout reset")
        ).one()


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({}, "mindestens eine Spalte"),
        ({"id": (1, "Nr"), "text": (2, "nr")}, "kommt zweimal vor"),
        ({"id": (1, "=Nr")}, "darf nicht mit =, +, -, @ beginnen"),
        ({"id": (1, "")}, "einen Namen"),
        ({"id": (0, "Nr")}, "Position von 1 bis 99"),
    ],
)
def test_a_bad_mapping_is_refused_with_everything_kept(app, krm_client, columns, message):
    token = csrf_token(krm_client, "/admin/export/")
    data = layout_data(token, columns)
    data["header_team"] = "Team (typed)"
    response = krm_client.post("/admin/export/columns", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Team (typed)"' in page
    with app.app_context():
        assert db.session.scalars(select(ExportColumn)).all() == []


# --- the admin download ------------------------------------------------------------------------


def test_the_officer_downloads_a_week_and_it_is_logged(app, krm_client, week_data, tmp_path):
    page = krm_client.get("/admin/export/").get_data(as_text=True)
    last_week = str(Week.last_complete(utcnow()))
    assert f'value="{last_week}"' in page
    assert "Es wurde noch nichts exportiert" in page
    token = csrf_token(krm_client, "/admin/export/")
    response = krm_client.post(
        "/admin/export/download", data={"csrf_token": token, "week": W47, "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename={'krm-export-' + W47}.xlsx" in response.headers["Content-Disposition"]
    path = tmp_path / "download.xlsx"
    path.write_bytes(response.get_data())
    assert len(xlsx_rows(path)) == 1 + 1 + len(FORMULAS)
    response = krm_client.post(
        "/admin/export/download",
        data={"csrf_token": token, "week": W47, "format": "csv", "changed_only": "y"},
    )
    assert response.status_code == 200
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    assert "aenderungen.csv" in response.headers["Content-Disposition"]
    page = krm_client.get("/admin/export/").get_data(as_text=True)
    log = page[page.index("Exportprotokoll") :]
    assert re.search(
        r"<td>krm</td>\s*<td class=\"nowrap\">2026-W47</td>\s*<td>CSV</td>\s*<td>0</td>", log
    )
    assert "nur Neues und Geändertes" in log


def test_a_bad_week_in_the_form_is_refused_and_kept(app, krm_client):
    token = csrf_token(krm_client, "/admin/export/")
    response = krm_client.post(
        "/admin/export/download", data={"csrf_token": token, "week": "2026-W99", "format": "csv"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "keine Kalenderwoche" in page and 'value="2026-W99"' in page
    with app.app_context():
        assert db.session.scalars(select(ExportRun)).all() == []


def test_the_survey_csv_download(app, krm_client):
    token = csrf_token(krm_client, "/admin/export/")
    response = krm_client.post(
        "/admin/export/kundenbefragung.csv", data={"csrf_token": token, "week": W47}
    )
    assert response.status_code == 200
    assert response.get_data().decode("utf-8-sig").startswith("Zeitraum;Dienststelle")
    assert f"kundenbefragung-{W47}.csv" in response.headers["Content-Disposition"]


def test_a_link_or_a_forged_post_cannot_move_the_survey_boundary(app, krm_client):
    """The download is logged and moves what the next sheet carries: no GET, no foreign POST."""
    assert krm_client.get(f"/admin/export/kundenbefragung.csv?week={W47}").status_code == 405
    forged = krm_client.post("/admin/export/kundenbefragung.csv", data={"week": W47})
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ExportRun)).all() == []


def test_team_leads_may_not_export(app, accounts, week_data):
    client = app.test_client()
    login(client, "lead3")
    assert client.get("/admin/export/").status_code == 403


def test_export_runs_through_the_service_without_flask(app, week_data):
    with app.app_context():
        out = io.BytesIO()
        run = run_export(db.session, Week.parse(W47), "csv", out, actor="test", now=utcnow())
        assert run.rows == 7
        assert out.getvalue().count(b"\r\n") == 8


def test_a_large_week_is_streamed_not_held_in_memory(app):
    """5,000 reactions: memory stays flat (a list of all rows alone would take several MB)."""
    import tempfile
    import tracemalloc

    from sqlalchemy import insert

    text = "Ein mittellanger Text über die Wartezeit im Jobcenter und die Erreichbarkeit. " * 3
    with app.app_context():
        db.session.execute(
            insert(Feedback),
            [
                {
                    "received_at": IN_W47 + timedelta(seconds=n * 60),
                    "channel": Channel.HOMEPAGE,
                    "language": "de",
                    "rating": n % 5 + 1,
                    "text": f"{n}: {text}",
                    "status": Status.NEW,
                    "close_by": IN_W47,
                    "updated_at": IN_W47,
                }
                for n in range(5000)
            ],
        )
        db.session.commit()
        db.session.expunge_all()
        with tempfile.TemporaryFile() as out:
            tracemalloc.start()
            try:
                run = run_export(db.session, Week.parse(W47), "csv", out, actor="t", now=utcnow())
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            size = out.tell()
    assert run.rows == 5000
    assert size > 1_000_000
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB"


# --- the Kundenbefragung through the office's calendar ------------------------------------------

SURVEY_HEADER = "Zeitraum;Dienststelle;Merkmal;Wert;Skala;Befragte"


def berlin_noon(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


def import_file(app, name: str, lines: list[str], at: datetime) -> None:
    from admin.surveys.importer import import_survey_file

    data = "\r\n".join([SURVEY_HEADER, *lines]).encode("utf-8-sig")
    with app.app_context():
        import_survey_file(db.session, name, data, actor="test", now=at)
        db.session.commit()


def weekly_export(app, tmp_path, week: str, at: datetime, format: str = "xlsx"):
    """The Monday export as the officer makes it; the file as the register gets it."""
    path = tmp_path / f"{week}-{at:%m%d%H%M}.{format}"
    with app.app_context(), path.open("wb") as out:
        run_export(db.session, Week.parse(week), format, out, actor="test", now=at)
        db.session.commit()
    return path


def survey_sheet(path) -> list[tuple]:
    return [tuple(row[:4]) for row in xlsx_rows(path, "Kundenbefragung")[1:]]


H2_2025 = [
    "2025-H2;gesamt;Gesamtzufriedenheit;2,3;Schulnote 1-6;398",
    "2025-H2;gesamt;Freundlichkeit;1,9;Schulnote 1-6;398",
]
H1_2026 = [
    "2026-H1;gesamt;Gesamtzufriedenheit;2,1;Schulnote 1-6;412",
    "2026-H1;gesamt;Freundlichkeit;1,8;Schulnote 1-6;412",
]


def test_a_half_year_imported_after_it_ended_reaches_the_next_export(app, tmp_path):
    import_file(app, "2025-H2.csv", H2_2025, berlin_noon(2026, 2, 20))
    import_file(app, "nord.csv", ["2026-Q1;Nord;Wartezeit;87,5;Prozent;"], berlin_noon(2026, 4, 8))
    # The first export ever carries everything imported so far.
    first = weekly_export(app, tmp_path, "2026-W16", berlin_noon(2026, 4, 20))
    assert survey_sheet(first) == [
        ("2025-H2", "gesamt", "Freundlichkeit", 1.9),
        ("2025-H2", "gesamt", "Gesamtzufriedenheit", 2.3),
        ("2026-Q1", "Nord", "Wartezeit", 87.5),
    ]
    # Nothing new: the latest period of each Merkmal and Dienststelle, nothing else.
    quiet = weekly_export(app, tmp_path, "2026-W36", berlin_noon(2026, 9, 7))
    assert survey_sheet(quiet) == survey_sheet(first)

    # 2026-H1 is published in September and imported on a Thursday; the week exported next
    # (W37, a week of H2) carries it.
    import_file(app, "2026-H1.csv", H1_2026, berlin_noon(2026, 9, 10))
    september = weekly_export(app, tmp_path, "2026-W37", berlin_noon(2026, 9, 14))
    assert survey_sheet(september) == [
        ("2026-H1", "gesamt", "Freundlichkeit", 1.8),
        ("2026-H1", "gesamt", "Gesamtzufriedenheit", 2.1),
        ("2026-Q1", "Nord", "Wartezeit", 87.5),
    ]

    # The same files imported again change nothing: 2025-H2 does not come back.
    import_file(app, "2025-H2.csv", H2_2025, berlin_noon(2026, 9, 15))
    import_file(app, "2026-H1.csv", H1_2026, berlin_noon(2026, 9, 15))
    again = weekly_export(app, tmp_path, "2026-W38", berlin_noon(2026, 9, 21))
    assert survey_sheet(again) == survey_sheet(september)

    # A correction of one value of an old period: that result travels, its neighbour does not.
    corrected = [H2_2025[0], H2_2025[1].replace("1,9", "2,0")]
    import_file(app, "2025-H2-korrigiert.csv", corrected, berlin_noon(2026, 9, 23))
    correction = weekly_export(app, tmp_path, "2026-W39", berlin_noon(2026, 9, 28))
    assert survey_sheet(correction) == [
        ("2025-H2", "gesamt", "Freundlichkeit", 2.0),
        *survey_sheet(september),
    ]

    # A reactions-only CSV carries no survey results, so it does not move the boundary.
    import_file(
        app,
        "2025-H2-neu.csv",
        [H2_2025[0].replace("2,3", "2,4"), corrected[1]],
        berlin_noon(2026, 9, 29),
    )
    weekly_export(app, tmp_path, "2026-W40", berlin_noon(2026, 10, 5), format="csv")
    # An old week exported again: the results changed since the last survey sheet, plus the
    # latest periods; not the periods of that week.
    rerun = weekly_export(app, tmp_path, "2026-W10", berlin_noon(2026, 10, 6))
    assert survey_sheet(rerun) == [
        ("2025-H2", "gesamt", "Gesamtzufriedenheit", 2.4),
        *survey_sheet(september),
    ]


def test_the_survey_csv_on_the_export_page_carries_the_same_and_is_logged(app, krm_client):
    import_file(app, "2025-H2.csv", H2_2025, utcnow() - timedelta(days=200))
    import_file(app, "2026-H1.csv", H1_2026, utcnow() - timedelta(days=1))
    page = krm_client.get("/admin/export/").get_data(as_text=True)
    assert "alle importierten Ergebnisse, weil noch kein Export" in page
    token = csrf_token(krm_client, "/admin/export/")
    reactions = krm_client.post(
        "/admin/export/download", data={"csrf_token": token, "week": W47, "format": "csv"}
    )
    assert reactions.status_code == 200

    def survey_csv() -> list[list[str]]:
        response = krm_client.post(
            "/admin/export/kundenbefragung.csv", data={"csrf_token": token, "week": W47}
        )
        assert response.status_code == 200
        text = response.get_data().decode("utf-8-sig")
        return [row[:4] for row in csv.reader(io.StringIO(text, newline=""), delimiter=";")][1:]

    assert survey_csv() == [
        ["2025-H2", "gesamt", "Freundlichkeit", "1,9"],
        ["2025-H2", "gesamt", "Gesamtzufriedenheit", "2,3"],
        ["2026-H1", "gesamt", "Freundlichkeit", "1,8"],
        ["2026-H1", "gesamt", "Gesamtzufriedenheit", "2,1"],
    ]
    assert survey_csv() == [  # downloaded: the next one starts there
        ["2026-H1", "gesamt", "Freundlichkeit", "1,8"],
        ["2026-H1", "gesamt", "Gesamtzufriedenheit", "2,1"],
    ]
    page = krm_client.get("/admin/export/").get_data(as_text=True)
    assert "seit dem letzten Export mit Kundenbefragung" in page
    assert "CSV (nur Kundenbefragung)" in page
    assert "<td>2 Ergebnisse</td>" in page and "<td>4 Ergebnisse</td>" in page
