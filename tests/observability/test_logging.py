"""Log lines are JSON with structured keys, and configured secrets never appear in them."""

from __future__ import annotations

import json
import logging

import pytest

from app.observability.logging import configure_logging


def test_secrets_are_scrubbed_and_keys_kept(capsys: pytest.CaptureFixture[str]) -> None:
    token = "xoxb-1234-5678-abcdefSECRET"
    configure_logging(level="INFO", fmt="json", secrets=[token, "jira-token-42"])
    log = logging.getLogger("test.secrets")
    log.info("calling slack with %s", token, extra={"slack.channel_id": "C1", "jira.key": "PLAT-1"})
    try:
        raise RuntimeError(f"auth failed for jira-token-42 and {token}")
    except RuntimeError:
        log.exception("boom")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert token not in json.dumps(lines)
    assert "jira-token-42" not in json.dumps(lines)
    assert lines[0]["msg"] == "calling slack with ***"
    assert lines[0]["slack.channel_id"] == "C1"
    assert lines[0]["jira.key"] == "PLAT-1"
    assert "***" in lines[1]["exc"]
    logging.getLogger().handlers.clear()
