"""The digest's chart as a PNG: interrupts per day of the week, by bucket (matplotlib, Agg, no display)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit

import matplotlib.pyplot as plt

from app.domain.report_models import Period, ReportIssue


def daily_volume_png(issues: Sequence[ReportIssue], period: Period, *, title: str) -> bytes:
    """A stacked bar per day of `period`, one colour per bucket."""
    days = []
    day = period.start
    while day < period.end:
        days.append(day)
        day += timedelta(days=1)
    buckets = sorted({i.bucket or "none" for i in issues if i.created in period})
    counts = {b: [0] * len(days) for b in buckets}
    for issue in issues:
        if issue.created in period:
            index = min(int((issue.created - period.start) / timedelta(days=1)), len(days) - 1)
            counts[issue.bucket or "none"][index] += 1
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        bottom = [0] * len(days)
        labels = [d.strftime("%a %d") for d in days]
        for bucket in buckets:
            axes.bar(labels, counts[bucket], bottom=bottom, label=bucket)
            bottom = [a + b for a, b in zip(bottom, counts[bucket], strict=True)]
        axes.set_title(title)
        axes.set_ylabel("interrupts")
        if buckets:
            axes.legend(loc="upper left", fontsize="small")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
