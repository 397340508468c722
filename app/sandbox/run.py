"""The built-in sandbox: fake Slack and Jira servers that `serve` uses when credentials are missing.

They listen on loopback ports (`SANDBOX_SLACK_PORT`, `SANDBOX_JIRA_PORT`) so that `interrupt-bridge
demo`, run from another terminal, can find them. Only what is missing is faked: with real Slack
credentials and no Jira ones, Slack is real and Jira is the fake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.runtime import Connections
from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, FakeJira
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from app.settings import Settings

SANDBOX_SIGNING_SECRET = "sandbox-signing-secret-not-for-production"  # noqa: S105 - documented sandbox value
SANDBOX_JIRA_EMAIL = DEFAULT_EMAIL
SANDBOX_JIRA_TOKEN = DEFAULT_API_TOKEN


@dataclass
class Sandbox:
    connections: Connections
    slack: FakeSlack | None
    jira: FakeJira | None

    def describe(self, *, service_url: str) -> str:
        lines = ["", "interrupt-bridge is running in SANDBOX mode (no real Slack/Jira credentials found):"]
        if self.slack is not None:
            lines.append(
                f"  fake Slack Web API : {self.slack.base_url}/api/   (channel #platform-support = C0PLATSUP)"
            )
            lines.append(f"  signing secret     : {self.connections.signing_secret}")
        if self.jira is not None:
            lines.append(f"  fake Jira          : {self.jira.base_url}   (projects PLAT, NET)")
        lines.append(f"  try it             : interrupt-bridge demo --url {service_url}")
        lines.append("")
        return "\n".join(lines)

    def stop(self) -> None:
        for fake in (self.slack, self.jira):
            if fake is not None:
                fake.stop()


def start_sandbox(settings: Settings, connections: Connections) -> Sandbox:
    slack: FakeSlack | None = None
    jira: FakeJira | None = None
    if not settings.slack_configured:
        slack = FakeSlack.with_demo_data(bot_token=DEFAULT_BOT_TOKEN)
        slack.use_port(settings.sandbox_slack_port)
        slack.start()
        connections = replace(
            connections,
            slack_token=DEFAULT_BOT_TOKEN,
            slack_api_url=f"{slack.base_url}/api/",
            signing_secret=connections.signing_secret or SANDBOX_SIGNING_SECRET,
        )
    if not settings.jira_configured:
        jira = FakeJira.with_demo_data(deployment="cloud")
        jira.use_port(settings.sandbox_jira_port)
        jira.start()
        connections = replace(
            connections,
            jira_url=jira.base_url,
            jira_email=SANDBOX_JIRA_EMAIL,
            jira_api_token=SANDBOX_JIRA_TOKEN,
            jira_pat=None,
        )
    return Sandbox(connections=connections, slack=slack, jira=jira)
