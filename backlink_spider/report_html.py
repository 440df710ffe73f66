"""The HTML report: one self-contained file (inline CSS, SVG charts and a few lines of
script for sorting and filtering the table) that opens without network access."""

from __future__ import annotations

from datetime import date
from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from backlink_spider.reporting import FOLLOW_OVERLAP, Report
from backlink_spider.wording import count_of, plural

WIDTH, BAR_HEIGHT, GAP, LABEL = 520, 22, 6, 130
COLORS = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#4b5563")


def bar_chart(pairs: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one a label, with their values written at the end."""
    top = max((value for _, value in pairs), default=0) or 1
    height = len(pairs) * (BAR_HEIGHT + GAP) + GAP
    bars = []
    for number, (label, value) in enumerate(pairs):
        y = GAP + number * (BAR_HEIGHT + GAP)
        length = (WIDTH - LABEL - 50) * value / top
        color = COLORS[number % len(COLORS)]
        bars.append(
            f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{LABEL}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{color}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 15}">{value}</text>'
        )
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">{"".join(bars)}</svg>'
    )


def line_chart(series: list[tuple[date, int]], title: str) -> Markup:
    """A line over days, with its first and last day and its highest value labelled."""
    height, left, bottom = 220, 40, 30
    if not series:
        return Markup(f'<p class="empty">{escape(title)}: no data yet.</p>')
    top = max(value for _, value in series) or 1
    span = max(len(series) - 1, 1)
    points = [
        (left + (WIDTH - left - 10) * number / span, height - bottom - (height - bottom - 10) * value / top)
        for number, (_, value) in enumerate(series)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{day}: {value}</title></circle>'
        for (x, y), (day, value) in zip(points, series, strict=True)
    )
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">'
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 10}" y2="{height - bottom}" stroke="#9ca3af"/>'
        f'<text x="{left - 6}" y="14" text-anchor="end">{top}</text>'
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>'
        f'<polyline points="{path}" fill="none" stroke="{COLORS[0]}" stroke-width="2"/>{dots}'
        f'<text x="{left}" y="{height - 8}">{series[0][0]}</text>'
        f'<text x="{WIDTH - 10}" y="{height - 8}" text-anchor="end">{series[-1][0]}</text></svg>'
    )


def render_html(report: Report) -> str:
    environment = Environment(
        loader=PackageLoader("backlink_spider", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    template = environment.get_template("report.html.j2")
    return template.render(
        count_of=count_of,
        plural=plural,
        follow_overlap=FOLLOW_OVERLAP,
        report=report,
        summary=report.summary(),
        charts={
            "over_time": line_chart(report.referring_domains_over_time(), "Referring domains over time"),
            "follow": bar_chart(report.follow_mix(), "Follow status"),
            "anchor_class": bar_chart(report.mix("anchor_class"), "Anchor classes"),
            "placement": bar_chart(report.mix("placement"), "Placement"),
            "authority": bar_chart(report.authority_histogram(), "Authority of referring domains"),
        },
    )
