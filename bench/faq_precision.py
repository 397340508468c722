"""FAQ matching quality on a labelled set: precision@1 and the false-suggestion rate.

    python -m bench.faq_precision [--template deploy/bridge.example.yaml]
        [--questions bench/data/faq_questions.yaml] [--threshold T] [--sweep]

Per split (`tune`: used to choose the threshold and weights; `heldout`: never looked at while
tuning) and for both together, at the template's threshold (or --threshold):

- precision@1: of the answerable questions that got a suggestion at the threshold, the share whose
  first suggested entry is the right one;
- false suggestions: of the questions with no right answer, the share that got a suggestion anyway;
- coverage: of the answerable questions, the share that got a suggestion at all;
- top1-without-threshold: of the answerable questions, the share whose top-ranked entry is right.

`--sweep` prints the same numbers on the tune split for a range of thresholds.
Targets (issue 7): precision@1 >= 0.8, false suggestions <= 10 %.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.adapters.bm25_ranker import bm25_ranker
from app.config.faq_source import FaqLibrary
from app.config.loader import load_template
from app.domain.faq import FaqMatcher

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None
    split: str


@dataclass(frozen=True)
class Score:
    answerable: int
    top1_right: int
    suggested: int
    suggested_right: int
    unanswerable: int
    false_suggestions: int

    def line(self, name: str) -> str:
        p1 = self.top1_right / self.answerable if self.answerable else 0.0
        cover = self.suggested / self.answerable if self.answerable else 0.0
        right = self.suggested_right / self.suggested if self.suggested else 0.0
        false = self.false_suggestions / self.unanswerable if self.unanswerable else 0.0
        return (
            f"{name:<8} n={self.answerable + self.unanswerable:<3} "
            f"precision@1={right:.3f} ({self.suggested_right}/{self.suggested})  "
            f"false-suggestions={false:.3f} ({self.false_suggestions}/{self.unanswerable})  "
            f"coverage={cover:.3f}  top1-without-threshold={p1:.3f}"
        )


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(q["text"], q["expected"], q["split"]) for q in data["questions"]]


def evaluate(matcher: FaqMatcher, questions: list[Question], threshold: float) -> Score:
    answerable = top1 = suggested = suggested_right = unanswerable = false = 0
    for q in questions:
        ranked = matcher.rank(q.text)
        shown = [m for m in ranked if m.confidence >= threshold]
        if q.expected is None:
            unanswerable += 1
            false += bool(shown)
            continue
        answerable += 1
        top1 += bool(ranked) and ranked[0].entry.id == q.expected
        if shown:
            suggested += 1
            suggested_right += shown[0].entry.id == q.expected
    return Score(answerable, top1, suggested, suggested_right, unanswerable, false)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", type=Path, default=ROOT / "deploy" / "bridge.example.yaml")
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "data" / "faq_questions.yaml")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()

    template = load_template(args.template)
    started = time.perf_counter()
    version = FaqLibrary(args.template, template, bm25_ranker).current()
    built_ms = (time.perf_counter() - started) * 1000
    questions = load_questions(args.questions)
    threshold = args.threshold if args.threshold is not None else version.settings.threshold
    print(f"FAQ: {len(version.entries)} entries (index built in {built_ms:.1f} ms); threshold {threshold}")
    started = time.perf_counter()
    for split in ("tune", "heldout"):
        print(evaluate(version.matcher, [q for q in questions if q.split == split], threshold).line(split))
    print(evaluate(version.matcher, questions, threshold).line("all"))
    per_query_ms = (time.perf_counter() - started) * 1000 / (2 * len(questions))
    print(f"matching: {per_query_ms:.2f} ms per question")
    if args.sweep:
        tune = [q for q in questions if q.split == "tune"]
        print("sweep on the tune split only:")
        for step in range(5, 75, 5):
            print(evaluate(version.matcher, tune, step / 100).line(f"t={step / 100:.2f}"))


if __name__ == "__main__":
    main()
