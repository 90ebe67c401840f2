"""Reports: the dashboard and the annual report (HTML with SVG charts, XLSX download).

For the KRM officer and the read-only role; figures only, never a citizen's text.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for
from markupsafe import Markup

from admin.access import requires
from admin.reports.charts import bar_chart, column_chart, number
from admin.reports.figures import (
    COUNT,
    FIRST_YEAR,
    LAST_YEAR,
    PERCENT,
    Figure,
    annual_report,
    dashboard,
    default_year,
)
from admin.reports.xlsx import report_bytes
from portal.db import utcnow
from portal.deadlines import local_time
from portal.extensions import db
from portal.vocab import Role

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def change_text(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return number(value, 1, sign=True) + (" Pp." if unit == PERCENT else " %")


def value_text(value: float | None, unit: str) -> str:
    if unit == PERCENT:
        return "–" if value is None else number(value, 1) + " %"
    return number(value, 0 if unit == COUNT else 2)


def figure_chart(figure: Figure, year: int) -> Markup:
    rows = [(row.label, row.current, row.previous) for row in figure.rows if row.level == 0]
    return bar_chart(
        f"chart-{figure.key}", f"{figure.title} {year}", rows, (str(year), str(year - 1))
    )


def month_columns(months, values) -> list[tuple[str, float | None]]:
    """Chart columns ``11.26`` from the trend's months and their (average, count) values."""
    return [
        (month.label[:3] + month.label[-2:], value[0] if value else None)
        for month, value in zip(months, values, strict=True)
    ]


@bp.context_processor
def _helpers() -> dict:
    return {
        "number": number,
        "change_text": change_text,
        "value_text": value_text,
        "figure_chart": figure_chart,
        "column_chart": column_chart,
        "zip_months": month_columns,
        "local_time": local_time,
    }


@bp.get("/")
@requires(Role.READ)
def dashboard_page():
    now = utcnow()
    return render_template(
        "admin/reports/dashboard.html",
        board=dashboard(db.session, now),
        default_year=default_year(now),
    )


@bp.get("/jahr")
@requires(Role.READ)
def default_annual():
    return redirect(url_for(".annual", year=default_year(utcnow())), code=303)


@bp.get("/<int:year>")
@requires(Role.READ)
def annual(year: int):
    report = annual_report(db.session, _valid(year), utcnow())
    return render_template("admin/reports/annual.html", report=report)


@bp.get("/<int:year>.xlsx")
@requires(Role.READ)
def annual_xlsx(year: int):
    report = annual_report(db.session, _valid(year), utcnow())
    body = report_bytes(report, current_app.config["JOBCENTER_NAME"])
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="krm-jahresbericht-{year}.xlsx"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _valid(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year
