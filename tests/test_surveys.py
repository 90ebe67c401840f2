"""Kundenbefragung import: good CSV and XLSX files, every kind of bad file refused whole."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from conftest import csrf_token
from openpyxl import Workbook
from sqlalchemy import func, select

from admin.surveys.importer import SurveyFileError, import_survey_file, read_survey_file
from admin.surveys.models import SurveyResult
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db

pytestmark = pytest.mark.engines

HEADER = "Zeitraum;Dienststelle;Merkmal;Wert;Skala;Befragte"
GOOD = "\r\n".join(
    [
        HEADER,
        "2026-H1;gesamt;Gesamtzufriedenheit;2,1;Schulnote 1-6;412",
        "2026-H1;gesamt;Freundlichkeit;1.8;Schulnote 1-6;412",
        "2026-h1;Geschäftsstelle Nord;Wartezeit;87,5;Prozent;",
        ";;;;;",
        "",
    ]
)


def results(app) -> list[tuple]:
    with app.app_context():
        query = select(
            SurveyResult.period,
            SurveyResult.location,
            SurveyResult.indicator,
            SurveyResult.value,
            SurveyResult.scale,
            SurveyResult.respondents,
        ).order_by(SurveyResult.period, SurveyResult.location, SurveyResult.indicator)
        return [tuple(row) for row in db.session.execute(query)]


def write(tmp_path, text: str, name: str = "befragung.csv", encoding: str = "utf-8-sig"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(text_or_bytes, name: str = "befragung.csv") -> list[str]:
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else text_or_bytes
    with pytest.raises(SurveyFileError) as error:
        read_survey_file(name, data)
    return error.value.messages


EXPECTED = [
    ("2026-H1", "Geschäftsstelle Nord", "Wartezeit", 87.5, "Prozent", None),
    ("2026-H1", "gesamt", "Freundlichkeit", 1.8, "Schulnote 1-6", 412),
    ("2026-H1", "gesamt", "Gesamtzufriedenheit", 2.1, "Schulnote 1-6", 412),
]


def test_a_good_csv_with_bom_and_decimal_commas_is_imported(app, runner, tmp_path):
    result = runner.invoke(args=["surveys", "import", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.output
    assert "3 results imported" in result.output
    assert "2026-H1 (Geschäftsstelle Nord, gesamt)" in result.output
    assert results(app) == EXPECTED
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "surveys imported")
        ).one()
        assert event.actor == "krm (CLI)" and event.subject == "befragung.csv"


def test_a_csv_from_german_excel_in_windows_1252_is_imported(app, runner, tmp_path):
    path = write(tmp_path, GOOD.replace("\ufeff", ""), encoding="cp1252")
    assert runner.invoke(args=["surveys", "import", str(path)]).exit_code == 0
    assert results(app) == EXPECTED


def test_a_good_xlsx_with_numeric_cells_is_imported(app):
    data = xlsx(
        [
            ["Zeitraum", "Dienststelle", "Merkmal", "Wert", "Skala", "Befragte"],
            ["2026-H1", "gesamt", "Gesamtzufriedenheit", 2.1, "Schulnote 1-6", 412],
            ["2026-H1", "gesamt", "Freundlichkeit", "1,8", "Schulnote 1-6", 412.0],
            [datetime(2026, 5, 1), "gesamt", "Wartezeit", -3, "Punkte", None],  # Excel's "2026-05"
            [2026, "gesamt", "Wartezeit", 4, "Punkte", None],
        ]
    )
    with app.app_context():
        result = import_survey_file(db.session, "befragung.xlsx", data, actor="test", now=utcnow())
        db.session.commit()
    assert result.rows == 4
    assert results(app)[:3] == [
        ("2026", "gesamt", "Wartezeit", 4.0, "Punkte", None),
        ("2026-05", "gesamt", "Wartezeit", -3.0, "Punkte", None),
        ("2026-H1", "gesamt", "Freundlichkeit", 1.8, "Schulnote 1-6", 412),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-H3;gesamt;M;2,1;Note;1", "Zeile 2, Spalte „Zeitraum“: „2026-H3“ ist kein Zeitraum"),
        ("2026/05;gesamt;M;2,1;Note;1", "Zeile 2, Spalte „Zeitraum“: „2026/05“ ist kein Zeitraum"),
        (";gesamt;M;2,1;Note;1", "Zeile 2, Spalte „Zeitraum“: Bitte geben Sie den Zeitraum an."),
        (
            "2026-H1; ;M;2,1;Note;1",
            "Zeile 2, Spalte „Dienststelle“: Bitte geben Sie die Dienststelle an.",
        ),
        (
            "2026-H1;gesamt;;2,1;Note;1",
            "Zeile 2, Spalte „Merkmal“: Bitte geben Sie das Merkmal an.",
        ),
        ("2026-H1;gesamt;M;2,x;Note;1", "Zeile 2, Spalte „Wert“: „2,x“ ist keine Zahl."),
        ("2026-H1;gesamt;M;;Note;1", "Zeile 2, Spalte „Wert“: Bitte geben Sie den Wert an."),
        ("2026-H1;gesamt;M;2,1;;1", "Zeile 2, Spalte „Skala“: Bitte geben Sie die Skala an."),
        ("2026-H1;gesamt;M;2,1;Note;-3", "Zeile 2, Spalte „Befragte“: „-3“ ist keine ganze Zahl"),
        ("2026-H1;gesamt;M;2,1;Note;4,5", "Zeile 2, Spalte „Befragte“: „4,5“ ist keine ganze Zahl"),
        ("2026-H1;gesamt;M;2,1;Note;1;extra", "Zeile 2: mehr als die 6 Spalten"),
    ],
)
def test_a_bad_value_names_line_and_column(line, message):
    messages = refused(f"{HEADER}\n{line}\n")
    assert len(messages) == 1
    assert messages[0].startswith(message), messages


def test_every_problem_is_listed_with_its_line():
    text = "\n".join(
        [
            HEADER,
            "2026-H1;gesamt;A;1;Note;1",
            '"2026-H1";gesamt;"zwei\nZeilen";2,x;Note;1',  # a quoted line break: line 3 and 4
            "2026-H1;gesamt;B;1;Note;1",
            "2026-Q5;gesamt;a;1;Note;1",
            "2026-H1;Gesamt;a;7;Note;1",
        ]
    )
    assert refused(text) == [
        "Zeile 3, Spalte „Wert“: „2,x“ ist keine Zahl.",
        "Zeile 6, Spalte „Zeitraum“: „2026-Q5“ ist kein Zeitraum (erlaubt: 2026, 2026-H1, "
        "2026-Q3 oder 2026-05).",
        "Zeile 7, Spalte „Merkmal“: „2026-H1 / gesamt / a“ steht schon in Zeile 2.",
    ]


def test_the_list_of_problems_is_capped():
    lines = [HEADER] + [f"2026-H1;gesamt;M{n};x;Note;1" for n in range(100)]
    messages = refused("\n".join(lines))
    assert len(messages) == 31
    assert messages[-1] == "… und 70 weitere Fehler."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "Zeile 1: Die Datei ist leer"),
        (HEADER + "\n", "Zeile 2: Die Datei enthält nur die Kopfzeile"),
        (
            "Zeitraum,Dienststelle,Merkmal,Wert,Skala,Befragte\n",
            "Zeile 1: Die Kopfzeile muss „" + HEADER,
        ),
        ("Periode;Dienststelle;Merkmal;Wert;Skala;Befragte\n", "Zeile 1: Die Kopfzeile muss"),
        (b"PK\x03\x04 not really a workbook", "Zeile 1: Die Datei ist keine lesbare XLSX-Datei"),
        (
            HEADER.encode() + b"\n2026-H1;gesamt;M;1;Note;1\n2026-H1;gesamt;\x81\xff;1;Note;1\n",
            "Zeile 3: unlesbare Zeichen",
        ),
    ],
)
def test_a_file_that_is_not_a_survey_table_is_refused(data, message):
    messages = refused(data)
    assert messages[0].startswith(message), messages


def test_the_header_is_case_and_space_tolerant():
    rows = read_survey_file(
        "x.csv", b" zeitraum ;DIENSTSTELLE;Merkmal;wert;Skala;Befragte;;\n2026;gesamt;M;1;N;\n"
    )
    assert [(row.line, row.period, row.respondents) for row in rows] == [(2, "2026", None)]


def test_a_refused_import_leaves_nothing_behind(app, runner, tmp_path):
    runner.invoke(args=["surveys", "import", str(write(tmp_path, GOOD))])
    bad = GOOD.replace("87,5", "viel")
    result = runner.invoke(args=["surveys", "import", str(write(tmp_path, bad, "bad.csv"))])
    assert result.exit_code == 1
    assert "bad.csv refused, nothing imported" in result.output
    assert "Zeile 4, Spalte „Wert“: „viel“ ist keine Zahl." in result.output
    assert "Traceback" not in result.output
    assert results(app) == EXPECTED
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "surveys imported")
            )
            == 1
        )


def test_reimporting_a_period_replaces_it_for_its_locations(app, runner, tmp_path):
    runner.invoke(args=["surveys", "import", str(write(tmp_path, GOOD))])
    other = f"{HEADER}\n2026-H2;gesamt;Gesamtzufriedenheit;2,4;Schulnote 1-6;380\n"
    runner.invoke(args=["surveys", "import", str(write(tmp_path, other, "h2.csv"))])
    again = f"{HEADER}\n2026-H1;gesamt;Gesamtzufriedenheit;2,0;Schulnote 1-6;415\n"
    result = runner.invoke(args=["surveys", "import", str(write(tmp_path, again, "neu.csv"))])
    assert result.exit_code == 0
    assert "replaced: 2026-H1 (gesamt)" in result.output
    assert results(app) == [
        ("2026-H1", "Geschäftsstelle Nord", "Wartezeit", 87.5, "Prozent", None),
        ("2026-H1", "gesamt", "Gesamtzufriedenheit", 2.0, "Schulnote 1-6", 415),
        ("2026-H2", "gesamt", "Gesamtzufriedenheit", 2.4, "Schulnote 1-6", 380),
    ]


def test_importing_the_same_file_again_changes_nothing_and_a_correction_one_result(app, krm_client):
    def upload(text: str, name: str = "befragung.csv") -> str:
        token = csrf_token(krm_client, "/admin/surveys/")
        response = krm_client.post(
            "/admin/surveys/",
            data={"csrf_token": token, "file": (io.BytesIO(text.encode("utf-8-sig")), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
        return krm_client.get("/admin/surveys/").get_data(as_text=True)

    def changed_at() -> dict[str, datetime]:
        with app.app_context():
            query = select(SurveyResult.indicator, SurveyResult.changed_at)
            return dict(db.session.execute(query).all())

    assert "3 Ergebnisse aus „befragung.csv“ importiert, davon 3 neu oder geändert" in upload(GOOD)
    first = changed_at()
    assert "3 Ergebnisse aus „befragung.csv“ importiert, davon 0 neu oder geändert" in upload(GOOD)
    assert changed_at() == first
    corrected = GOOD.replace("1.8;Schulnote 1-6;412", "1,9;Schulnote 1-6;412")
    assert "davon 1 neu oder geändert" in upload(corrected, "korrigiert.csv")
    after = changed_at()
    assert after["Freundlichkeit"] > first["Freundlichkeit"]
    assert after["Gesamtzufriedenheit"] == first["Gesamtzufriedenheit"]
    assert after["Wartezeit"] == first["Wartezeit"]
    assert (("2026-H1", "gesamt", "Freundlichkeit", 1.9, "Schulnote 1-6", 412)) in results(app)


# --- the admin page ----------------------------------------------------------------------------


def test_the_officer_uploads_a_file(app, krm_client):
    token = csrf_token(krm_client, "/admin/surveys/")
    response = krm_client.post(
        "/admin/surveys/",
        data={"csrf_token": token, "file": (io.BytesIO(GOOD.encode("utf-8-sig")), "befragung.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = krm_client.get("/admin/surveys/").get_data(as_text=True)
    assert "3 Ergebnisse aus „befragung.csv“ importiert" in page
    assert "<td>Geschäftsstelle Nord</td>" in page
    assert results(app) == EXPECTED
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "surveys imported")
        ).one()
        assert event.actor == "krm"
        assert db.session.scalars(select(SurveyResult.imported_by_id)).first() == event.actor_id


def test_a_refused_upload_lists_the_problems_and_stores_nothing(app, krm_client):
    token = csrf_token(krm_client, "/admin/surveys/")
    data = xlsx(
        [
            ["Zeitraum", "Dienststelle", "Merkmal", "Wert", "Skala", "Befragte"],
            ["2026-H1", "gesamt", "M", "2,x", "Note", 1],
        ]
    )
    response = krm_client.post(
        "/admin/surveys/",
        data={"csrf_token": token, "file": (io.BytesIO(data), "befragung.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "„befragung.xlsx“ wurde nicht importiert" in page
    assert "Zeile 2, Spalte „Wert“: „2,x“ ist keine Zahl." in page
    assert results(app) == []


def test_an_upload_without_a_file_is_refused(app, krm_client):
    token = csrf_token(krm_client, "/admin/surveys/")
    response = krm_client.post(
        "/admin/surveys/", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Bitte wählen Sie eine Datei aus." in response.get_data(as_text=True)
