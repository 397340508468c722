"""Runtime settings from the environment (and `.env`), never read at import time.

Secrets are `SecretStr` so that they never end up in a log line or a repr. `Settings()` is built
by the CLI (or by tests) and handed down explicitly.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    # Empty values (`JIRA_PAT=` copied from .env.example, compose env_file) mean "not set".
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # Slack
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=DEFAULT_SLACK_API_URL, alias="SLACK_API_URL")
    slack_command: str = Field(default="/interrupt", pattern=r"^/[a-z0-9_-]{1,31}$", alias="SLACK_COMMAND")

    # Jira
    jira_url: str | None = Field(default=None, alias="JIRA_URL")
    jira_email: str | None = Field(default=None, alias="JIRA_EMAIL")
    jira_api_token: SecretStr | None = Field(default=None, alias="JIRA_API_TOKEN")
    jira_pat: SecretStr | None = Field(default=None, alias="JIRA_PAT")
    jira_concurrency: int = Field(default=8, ge=1, le=64, alias="JIRA_CONCURRENCY")
    jira_timeout_s: float = Field(default=20.0, gt=0, alias="JIRA_TIMEOUT_SECONDS")
    # verifies `POST /jira/webhook` (X-Hub-Signature); without it every Jira webhook is refused
    jira_webhook_secret: SecretStr | None = Field(default=None, alias="JIRA_WEBHOOK_SECRET")

    # Storage and workflow template
    database_url: str = Field(default="sqlite:///interrupt-bridge.sqlite3", alias="DATABASE_URL")
    bridge_config: Path = Field(default=Path("bridge.yaml"), alias="BRIDGE_CONFIG")
    # how often the FAQ's files are looked at for changes (SIGHUP reloads at once)
    faq_reload_s: float = Field(default=5.0, gt=0, alias="FAQ_RELOAD_SECONDS")

    # Worker
    worker_concurrency: int = Field(default=16, ge=1, le=256, alias="WORKER_CONCURRENCY")
    job_lease_s: float = Field(default=120.0, gt=1, alias="JOB_LEASE_SECONDS")
    job_retry_window_s: float = Field(default=24 * 3600.0, gt=0, alias="JOB_RETRY_WINDOW_SECONDS")
    worker_poll_s: float = Field(default=1.0, gt=0, alias="WORKER_POLL_SECONDS")
    # `interrupt-bridge worker` serves /metrics on this port (0: off); `serve` has /metrics anyway
    worker_metrics_port: int = Field(default=0, ge=0, le=65535, alias="WORKER_METRICS_PORT")
    # Linux nice increment of the worker's threads inside `serve` (0: same CPU priority as requests)
    worker_nice: int = Field(default=10, ge=0, le=19, alias="WORKER_NICE")
    # on SIGTERM: how long jobs in flight may take to finish before they are given back
    worker_shutdown_grace_s: float = Field(default=20.0, ge=0, alias="WORKER_SHUTDOWN_GRACE_SECONDS")

    # Bearer token for GET /reports/interrupts; unset, the report is not served (404)
    admin_token: SecretStr | None = Field(default=None, alias="ADMIN_TOKEN")

    # Sandbox (used when Slack or Jira credentials are missing)
    sandbox_slack_port: int = Field(default=8101, alias="SANDBOX_SLACK_PORT")
    sandbox_jira_port: int = Field(default=8102, alias="SANDBOX_JIRA_PORT")

    # OpenTelemetry tracing (the `otel` extra): spans of every HTTP request, off while unset
    otel_exporter_otlp_endpoint: str | None = Field(default=None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "text"] = Field(default="json", alias="LOG_FORMAT")

    @field_validator("slack_api_url")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        # slack_sdk joins base_url and method name by plain concatenation
        return value if value.endswith("/") else value + "/"

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `ADMIN_TOKEN=` (as in .env.example) means no token, not an empty one anybody could send
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("jira_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _jira_auth_is_one_kind(self) -> Settings:
        if self.jira_api_token is not None and self.jira_pat is not None:
            raise ValueError("set JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center), not both")
        if self.jira_api_token is not None and not self.jira_email:
            raise ValueError("JIRA_API_TOKEN needs JIRA_EMAIL (Jira Cloud basic auth)")
        return self

    def secret_values(self) -> list[str]:
        """Every configured secret (the `SecretStr` settings and the database password), for log scrubbing."""
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]
        password = _url_password(self.database_url)
        basic_auth = None
        if self.jira_email and self.jira_api_token is not None:  # as the Authorization header carries it
            credentials = f"{self.jira_email}:{self.jira_api_token.get_secret_value()}"
            basic_auth = base64.b64encode(credentials.encode()).decode()
        return [v for v in [*values, password, basic_auth] if v]

    @property
    def slack_configured(self) -> bool:
        """A bot token, and a signing secret (HTTP) or an app-level token (Socket Mode)."""
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    @property
    def jira_configured(self) -> bool:
        return bool(self.jira_url) and (self.jira_api_token is not None or self.jira_pat is not None)

    @property
    def sandbox(self) -> bool:
        """Without Slack and Jira credentials the service runs against the built-in fakes."""
        return not (self.slack_configured and self.jira_configured)


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None
