"""Runtime settings from the environment (and `.env`), never read at import time.

Secrets are `SecretStr` so that they never end up in a log line or a repr. `Settings()` is built
by the CLI (or by tests) and handed down explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

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

    # Worker
    worker_concurrency: int = Field(default=16, ge=1, le=256, alias="WORKER_CONCURRENCY")
    job_lease_s: float = Field(default=120.0, gt=1, alias="JOB_LEASE_SECONDS")
    job_retry_window_s: float = Field(default=24 * 3600.0, gt=0, alias="JOB_RETRY_WINDOW_SECONDS")
    worker_poll_s: float = Field(default=1.0, gt=0, alias="WORKER_POLL_SECONDS")

    # Bearer token for GET /reports/interrupts; unset, the report is not served (404)
    admin_token: SecretStr | None = Field(default=None, alias="ADMIN_TOKEN")

    # Sandbox (used when Slack or Jira credentials are missing)
    sandbox_slack_port: int = Field(default=8101, alias="SANDBOX_SLACK_PORT")
    sandbox_jira_port: int = Field(default=8102, alias="SANDBOX_JIRA_PORT")

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

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def jira_configured(self) -> bool:
        return bool(self.jira_url) and (self.jira_api_token is not None or self.jira_pat is not None)

    @property
    def sandbox(self) -> bool:
        """Without Slack and Jira credentials the service runs against the built-in fakes."""
        return not (self.slack_configured and self.jira_configured)
