"""Shared fixtures: the bundled questionnaire and a tiny hand-made one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from b1mg_maturity.questionnaire import Questionnaire, load_bundled, load_questionnaire

FIXTURES = Path(__file__).parent / "fixtures"

# Cheap argon2 for the suite's many test accounts (real hashing, lower cost); set before settings are read.
os.environ.setdefault("B1MG_ARGON2_TIME_COST", "1")
os.environ.setdefault("B1MG_ARGON2_MEMORY_KIB", "1024")


@pytest.fixture(scope="session")
def mlm() -> Questionnaire:
    return load_bundled()


@pytest.fixture(scope="session")
def tiny() -> Questionnaire:
    return load_questionnaire(FIXTURES / "tiny.yaml")
