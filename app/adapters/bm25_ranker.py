"""`TextRanker` on `bm25s` (BM25, Lucene's idf) over lower-cased, stop-word-free, Snowball-stemmed words.

FAQ sets are small (tens to a few thousand entries), so an index is built in milliseconds and
rebuilt whenever the FAQ changes; queries score every document (a sparse-matrix row sum).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence

import bm25s
import snowballstemmer
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"[a-z0-9]+")
# Words that carry the request in platform support ("how", "can't", "access") are kept: the
# standard English list drops a few that matter here.
_KEEP = frozenset({"not", "no", "can", "cannot", "how", "where", "why"})
_STOPWORDS = frozenset(w for w in STOPWORDS_EN if w not in _KEEP) | frozenset(
    {"please", "hi", "hey", "hello", "thanks", "thank", "anyone", "someone", "help", "need", "get", "im"}
)
# bm25s logs every index build at DEBUG on its own logger; one line per FAQ reload is ours to write.
logging.getLogger("bm25s").setLevel(logging.WARNING)
K1 = 1.2
B = 0.75


STEM_CACHE_MAX = 50_000
"""Distinct words whose stems are remembered (pure-Python Snowball takes ~0.1 ms per word)."""


class Tokenizer:
    """Words → stems. The Snowball stemmer is not thread-safe: it runs under a lock, and its stems
    are cached (requests repeat a small vocabulary), so most words never reach it."""

    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._lock = threading.Lock()
        self._stems: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower().replace("'", "").replace("\u2019", ""))
        return [self._stem(w) for w in words if w not in _STOPWORDS and len(w) > 1]

    def _stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            with self._lock:
                stem = str(self._stemmer.stemWord(word))
                if len(self._stems) < STEM_CACHE_MAX:
                    self._stems[word] = stem
        return stem


_SHARED = Tokenizer()  # one stem cache for every FAQ version the process builds


class Bm25Ranker:
    def __init__(self, documents: Sequence[str], tokenizer: Tokenizer = _SHARED) -> None:
        self._tokenize = tokenizer
        corpus = [self._tokenize(doc) or ["\x00empty"] for doc in documents]
        self._index = bm25s.BM25(k1=K1, b=B, method="lucene")
        self._index.index(corpus, show_progress=False)
        self._docs = len(corpus)
        self._df = Counter(token for doc in corpus for token in set(doc))

    def _idf(self, df: int) -> float:
        return math.log(1 + (self._docs - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> list[float]:
        tokens = [t for t in self._tokenize(query) if t in self._df]
        if not tokens:
            return [0.0] * self._docs
        return [float(s) for s in self._index.get_scores(tokens)]

    def ceiling(self, query: str) -> float:
        # A word the FAQ never uses counts as a rare one: a request that is mostly about something
        # else should not look like a confident match because of one shared word.
        rare = self._idf(1)
        return sum(self._idf(self._df[t]) if t in self._df else rare for t in self._tokenize(query))


def bm25_ranker(documents: Sequence[str]) -> Bm25Ranker:
    """The `RankerFactory` the service uses."""
    return Bm25Ranker(documents)
