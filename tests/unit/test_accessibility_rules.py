"""Rules of the pages' accessibility that hold in the source: downloads keep the focus, titles, language."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from b1mg_maturity.ui import accessibility

UI = Path(__file__).resolve().parents[2] / "b1mg_maturity" / "ui"


def _download_buttons() -> list[tuple[str, ast.Call]]:
    calls = []
    for module in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                calls.append((f"{module.name}:{node.lineno}", node))
    return calls


def test_every_download_button_keeps_the_page_and_its_focus() -> None:
    """A download button that reruns the page redraws it, and the keyboard focus falls back to the top."""
    buttons = _download_buttons()
    assert len(buttons) >= 5  # results, compare, overview, history ... (the scan finds them)
    rerunning = [
        where
        for where, call in buttons
        if not any(
            k.arg == "on_click" and isinstance(k.value, ast.Constant) and k.value.value == "ignore"
            for k in call.keywords
        )
    ]
    assert not rerunning, f"download buttons without on_click='ignore': {rerunning}"


def test_document_titles_name_the_page_first() -> None:
    assert accessibility.document_title("Rate") == "Rate · B1MG maturity self-assessment"
    assert accessibility.document_title("") == "B1MG maturity self-assessment"


def test_the_page_language_goes_into_the_script_only_as_a_language_code() -> None:
    assert 'documentElement.lang = "de-AT"' in accessibility.script("de-AT")
    for hostile in ('en"; alert(1); "', "", "english language", "<b>"):
        with pytest.raises(ValueError):
            accessibility.script(hostile)
