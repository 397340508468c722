"""The report as JSON: every figure, times in ISO 8601, hours as numbers."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from app.domain.report_figures import InterruptReport


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def as_dict(report: InterruptReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data.pop("response_hours")  # the distribution is for charts; the JSON keeps median and p90
    for key in ("total", "by_bucket", "by_team", "by_priority"):
        counts = data[key] if isinstance(data[key], list | tuple) else [data[key]]
        for item in counts:
            item["change"] = (
                None if item["previous"] == 0 else (item["current"] - item["previous"]) / item["previous"]
            )
    data["weekly"] = [{"week": week, "buckets": dict(per_bucket)} for week, per_bucket in report.weekly]
    data["top_requesters"] = [{"name": n, "count": c} for n, c in report.top_requesters]
    data["top_channels"] = [{"channel": n, "count": c} for n, c in report.top_channels]
    data["private_by_bucket"] = dict(report.private_by_bucket)
    data["topics"] = [
        {"title": t.title, "count": t.count, "examples": list(t.examples), "buckets": dict(t.buckets)}
        for t in report.topics
    ]
    for key in ("deflection", "deflection_by_bucket", "deflection_by_team"):
        found = report.deflection if key == "deflection" else getattr(report, key)
        items = found if isinstance(found, tuple) else (found,)
        plain = [
            {**dataclasses.asdict(d), "rate": d.rate, "previous_rate": d.previous_rate, "change": d.change}
            for d in items
        ]
        data[key] = plain if isinstance(found, tuple) else plain[0]
    data["sla"] = [
        {**row, "ratio": row["met"] / row["total"] if row["total"] else None} for row in data["sla"]
    ]
    return {k: _plain(v) for k, v in data.items()}


def json_text(report: InterruptReport) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
