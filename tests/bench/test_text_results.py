"""Parsing the printed lines of the report and FAQ benchmarks."""

from bench.text_results import parse_faq_lines, parse_report_lines
from tests.bench.samples import FAQ_OUTPUT, REPORT_OUTPUT


def test_report_lines_are_read_and_the_header_is_skipped() -> None:
    lines = parse_report_lines(REPORT_OUTPUT)

    assert [(x.deployment, x.issues, x.mode) for x in lines] == [
        ("cloud", 2000, "report"),
        ("cloud", 2000, "baseline"),
        ("cloud", 20000, "report"),
        ("cloud", 20000, "baseline"),
        ("datacenter", 20000, "report"),
    ]
    at_20k = lines[2]
    assert (at_20k.requests, at_20k.per_100, at_20k.wall_s, at_20k.rss_mb, at_20k.verdict) == (
        40,
        0.2,
        4.21,
        96.3,
        "PASS",
    )
    assert lines[0].verdict is None


def test_report_output_without_result_lines_gives_nothing() -> None:
    assert parse_report_lines("Traceback (most recent call last):\n  boom\n") == []


def test_faq_splits_threshold_and_entries_are_read_and_the_sweep_is_left_out() -> None:
    result = parse_faq_lines(FAQ_OUTPUT)

    assert (result.entries, result.threshold) == (24, 0.35)
    assert set(result.splits) == {"tune", "heldout", "all"}
    everything = result.splits["all"]
    assert (everything.n, everything.precision_at_1, everything.right, everything.suggested) == (
        100,
        0.88,
        44,
        50,
    )
    assert (everything.false_rate, everything.false_suggestions, everything.unanswerable) == (0.067, 2, 30)
    assert everything.coverage == 0.714


def test_faq_output_without_header_still_gives_the_splits() -> None:
    only_lines = "\n".join(line for line in FAQ_OUTPUT.splitlines() if not line.startswith("FAQ:"))

    result = parse_faq_lines(only_lines)

    assert result.threshold is None
    assert result.splits["heldout"].precision_at_1 == 0.85


REPORT_WITH_CPU_COLUMNS = """\
# CPython 3.11.7, 2 CPUs, load 11.0
deployment   issues mode      requests req/100  wall s  cpu s fake cpu s  rss MB  verdict (at 20k)
cloud          2000 report          20    1.00    3.83   1.71       0.64    66.5
cloud         20000 report         200    1.00    9.20  14.10       5.00   180.2  PASS
"""


def test_report_columns_are_found_by_the_header_when_the_script_adds_some() -> None:
    lines = parse_report_lines(REPORT_WITH_CPU_COLUMNS)

    assert [(x.issues, x.requests, x.per_100, x.wall_s, x.rss_mb, x.verdict) for x in lines] == [
        (2000, 20, 1.0, 3.83, 66.5, None),
        (20000, 200, 1.0, 9.2, 180.2, "PASS"),
    ]


def test_report_lines_without_a_header_use_the_first_three_columns_and_the_last() -> None:
    body = "\n".join(REPORT_WITH_CPU_COLUMNS.splitlines()[2:])

    (first, second) = parse_report_lines(body)

    assert (first.requests, first.wall_s, first.rss_mb) == (20, 3.83, 66.5)
    assert second.verdict == "PASS"


def test_report_keeps_the_other_named_columns() -> None:
    (first, _) = parse_report_lines(REPORT_WITH_CPU_COLUMNS)

    assert first.extra == {"cpu s": 1.71, "fake cpu s": 0.64}


def test_report_rss_is_the_peak_column_never_ru_maxrss() -> None:
    from bench.text_results import parse_report_lines

    text = (
        "deployment   issues mode      requests req/100  wall s  cpu s fake cpu s peak RSS MB ru_maxrss MB"
        "  verdict (at 20k: <=1 req/100, <=10 s, <=250 MB)\n"
        "datacenter    20000 report     20   0.10   8.37   5.52     4.17     105.7     342.7  PASS\n"
    )
    [line] = parse_report_lines(text)
    assert (line.rss_mb, line.extra["ru_maxrss MB"], line.wall_s) == (105.7, 342.7, 8.37)
