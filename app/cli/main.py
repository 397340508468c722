"""`interrupt-bridge` command line: serve, worker, migrate, demo, check, jobs, oncall, sla, report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import commands
from app.cli.check import add_check_parser
from app.cli.faq import add_faq_parser
from app.cli.oncall import add_oncall_parser
from app.cli.report import add_report_parser
from app.cli.sla import add_sla_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interrupt-bridge", description="Slack-to-Jira bridge for platform teams."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service (and the worker unless --no-worker)")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1, or BRIDGE_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000, or BRIDGE_PORT)")
    serve.add_argument("--no-worker", action="store_true", help="do not run the job worker in this process")
    serve.add_argument("--http", choices=["auto", "h11", "httptools"], default="auto")
    serve.add_argument(
        "--socket-mode",
        action="store_true",
        help="receive Slack over Socket Mode (needs SLACK_APP_TOKEN; no public URL needed)",
    )

    sub.add_parser("worker", help="run only the job worker")
    sub.add_parser("migrate", help="apply database migrations")

    demo = sub.add_parser(
        "demo", help="send a signed reaction to a running sandbox service and show the result"
    )
    demo.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    demo.add_argument(
        "--text", default="CI runners are out of disk since 9:00 :fire:", help="the message to track"
    )
    demo.add_argument("--timeout", type=float, default=20.0)

    add_check_parser(sub)
    add_oncall_parser(sub)
    add_sla_parser(sub)
    add_faq_parser(sub)
    add_report_parser(sub)

    jobs = sub.add_parser("jobs", help="inspect and retry jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = jobs_sub.add_parser("list", help="list recent jobs")
    listing.add_argument("--state", choices=["pending", "running", "done", "dead"])
    listing.add_argument("--limit", type=int, default=50)
    show = jobs_sub.add_parser("show", help="show one job")
    show.add_argument("job_id", type=int)
    retry = jobs_sub.add_parser("retry", help="run a dead job again now")
    retry.add_argument("job_id", type=int, nargs="+")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return commands.run(args)
    except commands.CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
