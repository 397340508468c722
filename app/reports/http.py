"""`GET /reports/interrupts`: the HTML report (or its JSON), for administrators only.

Bearer auth with `ADMIN_TOKEN`: no or a malformed `Authorization` header is a 401 (with
`WWW-Authenticate: Bearer`), a wrong token a 403. Without `ADMIN_TOKEN` the route answers 404:
the report is off unless an operator turns it on. One report is built at a time (it pages through
Jira in a worker thread), so a burst of requests cannot flood Jira.
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.domain.errors import PermanentError, RetryableError
from app.domain.report_figures import InterruptReport
from app.domain.report_models import OpenFaqCandidate
from app.domain.report_period import PeriodError, parse_range, parse_since
from app.reports.jira_access import search_for
from app.reports.render_html import html_page
from app.reports.render_json import as_dict
from app.reports.service import UnknownTeam, interrupt_report
from app.runtime import Runtime
from app.store.report_facts import TicketFacts, facts_since, open_candidates


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _auth_problem(runtime: Runtime, request: Request) -> Response | None:
    token = runtime.settings.admin_token
    if token is None:
        return _error(404, "reports are disabled: set ADMIN_TOKEN to serve them")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return _error(
            401, "an admin bearer token is required", {"WWW-Authenticate": 'Bearer realm="reports"'}
        )
    if not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        return _error(403, "this token may not read reports")
    return None


def report_router(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    one_at_a_time = asyncio.Semaphore(1)

    def build(period_args: tuple[str | None, str | None, str | None], team: str | None) -> InterruptReport:
        now = datetime.fromtimestamp(runtime.clock(), UTC)
        since, start, end = period_args
        period = parse_range(start, end, now=now) if start else parse_since(since or "30d", now=now)
        search = search_for(runtime.connections, timeout_s=runtime.settings.jira_timeout_s)

        def facts(since_epoch: float) -> dict[str, TicketFacts]:
            with runtime.engine.connect() as db:
                return facts_since(db, since_epoch)

        def candidates(of_team: str | None) -> list[OpenFaqCandidate]:
            with runtime.engine.connect() as db:
                return open_candidates(db, team=of_team)

        return interrupt_report(
            search, runtime.template(), period, team=team, facts=facts, candidates=candidates, now=now
        )

    @router.get(
        "/reports/interrupts",
        response_model=None,
        tags=["admin"],
        responses={
            200: {"description": "the report, as a self-contained HTML page or JSON"},
            400: {"description": "an unparseable period or an unknown team"},
            401: {"description": "no `Authorization: Bearer <ADMIN_TOKEN>` header"},
            403: {"description": "a wrong admin token"},
            404: {"description": "reports are disabled: ADMIN_TOKEN is not set"},
            502: {"description": "Jira refused or failed the search (its own error text)"},
        },
    )
    async def interrupts(
        request: Request,
        since: Annotated[str | None, Query(description="30d, 4w, 12h")] = None,
        date_from: Annotated[str | None, Query(alias="from")] = None,
        date_to: Annotated[str | None, Query(alias="to")] = None,
        team: str | None = None,
        format: Literal["html", "json"] = "html",  # noqa: A002 - the query parameter's name
    ) -> Response:
        problem = _auth_problem(runtime, request)
        if problem is not None:
            return problem
        try:
            async with one_at_a_time:
                report = await asyncio.to_thread(build, (since, date_from, date_to), team)
        except (PeriodError, UnknownTeam) as exc:
            return _error(400, str(exc))
        except PermanentError as exc:
            return _error(502, f"Jira refused the report's search: {exc}")
        except RetryableError as exc:
            return _error(503, f"Jira is not answering: {exc}", {"Retry-After": "30"})
        if format == "json":
            return JSONResponse(as_dict(report))
        return HTMLResponse(html_page(report))

    return router
