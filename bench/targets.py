"""The servers the ack benchmark can measure, and how to start each one."""

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BRIDGE_CONFIG = REPO_ROOT / "deploy" / "bridge.example.yaml"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    argv: Callable[[int], list[str]]
    baseline: bool = False
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/healthz"
    database_url: str | None = None


def _uvicorn(app: str, http: str, loop: str) -> Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--http",
            http,
            "--loop",
            loop,
            "--no-access-log",
            "--log-level",
            "warning",
        ]

    return argv


def _bridge_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]


def database_url(db: str, workdir: Path) -> str:
    if db == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    if db == "postgresql":
        return POSTGRES_URL
    raise ValueError(f"unknown --db {db!r}")


def build_targets(*, db_url: str) -> dict[str, Target]:
    """All known targets, in the order they run by default (baselines first)."""
    targets = [
        Target(
            "bolt-h11",
            "Bolt AsyncApp + FastAPI adapter, uvicorn h11 + asyncio (ack only, no durability)",
            _uvicorn("bench.bolt_baseline:api", "h11", "asyncio"),
            baseline=True,
        ),
        Target(
            "bolt-httptools",
            "Bolt AsyncApp + FastAPI adapter, uvicorn httptools + uvloop (ack only, no durability)",
            _uvicorn("bench.bolt_baseline:api", "httptools", "uvloop"),
            baseline=True,
        ),
        Target(
            "bare-asgi",
            "raw ASGI, signature check only, uvicorn httptools + uvloop (upper bound)",
            _uvicorn("bench.bare_asgi:app", "httptools", "uvloop"),
        ),
        Target(
            "interrupt-bridge",
            "python -m app serve --no-worker (durable write before ack)",
            _bridge_argv,
            env={"DATABASE_URL": db_url, "BRIDGE_CONFIG": str(BRIDGE_CONFIG)},
            database_url=db_url,
        ),
    ]
    return {t.name: t for t in targets}
