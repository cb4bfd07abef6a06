"""``find_control`` (a regular expression, for speed) finds exactly what the category rule forbids.

The rule is :func:`text_rules._is_forbidden` (categories Cc and Cs, minus the
allowed characters); the expression must agree with it on every code point,
for each ``allow`` the callers pass, and report the first one's index.
"""

from __future__ import annotations

import pytest

from b1mg_maturity import text_rules

EVERY_CODE_POINT = "".join(chr(code) for code in range(0x110000))


@pytest.mark.parametrize("allow", ["", "\t\n", "\t\n\r"])
def test_the_expression_agrees_with_the_rule_on_every_code_point(allow: str) -> None:
    by_rule = [i for i, char in enumerate(EVERY_CODE_POINT) if text_rules._is_forbidden(char, allow)]
    by_expression = [m.start() for m in text_rules._controls_except(allow).finditer(EVERY_CODE_POINT)]
    assert by_expression == by_rule


@pytest.mark.parametrize(
    ("value", "allow", "expected"),
    [
        ("plain text", "", None),
        ("line\nbreak", "", 4),
        ("line\nbreak", "\t\n", None),
        ("tab\tthen NUL\x00", "\t\n", 12),
        ("escape \x1b[31m", "\t\n", 7),
        ("half \ud800 pair", "", 5),
        ("", "", None),
    ],
)
def test_the_first_forbidden_character_is_found(value: str, allow: str, expected: int | None) -> None:
    assert text_rules.find_control(value, allow) == expected
