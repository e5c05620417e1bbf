from datetime import date

import pytest

from pmsync.core.dates import parse_date
from pmsync.errors import BadInput

TODAY = date(2027, 1, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-02-15", date(2027, 2, 15)),
        ("15 Feb 2027", date(2027, 2, 15)),
        ("Feb 15, 2027", date(2027, 2, 15)),
        ("February 15th 2027", date(2027, 2, 15)),
        ("today", TODAY),
        ("Tomorrow", date(2027, 1, 5)),
        ("yesterday", date(2027, 1, 3)),
        ("+3d", date(2027, 1, 7)),
        ("+2w", date(2027, 1, 18)),
        ("+1m", date(2027, 2, 4)),
        ("2027/02/15", date(2027, 2, 15)),
        ("25/12/2027", date(2027, 12, 25)),  # only one reading: day 25
        ("3 Jan", date(2028, 1, 3)),  # no year: the next 3 Jan, not one already past
        ("5 Jan", date(2027, 1, 5)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


def test_month_arithmetic_clamps_to_the_month_end() -> None:
    assert parse_date("+1m", date(2027, 1, 31)) == date(2027, 2, 28)


@pytest.mark.parametrize("text", ["03/04/2027", "4/3/27"])
def test_ambiguous_numeric_dates_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_date(text, TODAY, "--by")
    assert "ambiguous" in str(err.value)
    assert "YYYY-MM-DD" in str(err.value) and "+3d" in str(err.value)


@pytest.mark.parametrize(
    "text",
    ["banana", "", "2027-02-30", "Feb 30 2027", "+99999999d", "next tuesday-ish", "13/13/2027"],
)
def test_unreadable_dates_are_refused(text: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_date(text, TODAY, "--by")
    assert "--by" in str(err.value)
    assert "YYYY-MM-DD" in str(err.value)
