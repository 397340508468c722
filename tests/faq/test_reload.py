"""The FAQ is reloaded without a restart; a malformed file is a clear error and the old FAQ stays."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest
import yaml

from app.adapters.bm25_ranker import bm25_ranker
from app.cli.main import main
from app.config.faq_source import FaqError, FaqLibrary, load_faq_entries
from app.config.loader import load_template
from tests.conftest import EXAMPLE_TEMPLATE

VPN = {
    "id": "vpn",
    "question": "How do I connect to the VPN?",
    "answer": "Use WireGuard.",
    "keywords": ["vpn"],
}
KAFKA = {
    "id": "kafka",
    "question": "How do I create a Kafka topic?",
    "answer": "Open a PR.",
    "keywords": ["kafka"],
}


def write_setup(tmp_path: Path, entries: list[dict[str, object]]) -> Path:
    raw = yaml.safe_load(EXAMPLE_TEMPLATE.read_text(encoding="utf-8"))
    raw["faq"] = {"file": "faq.yaml", "threshold": 0.3}
    template = tmp_path / "bridge.yaml"
    template.write_text(yaml.safe_dump(raw), encoding="utf-8")
    write_faq(tmp_path, entries)
    return template


def write_faq(tmp_path: Path, entries: list[dict[str, object]] | str) -> None:
    faq = tmp_path / "faq.yaml"
    text = entries if isinstance(entries, str) else yaml.safe_dump({"entries": entries})
    faq.write_text(text, encoding="utf-8")
    stat = faq.stat()  # a new mtime even when the test is faster than the file system's clock
    os.utime(faq, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def library(template: Path) -> FaqLibrary:
    return FaqLibrary(template, load_template(template), bm25_ranker)


def ids(lib: FaqLibrary) -> list[str]:
    return [e.id for e in lib.current().entries]


def test_a_changed_file_is_picked_up_at_the_next_check(tmp_path: Path) -> None:
    lib = library(write_setup(tmp_path, [VPN]))
    assert lib.check() is False  # nothing changed
    assert ids(lib) == ["vpn"]
    write_faq(tmp_path, [VPN, KAFKA])
    assert ids(lib) == ["vpn"]  # not looked at yet
    assert lib.check() is True
    assert ids(lib) == ["vpn", "kafka"]
    [match] = lib.current().matcher.suggest("how to create a kafka topic", threshold=0.3, limit=1)
    assert match.entry.id == "kafka"


def test_sighup_reloads_at_once(tmp_path: Path) -> None:
    lib = library(write_setup(tmp_path, [VPN]))
    lib.request_reload()  # what the SIGHUP handler calls: a reload even without a visible change
    assert lib.check() is True
    assert ids(lib) == ["vpn"]


async def test_the_runtime_reloads_on_a_real_sighup(tmp_path: Path) -> None:
    import asyncio

    from app.runtime import Runtime
    from tests.conftest import make_settings

    template = write_setup(tmp_path, [VPN])
    runtime = Runtime(
        settings=make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", BRIDGE_CONFIG=str(template)),
        template=lambda: load_template(template),
        connections=_offline_connections(),
        run_worker=False,
    )
    await runtime.start()  # installs the SIGHUP handler and starts the watcher (every 5 s)
    try:
        write_faq(tmp_path, [KAFKA])
        os.kill(os.getpid(), signal.SIGHUP)  # without a handler this would end the test run
        for _ in range(200):
            if [e.id for e in runtime.faq.current().entries] == ["kafka"]:
                break
            await asyncio.sleep(0.01)
        assert [e.id for e in runtime.faq.current().entries] == ["kafka"]
    finally:
        await runtime.stop()


def _offline_connections():  # type: ignore[no-untyped-def]
    from app.runtime import Connections

    return Connections(
        signing_secret="s",
        slack_token="xoxb-test",
        slack_api_url="http://127.0.0.1:9/api/",
        jira_url="http://127.0.0.1:9",
        jira_email="a@example.com",
        jira_api_token="t",
        jira_pat=None,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("entries:\n  - id: vpn\n    question: [unclosed\n", "invalid YAML"),
        (yaml.safe_dump({"entries": [{**VPN, "answer": ""}]}), "entries[0].answer"),
        (yaml.safe_dump({"entries": [VPN, VPN]}), "duplicate id 'vpn'"),
        (yaml.safe_dump({"entries": [{**VPN, "buckets": ["nope"]}]}), "bucket 'nope' is not a bucket key"),
    ],
)
def test_a_malformed_file_is_logged_and_the_old_faq_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, message: str
) -> None:
    lib = library(write_setup(tmp_path, [VPN]))
    write_faq(tmp_path, content)
    with caplog.at_level(logging.ERROR, logger="app.config.faq_source"):
        assert lib.check() is False
        assert ids(lib) == ["vpn"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "FAQ not reloaded; the previous FAQ stays in use"
    error = record.__dict__["error"]
    assert str(tmp_path / "faq.yaml") in error
    assert message in error
    caplog.clear()  # the same broken file is not logged again at every check
    assert lib.check() is False
    assert ids(lib) == ["vpn"]
    assert [r for r in caplog.records if r.levelno == logging.ERROR] == []
    write_faq(tmp_path, [KAFKA])  # fixed: picked up
    assert lib.check() is True
    assert ids(lib) == ["kafka"]


def test_a_missing_file_at_start_is_a_clear_cli_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = write_setup(tmp_path, [VPN])
    (tmp_path / "faq.yaml").unlink()
    with pytest.raises(FaqError, match="FAQ file not found"):
        load_faq_entries(template, load_template(template))
    monkeypatch.setenv("BRIDGE_CONFIG", str(template))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.chdir(tmp_path)
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert "faq.yaml: FAQ file not found" in err
    assert "Traceback" not in err


def test_check_reports_the_faq(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = write_setup(tmp_path, [VPN])
    monkeypatch.setenv("BRIDGE_CONFIG", str(template))
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    assert "1 entries, threshold 0.3" in capsys.readouterr().out
    write_faq(tmp_path, yaml.safe_dump({"entries": [{**VPN, "team": "nobody"}]}))
    assert main(["check"]) == 2
    out = capsys.readouterr()
    assert "team 'nobody' is not a team key" in out.out + out.err
