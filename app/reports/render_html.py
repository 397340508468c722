"""The report as one self-contained HTML page: plotly charts with plotly.js inlined (no CDN).

Four charts: weekly volume by bucket, the time-to-first-response distribution, SLA attainment per
priority, and the top repeat topics; a small FAQ section (deflection rate, open candidates); then
every figure as a table. The page opens offline.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.io import to_html

from app.domain.report_figures import InterruptReport
from app.reports.render_text import HEADERS, deflection_row, rows, title

CHART_IDS = ("chart-weekly", "chart-response", "chart-sla", "chart-topics")
# A fixed size: a chart that resizes itself after the first paint may be caught half-drawn by a
# headless screenshot or a PDF printer.
_LAYOUT = {
    "width": 640,
    "height": 380,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
    "template": "plotly_white",
}


def weekly_figure(report: InterruptReport) -> go.Figure:
    weeks = [week for week, _ in report.weekly]
    buckets = sorted({bucket for _, per in report.weekly for bucket, _ in per})
    figure = go.Figure(
        [
            go.Bar(name=bucket, x=weeks, y=[dict(per).get(bucket, 0) for _, per in report.weekly])
            for bucket in buckets
        ]
    )
    figure.update_layout(barmode="stack", title="Interrupts per week, by bucket", **_LAYOUT)
    figure.update_xaxes(title="week starting", type="category")
    return figure


def response_figure(report: InterruptReport) -> go.Figure:
    figure = go.Figure([go.Histogram(x=list(report.response_hours), nbinsx=30, name="tickets")])
    figure.update_layout(title="Time to first response (hours)", **_LAYOUT)
    figure.update_xaxes(title="hours")
    figure.update_yaxes(title="tickets")
    if not report.response_hours:
        figure.add_annotation(text="no first-response data in this period", showarrow=False)
    return figure


def sla_figure(report: InterruptReport) -> go.Figure:
    priorities = sorted({a.priority for a in report.sla})
    figure = go.Figure()
    for target in ("first_response", "resolution"):
        by_priority = {a.priority: a for a in report.sla if a.target == target}
        figure.add_bar(
            name=target.replace("_", " "),
            x=priorities,
            y=[100 * (by_priority[p].ratio or 0) if p in by_priority else None for p in priorities],
            text=[
                f"{by_priority[p].met}/{by_priority[p].total}" if p in by_priority else "" for p in priorities
            ],
        )
    figure.update_layout(barmode="group", title="SLA attainment per priority (% met)", **_LAYOUT)
    figure.update_yaxes(range=[0, 100], title="% met")
    if not report.sla:
        figure.add_annotation(text="no SLA targets or no decided tickets in this period", showarrow=False)
    return figure


def topics_figure(report: InterruptReport) -> go.Figure:
    topics = list(reversed(report.topics))
    figure = go.Figure(
        [
            go.Bar(
                orientation="h",
                x=[t.count for t in topics],
                y=[t.title[:60] for t in topics],
                hovertext=["e.g. " + ", ".join(t.examples) for t in topics],
            )
        ]
    )
    figure.update_layout(title="Top repeat topics (candidate FAQ entries or platform fixes)", **_LAYOUT)
    figure.update_layout(margin={"l": 280})
    if not topics:
        figure.add_annotation(text="no repeated summaries in this period", showarrow=False)
    return figure


def faq_section(report: InterruptReport) -> str:
    """The deflection rate (overall, per bucket) and the newest open FAQ candidates as small tables."""
    rates = [deflection_row("all", report.deflection)[1:]] + [
        deflection_row("bucket", d)[1:] for d in report.deflection_by_bucket
    ]
    rate_rows = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rates)
    found = report.faq_candidates
    note = f" ({found.private} from private tickets, not quoted)" if found.private else ""
    quoted = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(cell)}</td>"
            for cell in (c.jira_key or "-", c.question, c.answer, c.proposed_by, c.bucket)
        )
        + "</tr>"
        for c in found.newest
    )
    candidates = (
        "<table><thead><tr><th>Ticket</th><th>Question</th><th>Proposed answer</th><th>Proposed by</th>"
        f"<th>Bucket</th></tr></thead><tbody>\n{quoted}\n</tbody></table>"
        if found.newest
        else ""
    )
    return f"""<section class="faq" id="faq">
<h2>Answered by the FAQ</h2>
<table><thead><tr><th>Scope</th><th>This period</th><th>Previous</th><th>Change</th></tr></thead><tbody>
{rate_rows}
</tbody></table>
<h2>Open FAQ candidates: {found.open}{html.escape(note)}</h2>
{candidates}
</section>"""


def html_page(report: InterruptReport) -> str:
    figures = (weekly_figure(report), response_figure(report), sla_figure(report), topics_figure(report))
    charts = [
        to_html(
            figure,
            include_plotlyjs=(n == 0),
            full_html=False,
            div_id=div_id,
            config={"responsive": False, "displaylogo": False},
        )
        for n, (figure, div_id) in enumerate(zip(figures, CHART_IDS, strict=True))
    ]
    head = "".join(f"<th>{html.escape(h.title())}</th>" for h in HEADERS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows(report)
    )
    heading = html.escape(title(report))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{heading}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
table {{ border-collapse: collapse; margin-top: 2rem; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: left; }}
</style>
</head>
<body>
<h1>{heading}</h1>
<div class="charts">
{"".join(f'<section class="chart">{c}</section>' for c in charts)}
</div>
{faq_section(report)}
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
</body>
</html>
"""
