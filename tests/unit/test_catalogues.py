"""The message catalogues: up to date with the code, complete for every shipped language, placeholders kept,
plural forms as each language has them; and the rules that keep messages translatable."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from b1mg_maturity import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT_LANGUAGE]
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")
# How many plural forms each language has (CLDR), written down here, not read from the catalogues.
PLURAL_FORMS = {"fr": 2, "de": 2, "es": 2, "it": 2, "pt": 2, "pl": 3}


MessageKey = tuple[str | None, str]  # (context, msgid)


@cache
def _extracted(tmp: Path) -> Catalog:
    """The messages in the code and templates now, extracted as `make catalogues` does."""
    pot = tmp / "messages.pot"
    command = [
        *(sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"),
        *("-k", "_", "-k", "_n:1,2", "-k", "_p:1c,2", "-k", "N_", "--omit-header", "-o", str(pot), "."),
    ]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return _extracted(tmp_path_factory.mktemp("pot"))


def _keys(catalogue: Catalog) -> set[MessageKey]:
    return {(message.context, _msgid(message.id)) for message in catalogue if message.id}


def _msgid(value: str | tuple[str, ...] | list[str]) -> str:
    return value if isinstance(value, str) else value[0]


def _read(code: str) -> Catalog:
    with (i18n.LOCALES_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=code)


def test_the_code_has_many_messages_and_the_template_is_up_to_date(extracted: Catalog) -> None:
    assert len(_keys(extracted)) > 500  # the app, the CLI, the report and the charts
    with (i18n.LOCALES_DIR / "messages.pot").open("rb") as handle:
        committed = read_po(handle)
    missing = sorted(_keys(extracted) - _keys(committed), key=str)
    assert not missing, (
        f"run `make catalogues`: {len(missing)} messages are not in locales/messages.pot: {missing[:10]}"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str, extracted: Catalog) -> None:
    catalogue = _read(code)
    translated = {(m.context, _msgid(m.id)): m for m in catalogue if m.id}
    problems = []
    for key in sorted(_keys(extracted), key=str):
        message = translated.get(key)
        if message is None:
            problems.append(f"missing: {key[1]!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {key[1]!r}")
        elif not all(isinstance(s, str) and s.strip() for s in _forms(message.string)):
            problems.append(f"empty: {key[1]!r}")
    assert not problems, f"{code}: {len(problems)} problems, first: " + "; ".join(problems[:15])


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_placeholder_of_the_english_message_is_in_each_translation(code: str) -> None:
    problems = []
    for message in _read(code):
        if not message.id or not message.string:
            continue
        english = set(PLACEHOLDER.findall(" ".join(_forms(message.id))))
        for form in _forms(message.string):
            found = set(PLACEHOLDER.findall(form))
            if found != english:
                problems.append(f"{_msgid(message.id)!r} -> {form!r}: {sorted(english ^ found)}")
    assert not problems, f"{code}: " + "; ".join(problems[:10])


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalogue_has_its_languages_plural_forms(code: str) -> None:
    catalogue = _read(code)
    assert catalogue.num_plurals == PLURAL_FORMS[code]
    plurals = [m for m in catalogue if m.id and not isinstance(m.id, str)]
    assert plurals
    for message in plurals:
        assert len(_forms(message.string)) == PLURAL_FORMS[code], _msgid(message.id)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize(
    ("count", "form"),
    # Polish: 1 -> one; 2-4, 22-24, ... -> few; 0, 5-21, 25-31, ... -> many (CLDR), by hand.
    [(1, 0), (2, 1), (3, 1), (4, 1), (5, 2), (12, 2), (21, 2), (22, 1), (25, 2), (0, 2)],
)
def test_polish_counts_take_the_right_form(count: int, form: int) -> None:
    catalogue = _read("pl")
    singular, plural = "ended {n} session of {username}", "ended {n} sessions of {username}"
    forms = _forms(catalogue[(singular, plural)].string)
    assert len(set(forms)) == 3  # three different words for three forms
    with i18n.language("pl"):
        assert i18n._n(singular, plural, count, username="anna") == forms[form].format(n=count, username="anna")


@pytest.mark.parametrize(
    ("code", "expected"), [("en", "2.69"), ("fr", "2,69"), ("de", "2,69"), ("pl", "2,69"), ("en-XA", "2.69")]
)
def test_numbers_are_written_as_the_language_writes_them(code: str, expected: str) -> None:
    with i18n.language(code):
        assert i18n.number(2.6875, 2) == expected


def test_rounding_follows_python_formatting_so_the_page_and_the_file_agree() -> None:
    for value in (2.675, 0.125, 1.005, 3.14159, 4.5, 0.0):
        with i18n.language("en"):
            assert i18n.number(value, 2) == f"{value:.2f}"
            assert i18n.number(value, 1) == f"{value:.1f}"
        with i18n.language("fr"):
            assert i18n.number(value, 2) == f"{value:.2f}".replace(".", ",")


def test_percent_and_dates_by_language() -> None:
    import datetime as dt

    with i18n.language("en"):
        assert (i18n.percent(0.8), i18n.date(dt.date(2026, 5, 3))) == ("80%", "3 May 2026")
    with i18n.language("fr"):
        assert (i18n.percent(0.8), i18n.date(dt.date(2026, 5, 3))) == ("80\u00a0%", "3 mai 2026")
    with i18n.language("de"):
        assert (i18n.percent(0.8), i18n.date(dt.date(2026, 5, 3))) == ("80\u00a0%", "3. Mai 2026")


def test_no_module_that_translates_uses_underscore_as_a_variable() -> None:
    """``for _ in ...`` or ``x, _ = ...`` in a module that imports ``_`` makes ``_`` local to the function:
    every ``_("...")`` in it then fails (UnboundLocalError), on a page that may be opened rarely."""
    offenders = []
    for path in [*sorted((ROOT / "b1mg_maturity").rglob("*.py")), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(
            isinstance(node, ast.ImportFrom)
            and node.module == "b1mg_maturity.i18n"
            and any(a.name == "_" for a in node.names)
            for node in ast.walk(tree)
        ):
            continue
        offenders += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
        ]
    assert not offenders, "name the unused value (_unused) instead: " + ", ".join(offenders)


def test_no_message_is_built_with_an_f_string() -> None:
    """``_(f"...")`` cannot be found by the extractor nor translated: placeholders are named fields."""
    offenders = []
    for path in [*sorted((ROOT / "b1mg_maturity").rglob("*.py")), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "_n", "_p", "N_")
                and any(isinstance(arg, ast.JoinedStr) for arg in node.args)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, ", ".join(offenders)


def test_a_span_of_months_takes_the_case_polish_gives_a_range() -> None:
    import datetime as dt

    from b1mg_maturity.report.inputs import _month_span

    days = [dt.date(2025, 2, 3), dt.date(2025, 6, 30)]
    with i18n.language("pl"):
        assert _month_span(days) == "od lutego do czerwca 2025"  # genitive, not "od luty do czerwiec"
        assert _month_span(days[1:]) == "czerwiec 2025"  # a month alone keeps its own name
    with i18n.language("en"):
        assert _month_span(days) == "February to June 2025"
