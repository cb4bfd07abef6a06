"""Shared fixtures: the bundled questionnaire and a tiny hand-made one."""

from __future__ import annotations

from pathlib import Path

import pytest

from b1mg_maturity.questionnaire import Questionnaire, load_bundled, load_questionnaire

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def mlm() -> Questionnaire:
    return load_bundled()


@pytest.fixture(scope="session")
def tiny() -> Questionnaire:
    return load_questionnaire(FIXTURES / "tiny.yaml")
