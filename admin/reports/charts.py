"""Charts as server-rendered SVG: no JavaScript, crisp in print, values written as text.

Every chart carries ``role="img"`` with ``<title>`` and ``<desc>``; the page shows the same figures
in a table next to it, which is what screen readers are pointed to.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

CURRENT = "#004b87"
PREVIOUS = "#9bb7d4"


def number(value: float | None, digits: int = 0, sign: bool = False) -> str:
    """German number format: ``1.276``, ``48,3``; a dash where there is no value."""
    if value is None:
        return "–"
    text = f"{value:{'+' if sign else ''},.{digits}f}"
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text.replace("-", "−")


def _svg(width: int, height: int, title: str, desc: str, body: list[str], ident: str) -> Markup:
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  (every text part is escaped)


def bar_chart(
    ident: str,
    title: str,
    rows: Sequence[tuple[str, float, float | None]],
    legend: tuple[str, str],
    digits: int = 0,
) -> Markup:
    """Horizontal bars, this year above the year before, for rows of (label, current, previous)."""
    label_width, bar_width, value_width = 230, 330, 70
    bar, gap = 14, 12
    width = label_width + bar_width + value_width
    top = 28
    height = top + len(rows) * (2 * bar + gap) + 4
    peak = max([value or 0 for _label, *values in rows for value in values] + [1])
    body = [
        f'<rect x="{label_width}" y="4" width="12" height="12" fill="{CURRENT}"/>',
        f'<text x="{label_width + 18}" y="15" class="chart__legend">{escape(legend[0])}</text>',
        f'<rect x="{label_width + 120}" y="4" width="12" height="12" fill="{PREVIOUS}"/>',
        f'<text x="{label_width + 138}" y="15" class="chart__legend">{escape(legend[1])}</text>',
    ]
    for index, (label, current, previous) in enumerate(rows):
        y = top + index * (2 * bar + gap)
        body.append(
            f'<text x="{label_width - 8}" y="{y + bar + 4}" text-anchor="end" '
            f'class="chart__label">{escape(_shorten(label))}</text>'
        )
        for offset, value, colour in ((0, current, CURRENT), (bar, previous, PREVIOUS)):
            length = round((value or 0) / peak * bar_width, 1)
            body.append(
                f'<rect x="{label_width}" y="{y + offset}" width="{length}" height="{bar - 1}" '
                f'fill="{colour}"/>'
            )
            body.append(
                f'<text x="{label_width + length + 6}" y="{y + offset + bar - 3}" '
                f'class="chart__value">{number(value, digits)}</text>'
            )
    desc = "; ".join(
        f"{label}: {number(current, digits)} ({legend[1]}: {number(previous, digits)})"
        for label, current, previous in rows
    )
    return _svg(width, height, title, desc, body, ident)


def column_chart(
    ident: str,
    title: str,
    columns: Sequence[tuple[str, float | None]],
    scale_max: float = 5,
    digits: int = 1,
) -> Markup:
    """Vertical columns with their values above, e.g. an average rating per month (1–5)."""
    column, gap, left, plot = 34, 8, 8, 120
    width = left + len(columns) * (column + gap)
    height = plot + 44
    body = [f'<line x1="0" y1="{plot + 18}" x2="{width}" y2="{plot + 18}" class="chart__axis"/>']
    for index, (label, value) in enumerate(columns):
        x = left + index * (column + gap)
        size = round((value or 0) / scale_max * plot, 1)
        y = plot + 18 - size
        if value is not None:
            body.append(
                f'<rect x="{x}" y="{y}" width="{column}" height="{size}" fill="{CURRENT}"/>'
            )
        body.append(
            f'<text x="{x + column / 2}" y="{y - 4}" text-anchor="middle" '
            f'class="chart__value">{number(value, digits)}</text>'
        )
        body.append(
            f'<text x="{x + column / 2}" y="{plot + 36}" text-anchor="middle" '
            f'class="chart__label">{escape(label)}</text>'
        )
    desc = "; ".join(f"{label}: {number(value, digits)}" for label, value in columns)
    return _svg(width, height, title, desc, body, ident)


def _shorten(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
