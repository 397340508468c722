"""The report as rows, and those rows as a terminal table, Markdown or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from app.domain.report_figures import Count, Deflection, InterruptReport

Row = tuple[str, str, str, str, str]
HEADERS: Row = ("SECTION", "NAME", "THIS PERIOD", "PREVIOUS", "CHANGE")


def _change(count: Count) -> str:
    return (
        "new"
        if count.change is None and count.current
        else ("" if count.change is None else f"{count.change:+.0%}")
    )


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} h"


def _rate(value: float | None, deflected: int, total: int) -> str:
    return "-" if value is None else f"{value:.0%} ({deflected}/{total})"


def deflection_row(section: str, d: Deflection) -> Row:
    change = "" if d.change is None else f"{100 * d.change:+.0f} pt"
    return (
        section,
        d.name,
        _rate(d.rate, d.deflected, d.total),
        _rate(d.previous_rate, d.previous_deflected, d.previous_total),
        change,
    )


def faq_rows(report: InterruptReport) -> list[Row]:
    """The deflection rate (overall, per bucket and team) and the open FAQ candidates, newest quoted."""
    out = [deflection_row("faq answered", report.deflection)]
    out += [deflection_row("faq answered bucket", d) for d in report.deflection_by_bucket]
    out += [deflection_row("faq answered team", d) for d in report.deflection_by_team]
    found = report.faq_candidates
    note = f"{found.private} from private tickets, not quoted" if found.private else ""
    out.append(("faq candidates", "open", str(found.open), "", note))
    out += [
        (
            "faq candidate",
            c.jira_key or "-",
            c.question,
            "",
            f"answer: {c.answer} (proposed by {c.proposed_by})",
        )
        for c in found.newest
    ]
    return out


def rows(report: InterruptReport) -> list[Row]:
    """Every figure as (section, name, value, previous value, change); blank cells where none applies."""
    out: list[Row] = [("volume", c.name, str(c.current), str(c.previous), _change(c)) for c in [report.total]]
    for section, counts in (
        ("bucket", report.by_bucket),
        ("team", report.by_team),
        ("priority", report.by_priority),
    ):
        out += [(section, c.name, str(c.current), str(c.previous), _change(c)) for c in counts]
    for week, per_bucket in report.weekly:
        out += [("week " + week, bucket, str(n), "", "") for bucket, n in per_bucket] or [
            ("week " + week, "all", "0", "", "")
        ]
    for name, figures in (
        ("time to first response", report.response),
        ("time to resolution", report.resolution),
    ):
        out.append((name, "median", _hours(figures.median_h), "", f"n={figures.count}"))
        out.append((name, "p90", _hours(figures.p90_h), "", ""))
    for row in sorted(report.sla, key=lambda a: (a.priority, a.target)):
        ratio = "-" if row.ratio is None else f"{row.ratio:.0%}"
        out.append(
            (f"sla {row.target.replace('_', ' ')}", row.priority, ratio, "", f"{row.met}/{row.total} met")
        )
    out += [("top requester", name, str(n), "", "") for name, n in report.top_requesters]
    out += [("top channel", name, str(n), "", "") for name, n in report.top_channels]
    out.append(("prevention", "resolved", str(report.resolved), "", ""))
    out.append(
        (
            "prevention",
            "resolved without a prevention note",
            str(report.resolved_without_prevention),
            "",
            ", ".join(report.without_prevention_examples[:5]),
        )
    )
    out += [("private requests", bucket, str(n), "", "") for bucket, n in report.private_by_bucket]
    out += [
        ("repeat topic", t.title, str(t.count), "", "e.g. " + ", ".join(t.examples)) for t in report.topics
    ]
    return out + faq_rows(report)


def title(report: InterruptReport) -> str:
    scope = f"team {report.team}" if report.team else "all teams"
    start, end = report.period.start, report.period.end
    return (
        f"Interrupts, {scope}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC (trend: the period before)"
    )


def table(report: InterruptReport) -> str:
    lines = [HEADERS, *rows(report)]
    widths = [min(max(len(r[i]) for r in lines), 60) for i in range(len(HEADERS))]
    body = "\n".join(
        "  ".join(cell[:60].ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )
    return f"{title(report)}\n\n{body}\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def markdown(report: InterruptReport) -> str:
    lines = [f"# {title(report)}", "", "| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows(report)]
    return "\n".join(lines) + "\n"


def csv_text(report: InterruptReport, *, header: Sequence[str] = HEADERS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([h.lower().replace(" ", "_") for h in header])
    writer.writerows(rows(report))
    return buffer.getvalue()
