"""Which FAQ entries answer a request: ranked by a `TextRanker`, filtered by team and bucket.

The ranking method itself lives behind the port (`app.adapters.bm25_ranker`: BM25 over stemmed
words). This module decides what a document is (the question, the keywords weighted up, the
answer), turns raw scores into a confidence in 0..1 and applies the template's threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.config.faq import FaqEntry
from app.domain.ports import TextRanker

FAQ_DEFLECTED_LABEL = "faq-deflected"
"""The Jira label of a ticket the requester marked as answered by the FAQ ("This solved it")."""
KEYWORD_WEIGHT = 3
"""Each keyword counts as this many occurrences: requesters use them, answers rarely repeat them."""
QUESTION_WEIGHT = 2
_LINK = re.compile(r"<([^|<>]*)(?:\|([^<>]*))?>")

RankerFactory = Callable[[Sequence[str]], TextRanker]


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    confidence: float
    """The entry's score as a share of the best score the query could reach (0..1)."""


def document_text(entry: FaqEntry) -> str:
    """The text the ranker indexes for an entry (Slack link targets dropped, labels kept)."""
    answer = _LINK.sub(lambda m: m.group(2) or "", entry.answer)
    keywords = " ".join(entry.keywords)
    return "\n".join([*([entry.question] * QUESTION_WEIGHT), *([keywords] * KEYWORD_WEIGHT), answer])


class FaqMatcher:
    """The entries of one FAQ version, indexed once; `match` is cheap and thread-safe to read."""

    def __init__(self, entries: Sequence[FaqEntry], ranker: RankerFactory) -> None:
        self.entries: tuple[FaqEntry, ...] = tuple(entries)
        self._ranker = ranker([document_text(e) for e in self.entries]) if self.entries else None

    def rank(self, query: str, *, team: str | None = None, bucket: str | None = None) -> list[FaqMatch]:
        """Every entry that may answer the request, best first (unfiltered by any threshold).

        `team`/`bucket` None means "unknown": entries restricted to a team or buckets still count.
        """
        if self._ranker is None or not query.strip():
            return []
        ceiling = self._ranker.ceiling(query)
        if ceiling <= 0:
            return []
        found = [
            FaqMatch(entry=entry, confidence=min(1.0, score / ceiling))
            for entry, score in zip(self.entries, self._ranker.scores(query), strict=True)
            if score > 0 and _applies(entry, team=team, bucket=bucket)
        ]
        return sorted(found, key=lambda m: m.confidence, reverse=True)

    def suggest(
        self,
        query: str,
        *,
        threshold: float,
        limit: int,
        team: str | None = None,
        bucket: str | None = None,
    ) -> list[FaqMatch]:
        """The best entries whose confidence reaches `threshold`, at most `limit` of them."""
        return [m for m in self.rank(query, team=team, bucket=bucket) if m.confidence >= threshold][:limit]


def _applies(entry: FaqEntry, *, team: str | None, bucket: str | None) -> bool:
    if team is not None and entry.team is not None and entry.team != team:
        return False
    return bucket is None or not entry.buckets or bucket in entry.buckets
