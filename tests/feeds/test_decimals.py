"""The feeds' one price parser."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spotarb.feeds.decimals import finite_decimal, positive_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.043700", "0.0437"), ("9.0E-4", "0.0009"), (" 2 ", "2"), (0.1, "0.1"), (3, "3")],
)
def test_numbers_and_numeric_strings_are_exact(raw: object, expected: str) -> None:
    assert positive_decimal(raw, "price") == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("abc", "is not a number"),
        (None, "is not a number"),
        (True, "is not a number"),
        ([1], "is not a number"),
        ("NaN", "is not finite"),
        ("Infinity", "is not finite"),
        (float("inf"), "is not finite"),
        ("0", "is not positive"),
        (-0.5, "is not positive"),
    ],
)
def test_anything_else_names_the_field_and_value(raw: object, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        positive_decimal(raw, "SpotPrice")
    assert str(info.value).startswith(f"SpotPrice {raw!r} ")


def test_finite_allows_zero_and_negative() -> None:
    assert finite_decimal("0", "retailPrice") == 0
    assert finite_decimal(-1, "retailPrice") == -1
