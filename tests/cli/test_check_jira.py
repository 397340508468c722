"""`interrupt-bridge check` against Jira (Cloud and Data Center) and Slack fakes: what passes, warns, fails.

Every request to the fake Jira, and every answer of it, is checked against the Jira platform spec
(when the shared specs are present); the fake Slack checks its requests the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli.check import CheckResult
from app.cli.check_jira_screen import bridge_findings, bucket_findings, report
from app.cli.check_sync import NEEDED_EVENTS
from app.cli.main import main
from app.config.loader import load_template
from app.sandbox.fake_jira import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT, FakeJira
from app.sandbox.fake_slack import DEFAULT_BOT_TOKEN, FakeSlack
from app.sandbox.http_fake import FakeResponse
from tests.conftest import EXAMPLE_TEMPLATE
from tests.sandbox.jira_support import DEPLOYMENTS, start_fake

# `check` also lists Jira's admin webhooks, through the webhooks REST API (/rest/webhooks/1.0), which
# the fake does not serve and the platform spec does not describe: the tests answer it themselves.
_WEBHOOKS = "/rest/webhooks/1.0/webhook"
_OUR_WEBHOOK = {
    "name": "interrupt-bridge",
    "url": "https://bridge.example.com/jira/webhook",
    "events": list(NEEDED_EVENTS),
    "enabled": True,
    "excludeBody": False,
}

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(params=DEPLOYMENTS)
def jira(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    fake = start_fake(request.param)
    fake.route("GET", _WEBHOOKS, fake.api(lambda call: FakeResponse(200, [_OUR_WEBHOOK])))
    checks, answers = fake.request_checker, fake.response_checker
    if checks is not None and answers is not None:
        fake.request_checker = lambda r: [] if r.path == _WEBHOOKS else checks(r)
        fake.response_checker = lambda r, a: [] if r.path == _WEBHOOKS else answers(r, a)
    yield fake
    fake.stop()
    assert fake.spec_violations == [], "requests to Jira (or its answers) that break Jira's OpenAPI spec"


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jira: FakeJira, fake_slack: FakeSlack
) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("JIRA_API_TOKEN", "JIRA_PAT", "JIRA_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'check.sqlite3'}")
    monkeypatch.setenv("BRIDGE_CONFIG", str(EXAMPLE_TEMPLATE))
    monkeypatch.setenv("JIRA_URL", jira.base_url)
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", "w" * 32)
    if jira.deployment == "cloud":
        monkeypatch.setenv("JIRA_EMAIL", DEFAULT_EMAIL)
        monkeypatch.setenv("JIRA_API_TOKEN", DEFAULT_API_TOKEN)
    else:
        monkeypatch.setenv("JIRA_PAT", DEFAULT_PAT)
    monkeypatch.setenv("SLACK_BOT_TOKEN", DEFAULT_BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s" * 32)
    monkeypatch.setenv("SLACK_API_URL", f"{fake_slack.base_url}/api/")
    return monkeypatch


def use_template(env: pytest.MonkeyPatch, tmp_path: Path, edit: Edit) -> None:
    data = yaml.safe_load(EXAMPLE_TEMPLATE.read_text())
    edit(data)
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env.setenv("BRIDGE_CONFIG", str(path))


def bucket(data: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(b for b in data["buckets"] if b["key"] == key)
    return found


def run_check(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out


def block(out: str, header: str) -> str:
    """The report line starting with `header` and its indented detail lines."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[start:end])


# -- against the fakes ------------------------------------------------------------------------------
def test_everything_passes_on_the_example_template(
    env: pytest.MonkeyPatch, jira: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_check(capsys)
    assert code == 0, out
    assert "[FAIL]" not in out
    assert "[WARN]" not in out
    kind = "Cloud" if jira.deployment == "cloud" else "Data Center"
    assert f"{kind} " in block(out, "[PASS] Jira server")
    assert "signed in as Interrupt Bridge" in block(out, "[PASS] Jira server")
    assert "MODIFY_REPORTER" in block(out, "[PASS] Jira permissions in PLAT")
    assert "ASSIGN_ISSUES" in block(out, "[PASS] Jira permissions in PLAT")  # platform has a rotation
    assert "ASSIGN_ISSUES" not in block(out, "[PASS] Jira permissions in NET")
    assert "labels" in block(out, "[PASS] Jira PLAT / Task (team platform)")
    access = block(out, "[PASS] Jira bucket access-request in NET / Task (team networking)")
    assert "input system -> customfield_10042 (Affected service)" in access
    assert "input needed-by -> duedate (Due date)" in access
    assert "0 failed" in out
    # It read the create screen of the issue type through the createmeta endpoints.
    assert jira.calls("GET", r"/issue/createmeta/PLAT/issuetypes/\d+$")
    asked = jira.calls("GET", r"/mypermissions$")[0]
    assert "MODIFY_REPORTER" in (asked.query_one("permissions") or "")


def test_an_input_on_a_field_missing_from_the_create_screen_fails(
    env: pytest.MonkeyPatch, jira: FakeJira, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jira.add_custom_field(10060, "Cost centre")
    jira.hide_create_field("PLAT", "customfield_10060")

    def edit(data: dict[str, Any]) -> None:
        bucket(data, "question")["inputs"] = [
            {"key": "team-name", "label": "Your team", "type": "text", "jira_field": "customfield_10077"},
            {"key": "cost", "label": "Cost centre", "type": "text", "jira_field": "customfield_10060"},
        ]

    use_template(env, tmp_path, edit)
    code, out = run_check(capsys)
    assert code == 2
    plat = block(out, "[FAIL] Jira bucket question in PLAT / Task (team platform)")
    assert "input 'team-name' -> customfield_10077: no such field in Jira" in plat
    assert "input 'cost' -> customfield_10060 (Cost centre): not on the create screen" in plat
    net = block(out, "[FAIL] Jira bucket question in NET / Task (team networking)")
    assert "customfield_10077: no such field" in net
    assert "customfield_10060" not in net  # NET's screen has it
    assert "2 failed" in out


def test_a_select_option_jira_does_not_allow_fails(
    env: pytest.MonkeyPatch, jira: FakeJira, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jira.add_custom_field(10050, "System", kind="option", options=["GitHub", "Vault", "AWS console"])

    def edit(data: dict[str, Any]) -> None:
        system = bucket(data, "access-request")["inputs"][0]
        system.update(jira_field="customfield_10050", options=["GitHub", "Vault", "Grafana"])
        del system["jira_shape"]  # a select list takes {"value": ...}: the default shape

    use_template(env, tmp_path, edit)
    code, out = run_check(capsys)
    assert code == 2
    failed = block(out, "[FAIL] Jira bucket access-request in PLAT / Task (team platform)")
    assert "input 'system' -> customfield_10050 (System): options Jira does not allow: Grafana" in failed
    assert "it allows: GitHub, Vault, AWS console" in failed
    assert "needed-by" not in failed  # the other input is fine


def test_a_shape_that_does_not_fit_the_field_names_the_fitting_one(
    env: pytest.MonkeyPatch, jira: FakeJira, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jira.add_custom_field(10050, "System", kind="option", options=["api", "web", "payments"])

    def edit(data: dict[str, Any]) -> None:
        bucket(data, "incident")["inputs"][0]["jira_field"] = "customfield_10050"  # still jira_shape: string

    use_template(env, tmp_path, edit)
    code, out = run_check(capsys)
    assert code == 2
    failed = block(out, "[FAIL] Jira bucket incident in NET / Task (team networking)")
    assert "sends the shape 'string' to a field of type option; set jira_shape: option" in failed


def test_an_unknown_priority_fails(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_template(env, tmp_path, lambda data: data.update(priorities=["Urgent", *data["priorities"]]))
    code, out = run_check(capsys)
    assert code == 2
    failed = block(out, "[FAIL] Jira priorities")
    assert "unknown to Jira: Urgent" in failed
    assert "Jira has: Highest, High, Medium, Low, Lowest" in failed
    assert "1 failed" in out  # said once, not again for every project's priority scheme


def test_without_modify_reporter_it_warns_and_passes(
    env: pytest.MonkeyPatch, jira: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    jira.deny_permission("MODIFY_REPORTER", "NET")
    code, out = run_check(capsys)
    assert code == 0, out
    warned = block(out, "[WARN] Jira permissions in NET")
    assert "MODIFY_REPORTER" in warned
    assert "the bot reports and the description names the requester" in warned
    assert "[PASS] Jira permissions in PLAT" in out
    # Jira leaves the reporter off NET's create screen then; that is the same news, not a second WARN.
    assert "[PASS] Jira NET / Task (team networking)" in out
    assert "1 warning, 0 failed" in out


def test_missing_needed_permissions_and_labels_fail(
    env: pytest.MonkeyPatch, jira: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    jira.deny_permission("CREATE_ISSUES", "PLAT")
    jira.deny_permission("ASSIGN_ISSUES")
    jira.hide_create_field("NET", "labels")
    code, out = run_check(capsys)
    assert code == 2
    plat = block(out, "[FAIL] Jira permissions in PLAT")
    assert "CREATE_ISSUES: cannot create issues" in plat
    assert "ASSIGN_ISSUES: cannot assign tickets to the person on call (platform)" in plat
    assert "[PASS] Jira permissions in NET" in out  # no rotation there: assigning is not needed
    net = block(out, "[FAIL] Jira NET / Task (team networking)")
    assert "labels (Labels): not on the create screen" in net
    assert "exactly-once" in net


def test_an_issue_type_the_project_cannot_create_fails(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_template(env, tmp_path, lambda data: data["teams"][1]["jira"].update(issue_type="Story"))
    code, out = run_check(capsys)
    assert code == 2
    failed = block(out, "[FAIL] Jira NET / Story (team networking)")
    assert "issue type 'Story' cannot be created in NET; creatable: Task, Bug, Interrupt" in failed


def test_wrong_credentials_are_one_readable_failure(
    env: pytest.MonkeyPatch, jira: FakeJira, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("JIRA_API_TOKEN" if jira.deployment == "cloud" else "JIRA_PAT", "not-the-token")
    code, out = run_check(capsys)
    assert code == 2
    failed = block(out, "[FAIL] Jira server")
    assert "HTTP 401: You are not authenticated" in failed
    assert "JIRA_PAT" in failed
    assert "response headers" not in failed


def test_help_documents_the_levels_and_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for level in ("PASS", "WARN", "FAIL", "SKIP"):
        assert f"  {level}  " in text
    assert "exit status: 0 when no check FAILed" in text
    assert "2 when any check FAILed" in text


# -- the judgement alone ----------------------------------------------------------------------------
def _meta(field_id: str, kind: str, *, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "fieldId": field_id,
        "required": required,
        "schema": {"type": kind},
        "operations": ["set"],
        **extra,
    }


SCREEN = {
    "summary": _meta("summary", "string", required=True),
    "description": _meta("description", "string"),
    "labels": _meta("labels", "array", operations=["add", "set", "remove"]),
    "priority": _meta("priority", "priority", allowedValues=[{"name": n} for n in ("High", "Medium", "Low")]),
    "reporter": _meta("reporter", "user", required=True),
    "customfield_10042": _meta("customfield_10042", "string"),
    "duedate": _meta("duedate", "date"),
}


def test_a_priority_the_project_scheme_lacks_fails() -> None:
    template = load_template(EXAMPLE_TEMPLATE)
    findings = bridge_findings(
        template, template.teams[0], SCREEN, {}, priorities=template.priorities, reporter_known=True
    )
    [only] = findings
    assert only.level == "fail"
    assert "priority scheme lacks Highest, Lowest (it offers High, Medium, Low)" in only.text


def test_a_required_field_nothing_fills_fails_for_the_buckets_concerned() -> None:
    template = load_template(EXAMPLE_TEMPLATE)
    screen = {**SCREEN, "priority": _meta("priority", "priority")}
    screen["duedate"] = _meta("duedate", "date", required=True)  # only access-request asks, optionally
    screen["customfield_10042"] = _meta("customfield_10042", "string", required=True)
    texts = [
        f.text
        for f in bridge_findings(
            template, template.teams[0], screen, {}, priorities=template.priorities, reporter_known=True
        )
    ]
    assert any(
        t.startswith(
            "customfield_10042: required by Jira, and nothing fills it for bucket question, "
            "ci-broken, feature-request"
        )
        for t in texts
    ), texts
    assert any(
        "duedate: required by Jira, but the input asking for it is optional in bucket access-request" in t
        for t in texts
    ), texts


def test_fixed_field_values_are_checked_against_the_allowed_ones() -> None:
    template = load_template(EXAMPLE_TEMPLATE)
    question = template.bucket("question").model_copy(
        update={"fields": {"components": [{"name": "runners"}, {"name": "gone"}]}}
    )
    screen = {**SCREEN, "components": _meta("components", "array", allowedValues=[{"name": "runners"}])}
    [finding] = bucket_findings(question, screen, {"components": "Components"})
    assert finding.text == "fields components (Components): not allowed by Jira: gone"


def test_report_keeps_failures_and_warnings_apart() -> None:
    from app.cli.check_jira_screen import Finding

    results = report("x", [Finding("warn", "w1"), Finding("fail", "f1"), Finding("fail", "f2")], "fine")
    assert [(r.status, r.detail) for r in results] == [("FAIL", "f1\nf2"), ("WARN", "w1")]
    assert report("x", [], "fine") == [CheckResult("x", True, "fine")]


def test_private_security_levels_are_checked_against_the_screen(
    env: pytest.MonkeyPatch, jira: FakeJira, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["private"] = {
            "security_levels": {"teams": {"platform": "Staff only"}, "buckets": {"incident": "99999"}}
        }

    use_template(env, tmp_path, edit)
    code, out = run_check(capsys)
    assert code == 2, out  # failures
    failed = block(out, "[FAIL] Jira PLAT / Task (team platform)")
    assert "private.security_levels '99999': not allowed by Jira: 99999" in failed
    assert "Staff only" not in failed  # that level exists
    # a bucket's level applies to every team's tickets of that bucket
    assert "'99999'" in block(out, "[FAIL] Jira NET / Task (team networking)")
