"""Method descriptions the shared specs do not carry yet, in the same shape as `specs/slack/methods`.

`apps.connections.open` (Socket Mode): from Slack's reference page
(docs.slack.dev/reference/methods/apps.connections.open): POST, form or JSON, no arguments but the
app-level token, which must travel in the Authorization header.
"""

from __future__ import annotations

from typing import Any

EXTRA_METHODS: dict[str, dict[str, Any]] = {
    "apps.connections.open": {
        "desc": "Generate a temporary Socket Mode WebSocket URL that your app can connect to.",
        "http_method": "POST",
        "json_input_supported": True,
        "args": {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string", "subtype": "auth"}},
        },
    }
}
