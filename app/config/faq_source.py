"""The FAQ in use, reloaded without a restart when its files change (or on SIGHUP).

The FAQ comes from the template's `faq:` section (inline entries, threshold, limits) and the file
`faq.file` names. Both files are watched (size and mtime, looked at no more than every
`FAQ_RELOAD_SECONDS`); on a change, or after `request_reload()` (SIGHUP), both are read again. A
reload that fails (bad YAML, a bad entry, a missing file) is logged with the file and key path, and
the FAQ that was in use stays in use. Other template sections still need a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.config.faq import FaqEntry, FaqFile, FaqSettings, faq_problems
from app.config.loader import TemplateError, _key_path, load_template
from app.config.template import Template
from app.domain.faq import FaqMatcher, RankerFactory

log = logging.getLogger(__name__)

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Stamp = tuple[str, int, int] | tuple[str, None, None]


class FaqError(TemplateError):
    """The FAQ file cannot be used; the message names the file and the key path."""


@dataclass(frozen=True)
class FaqVersion:
    settings: FaqSettings
    matcher: FaqMatcher
    stamps: tuple[_Stamp, ...]

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self.matcher.entries

    def entry(self, entry_id: str) -> FaqEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def faq_file_path(template_path: Path, settings: FaqSettings) -> Path | None:
    if settings.file is None:
        return None
    path = Path(settings.file)
    return path if path.is_absolute() else template_path.parent / path


def load_faq_entries(template_path: Path, template: Template) -> tuple[FaqEntry, ...]:
    """The template's inline entries, then the FAQ file's; FaqError names every problem."""
    entries = template.faq.entries
    path = faq_file_path(template_path, template.faq)
    if path is not None:
        entries = entries + _read_file(path)
    problems = faq_problems(
        entries,
        team_keys={t.key for t in template.teams},
        bucket_keys={b.key for b in template.buckets},
        where="entries",
    )
    if problems:
        where = path if path is not None else template_path
        raise FaqError(
            f"{where}: {len(problems)} problem(s) in the FAQ:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return entries


def _read_file(path: Path) -> tuple[FaqEntry, ...]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FaqError(f"{path}: FAQ file not found (faq.file in the workflow template)") from None
    except OSError as exc:
        raise FaqError(f"{path}: cannot read the FAQ file: {exc.strerror}") from None
    try:
        data = yaml.load(raw, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader, libyaml's when present)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f": line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise FaqError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if data is None:
        return ()
    try:
        return FaqFile.model_validate(data).entries
    except ValidationError as exc:
        lines = [f"{path}: {exc.error_count()} problem(s) in the FAQ:"]
        lines += [f"  - {_key_path(e['loc']) or '<top level>'}: {e['msg']}" for e in exc.errors()]
        raise FaqError("\n".join(lines)) from None


def _stamp(path: Path) -> _Stamp:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None, None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


class FaqLibrary:
    """Hands out the current `FaqVersion` (a plain read, never blocks); `check()` reloads it.

    `check()` reads files and builds an index, so it runs off the event loop (`FaqWatcher`).
    """

    def __init__(self, template_path: Path, template: Template, ranker: RankerFactory) -> None:
        self._path = template_path
        self._ranker = ranker
        self._lock = threading.Lock()
        self._reload_requested = False
        self._failed_stamps: tuple[_Stamp, ...] | None = None
        stamps = self._stamps(template.faq)
        self._version = self._build(template, load_faq_entries(template_path, template), stamps)

    def current(self) -> FaqVersion:
        return self._version

    def request_reload(self) -> None:
        """Safe to call from a signal handler: the next `check()` reloads even if nothing changed."""
        self._reload_requested = True

    def check(self) -> bool:
        """Reload when a file changed (or a reload was requested); True when a new FAQ is in use."""
        requested, self._reload_requested = self._reload_requested, False
        if not requested and self._stamps() == self._version.stamps:
            return False
        return self.reload(forced=requested)

    def reload(self, *, forced: bool = True) -> bool:
        """Read the template and the FAQ file again; False (and the old FAQ kept) when they are broken."""
        with self._lock:
            stamps = self._stamps()
            if not forced and stamps == self._failed_stamps:
                return False  # the same broken files: logged once already
            try:
                template = load_template(self._path)
                stamps = self._stamps(template.faq)  # before reading: a change meanwhile reloads again
                version = self._build(template, load_faq_entries(self._path, template), stamps)
            except TemplateError as exc:
                self._failed_stamps = stamps
                log.error(
                    "FAQ not reloaded; the previous FAQ stays in use",
                    extra={"error": str(exc), "faq.entries": len(self._version.entries)},
                )
                return False
            self._failed_stamps = None
            self._version = version
            log.info("FAQ reloaded", extra={"faq.entries": len(version.entries)})
            return True

    def _build(
        self, template: Template, entries: tuple[FaqEntry, ...], stamps: tuple[_Stamp, ...]
    ) -> FaqVersion:
        return FaqVersion(settings=template.faq, matcher=FaqMatcher(entries, self._ranker), stamps=stamps)

    def _stamps(self, settings: FaqSettings | None = None) -> tuple[_Stamp, ...]:
        settings = settings if settings is not None else self._version.settings
        faq_file = faq_file_path(self._path, settings)
        return tuple(_stamp(p) for p in (self._path, faq_file) if p is not None)


class FaqWatcher:
    """Runs `FaqLibrary.check()` in a thread every `every_s` seconds, and at once after `poke()` (SIGHUP)."""

    def __init__(self, library: FaqLibrary, *, every_s: float) -> None:
        self._library = library
        self._every_s = every_s
        self._wake = asyncio.Event()
        self._stopped = False

    def poke(self) -> None:
        """Reload now (the SIGHUP handler; runs on the event loop)."""
        self._library.request_reload()
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopped:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._every_s)
            self._wake.clear()
            if self._stopped:
                return
            try:
                await asyncio.to_thread(self._library.check)
            except Exception:  # never let the watcher die: the next round tries again
                log.exception("FAQ check failed")
