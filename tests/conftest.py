"""Shared fixtures: the bundled questionnaire and a tiny hand-made one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from b1mg_maturity.questionnaire import Questionnaire, load_bundled, load_questionnaire

if TYPE_CHECKING:
    from b1mg_maturity.demo import DemoSummary

FIXTURES = Path(__file__).parent / "fixtures"

# Cheap argon2 for the suite's many test accounts (real hashing, lower cost); set before settings are read.
os.environ.setdefault("B1MG_ARGON2_TIME_COST", "1")
os.environ.setdefault("B1MG_ARGON2_MEMORY_KIB", "1024")


# The longest tests, started first: under pytest-xdist each worker takes one of them at once and the
# short tests fill in around them, instead of a long test starting last and running on alone.
LONGEST_FIRST = ("tests/e2e/test_journey.py::",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def mlm() -> Questionnaire:
    return load_bundled()


@pytest.fixture(scope="session")
def tiny() -> Questionnaire:
    return load_questionnaire(FIXTURES / "tiny.yaml")


@dataclass(frozen=True)
class DemoDatabase:
    path: Path  # a SQLite file holding the demo world: copy it (tests.apptest.copy_sqlite), never change it
    summary: DemoSummary  # what load_demo said it wrote


@pytest.fixture(scope="session")
def demo_load(tmp_path_factory: pytest.TempPathFactory) -> DemoDatabase:
    """The synthetic demo world loaded into a SQLite file, once per worker."""
    from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
    from b1mg_maturity.demo import load_demo

    path = tmp_path_factory.mktemp("demo-template") / "demo.sqlite3"
    services = operator_services(f"sqlite:///{path}")
    try:
        summary = load_demo(services, OPERATOR_ID)
    finally:
        services.db.dispose()
    return DemoDatabase(path, summary)


@pytest.fixture(scope="session")
def demo_database(demo_load: DemoDatabase) -> Path:
    """The SQLite file of ``demo_load``: copy it (``tests.apptest.copy_sqlite``), never change it."""
    return demo_load.path
