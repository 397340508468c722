"""Repeat topics: similar ticket summaries grouped, each group a candidate FAQ entry or platform fix.

Summaries are normalised (lower case, numbers and ticket-like ids dropped, punctuation to spaces,
common English filler words dropped), identical forms are counted once, and the distinct forms are
grouped greedily, most frequent first, by rapidfuzz's token-set ratio against each group's leading
form. Word order and small wording changes ("How do I rotate my API token?" / "how to rotate an API
token", "runners out of disk" / "CI runner out of disk space") stay together; different subjects
("access to Vault" / "access to the Grafana dashboards") do not. Private requests are never grouped (their
text must not appear in a report).

Only the `MAX_FORMS` most frequent distinct forms are compared (the most recent first among equally
frequent ones), and each only with the groups sharing a word with it; that keeps the cost bounded
at 100k tickets.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from app.domain.report_models import ReportIssue

MAX_FORMS = 1500
SIMILARITY = 80.0
EXAMPLES = 3
_NOISE = re.compile(r"\b[a-z]+-\d+\b|\b\d[\w:./-]*|[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_FILLER = frozenset(
    "a an the to of in on for and or is are be can do does i my me we our you your it "  # noqa: SIM905
    "this that please how what where why when need needs again".split()
)


@dataclass(frozen=True)
class Topic:
    title: str
    """The most frequent original summary of the group."""
    count: int
    examples: tuple[str, ...]
    """Keys of example tickets (the newest first)."""
    buckets: tuple[tuple[str, int], ...]


def normalise(summary: str) -> str:
    words = _SPACES.sub(" ", _NOISE.sub(" ", summary.lower())).split()
    return " ".join(w for w in words if w not in _FILLER)


def repeat_topics(
    issues: Iterable[ReportIssue], *, top: int = 10, min_count: int = 2, similarity: float = SIMILARITY
) -> list[Topic]:
    """The `top` largest groups of at least `min_count` similar summaries, largest first."""
    by_form: dict[str, list[ReportIssue]] = defaultdict(list)
    for issue in issues:
        if issue.private:
            continue
        form = normalise(issue.summary)
        if form:
            by_form[form].append(issue)
    # the most frequent forms first, the most recent first among equals (recent trouble matters more)
    newest = {f: max(i.created for i in group) for f, group in by_form.items()}
    forms = sorted(by_form, key=lambda f: (-len(by_form[f]), -newest[f].timestamp(), f))[:MAX_FORMS]
    leaders: list[str] = []
    members: list[list[str]] = []
    by_word: dict[str, set[int]] = defaultdict(set)  # word -> leaders containing it
    for form in forms:
        words = set(form.split())
        # a leader sharing no word with the form cannot reach the cut-off: compare only the others
        candidates = {n: leaders[n] for n in set().union(*(by_word[w] for w in words))}
        found = (
            process.extractOne(form, candidates, scorer=fuzz.token_set_ratio, score_cutoff=similarity)
            if candidates
            else None
        )
        if found is None:
            for word in words:
                by_word[word].add(len(leaders))
            leaders.append(form)
            members.append([form])
        else:
            members[found[2]].append(form)
    topics = [_topic([i for f in group for i in by_form[f]]) for group in members]
    topics = [t for t in topics if t.count >= min_count]
    return sorted(topics, key=lambda t: (-t.count, t.title))[:top]


def _topic(grouped: list[ReportIssue]) -> Topic:
    title = Counter(i.summary.strip() for i in grouped).most_common(1)[0][0]
    newest = sorted(grouped, key=lambda i: i.created, reverse=True)[:EXAMPLES]
    buckets = Counter(i.bucket or "none" for i in grouped).most_common()
    return Topic(
        title=title, count=len(grouped), examples=tuple(i.key for i in newest), buckets=tuple(buckets)
    )
