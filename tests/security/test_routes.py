"""Every HTTP route is either public for a stated reason or an admin route that requires its token.

Admin routes are marked in FastAPI with the tag `admin` (or `openapi_extra={"x-admin": True}`);
the test iterates over whatever routes the app has, so a route added later (reports, metrics)
is covered the day it lands: unmarked and not listed as public, it fails the first test; marked,
it must refuse a request without its token and one with a wrong token.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from app.main import create_app
from tests.conftest import Bridge

# (method, path) -> why it needs no admin token
PUBLIC = {
    ("POST", "/slack/events"): "verified by Slack's signature (tests/intake/test_ingress.py)",
    ("POST", "/jira/webhook"): "verified by the webhook's HMAC (tests/sla/test_jira_webhook.py)",
    ("GET", "/healthz"): "liveness: answers a constant",
    ("GET", "/readyz"): "readiness: names of checks and ok/failed only",
    ("GET", "/openapi.json"): "the API's description, no data",
    ("HEAD", "/openapi.json"): "the same",
    ("GET", "/metrics"): "counts and gauges, no ticket data; kept off the Ingress (tests/deploy/test_k8s.py)",
}
ADMIN_TOKEN = "admin-token-for-the-route-tests"


def is_admin(route: Any) -> bool:
    tags = getattr(route, "tags", None) or []
    extra = getattr(route, "openapi_extra", None) or {}
    return "admin" in tags or bool(extra.get("x-admin"))


def routes(bridge: Bridge) -> list[tuple[str, str, Any]]:
    app = create_app(bridge.runtime)
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute | Route):
            found.extend((method, route.path, route) for method in sorted(route.methods or ()))
    return found


def test_every_route_is_public_for_a_reason_or_admin(bridge: Bridge) -> None:
    unmarked = [
        f"{method} {path}"
        for method, path, route in routes(bridge)
        if (method, path) not in PUBLIC and not is_admin(route)
    ]
    assert unmarked == [], "mark these routes admin (tags=['admin']) or list them in PUBLIC with a reason"


def test_every_route_is_in_the_openapi(bridge: Bridge) -> None:
    documented = {
        (method.upper(), path)
        for path, item in create_app(bridge.runtime).openapi()["paths"].items()
        for method in item
    }
    served = {(m, p) for m, p, _ in routes(bridge) if m != "HEAD" and p != "/openapi.json"}
    assert served <= documented


@pytest.mark.settings(ADMIN_TOKEN=ADMIN_TOKEN)
async def test_admin_routes_refuse_requests_without_their_token(bridge: Bridge) -> None:
    admin = [(method, path) for method, path, route in routes(bridge) if is_admin(route) and method != "HEAD"]
    for method, path in admin:
        url = path.replace("{", "").replace("}", "")  # any value for a path parameter
        for headers in (
            {},
            {"Authorization": "Bearer not-the-token"},
            {"Authorization": "Basic YWRtaW46YWRtaW4="},
        ):
            response = await bridge.client.request(method, url, headers=headers)
            assert response.status_code in (401, 403), f"{method} {path} with {headers or 'no token'}"
        allowed = await bridge.client.request(method, url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert allowed.status_code not in (401, 403), f"{method} {path} refuses its own token"
    print(f"\nadmin routes checked: {admin or 'none in this build'}")
