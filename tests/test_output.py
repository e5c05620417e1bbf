"""Plain output: the cells and columns a pipe, grep and cut see."""

from __future__ import annotations

from datetime import date

import pytest

from pmsync.core.verdicts import Verdict
from pmsync.present import output


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        ("", "-"),
        ("Acme", "Acme"),
        (0.0, "0"),
        (80.0, "80"),
        (999.0, "999"),
        (1000.0, "1,000"),
        (12345.0, "12,345"),
        (37.5, "37.5"),
        (12.96, "13"),
        (12.94, "12.9"),
        (-3.0, "-3"),
        (1_000_000.25, "1,000,000.2"),
        (float("nan"), "nan"),
        (7, "7"),
        (True, "yes"),
        (False, "no"),
        (date(2027, 1, 4), "2027-01-04"),
    ],
)
def test_a_cell_reads_without_noise(value, text) -> None:
    assert output.fmt(value) == text


def test_plain_table_aligns_wide_characters_and_numbers(capsys) -> None:
    rows = [("東京 rollout", 8.0), ("Café", 120.5), ("line\nbreak", None)]
    output.print_table(
        rows, [("title", lambda r: r[0]), ("hours", lambda r: r[1])], numeric=("hours",)
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("title") and lines[1] == "-" * 12 + "-+-" + "-" * 5
    from rich.cells import cell_len

    bars = {cell_len(line.split("|")[0]) for line in lines if "|" in line}
    assert bars == {13}, lines  # every "|" in the same terminal column
    assert lines[2] == "東京 rollout |     8"
    assert lines[3] == "Café         | 120.5"
    assert lines[4] == "line\\nbreak  |     -"  # a line break typed in is shown, not sent


def test_a_long_table_is_written_in_blocks_with_one_width(capsys) -> None:
    rows = [(i, "x" * (i % 7)) for i in range(12_345)]
    output.print_table(rows, [("id", lambda r: r[0]), ("name", lambda r: r[1])], numeric=("id",))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[2] == "    0 | -" and lines[-1] == "12344 | xxx"
    assert {line.index("|") for line in lines if "|" in line} == {6}


@pytest.mark.parametrize(
    "column",
    [
        ["Acme", "", None, "two\nlines", "Acme"],  # text: the quick path
        [date(2027, 1, 4), None, date(2027, 1, 4), date(2027, 2, 1)],  # dates: formatted once
        [1, 1.0, True, None, 1000, 1000.0, "x", date(2027, 1, 4)],  # mixed: cell by cell
        [80.0, None, 12.5, 80.0, -0.0, 0.0, 1234567.0, float("nan"), 0.25],  # floats: once each
        [3, 200001, -7, 3],  # whole numbers only
        [Verdict.AT_RISK, "at-risk", None, "no PM", Verdict.REALISTIC, Verdict.AT_RISK],  # words
    ],
)
def test_every_column_path_gives_the_cells_fmt_gives(column) -> None:
    expected = [output.fmt(v).replace("\n", " ") for v in column]
    assert output._texts(column) == expected


@pytest.mark.parametrize(
    ("p", "text"), [(1.0, "> 99%"), (0.995, "> 99%"), (0.99, "99%"), (0.5, "50%"), (0.0, "< 1%")]
)
def test_a_chance_from_samples_is_never_certain(p: float, text: str) -> None:
    assert output.chance(p) == text


def test_a_document_written_as_it_is_made_is_the_same_text(capsys) -> None:
    def records(n: int) -> list[dict]:
        return [
            {"id": i, "title": f"deal {i}\u202e", "tags": ["a", i], "when": None} for i in range(n)
        ]

    def data(many) -> dict:  # type: ignore[no-untyped-def]
        return {
            "summary": {"open": 3, "at": date(2027, 1, 4)},
            "big": many(iter(records(5000))),
            "none": many(iter(())),
            "nested": {"inner": many(iter(records(3)))},
        }

    output.print_json(data(list))
    whole = capsys.readouterr().out
    output.print_json_document(data(output.LazyList))
    assert capsys.readouterr().out == whole
    assert "\\u202e" in whole and '"none": []' in whole


@pytest.mark.parametrize("right", [False, True])
def test_a_column_of_few_cells_is_padded_as_one_of_many(right: bool) -> None:
    few = ["at-risk", "-", "日本", "at-risk"] * 10  # four distinct cells over forty
    many = [f"{i}" for i in range(40)]
    for texts in (few, many, few + many):
        width = max(map(output._width, texts))
        expected = [
            " " * (width - output._width(t)) + t if right else t + " " * (width - output._width(t))
            for t in texts
        ]
        assert output._padded(texts, width, right) == expected
