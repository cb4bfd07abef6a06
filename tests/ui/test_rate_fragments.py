"""Rate: a click reruns its card (and the menu's counts when they change), never the page, and loses nothing.

A seeded walk of many steps over "All domains" in one tab, with a second tab
of the same expert changing things meanwhile: levels given, changed and taken
back, evidence typed, a reload, a domain switch.  After every step the test
checks the promises against the database read by the test itself:

- the card that was clicked shows what the database holds (or, after a change
  made meanwhile in the other tab, says so and offers the choice; taking the
  saved one then shows it);
- the menu's count equals the number of indicators the database holds an
  answer for whenever the menu was redrawn (a level given or taken back, a reload);
- a click in a card never reruns the page (the page's own first read, the
  rounds to rate, is not called again) and never any other card.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.services import RatingView, Services
from b1mg_maturity.ui import rate
from b1mg_maturity.ui.domain_nav import ALL_DOMAINS
from tests.apptest import app_database, copy_sqlite, nodes, open_app

EXPERT = "demo-expert"
LEVEL_OPTIONS: list[object] = [rate.NOT_ANSWERED, rate.NOT_APPLICABLE, 1, 2, 3, 4, 5]


@dataclass
class World:
    url: str
    services: Services
    expert_id: int
    round_id: int
    indicators: list[str]

    def saved(self) -> dict[str, RatingView]:
        """What the database holds, read by the test (as the expert, through the use case)."""
        return self.services.my_ratings(self.expert_id, self.round_id)


@pytest.fixture
def world(demo_database: Path, tmp_path: Path) -> Iterator[World]:
    url = copy_sqlite(demo_database, tmp_path)
    services = operator_services(url)
    round_ = next(r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == "XA" and r.status == "draft")
    with services.db.transaction() as session:
        expert_id = Services.user_by_name(session, EXPERT).id
    questionnaire = services.questionnaire_for_round(OPERATOR_ID, round_.id)
    with app_database(url):
        yield World(url, services, expert_id, round_.id, [i.id for i in questionnaire.indicators])
    services.db.dispose()


@pytest.fixture
def page_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry each time the Rate page itself runs (its first read: the rounds to rate)."""
    runs: list[int] = []
    original = Services.rounds_to_rate

    def counted(self: Services, *args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Services, "rounds_to_rate", counted)
    return runs


def _open(world: World) -> AppTest:
    return open_app(
        world.url, EXPERT, "rate", query={"round": str(world.round_id), "domain": ALL_DOMAINS}, services=world.services
    )


def _key(world: World, indicator_id: str, field: str) -> str:
    return f"rate:{world.round_id}:{indicator_id}:{field}"


def _shown_level(view: RatingView | None) -> object:
    if view is None or (view.level is None and not view.not_applicable):
        return rate.NOT_ANSWERED
    return rate.NOT_APPLICABLE if view.not_applicable else view.level


def _recorded(saved: dict[str, RatingView]) -> int:
    return sum(1 for v in saved.values() if v.level is not None or v.not_applicable)


def _menu_count(at: AppTest) -> int:
    texts = [n.proto.text for n in nodes(at) if getattr(n, "type", None) == "progress"]
    assert len(texts) == 1, texts
    match = re.match(r"(\d+) of \d+ rated", texts[0])
    assert match, texts[0]
    return int(match.group(1))


def _conflict_shown(at: AppTest) -> bool:
    return any("was changed meanwhile" in w.value for w in at.warning)


def _click_level(tab: AppTest, key: str, rng: random.Random, avoid: tuple[object, ...] = ()) -> object:
    radio = tab.radio(key=key)
    choice = rng.choice([o for o in LEVEL_OPTIONS if o != radio.value and o not in avoid])
    radio.set_value(choice).run()
    return choice


def test_a_seeded_walk_of_clicks_reruns_only_cards_and_keeps_every_answer(world: World, page_runs: list[int]) -> None:
    """AppTest keeps only the elements of its last run: after a click that reran a card, the checks read
    that card, then a plain rerun brings back the whole page for the next step (not counted as a click)."""
    rng = random.Random(20261201)
    tab, other = _open(world), _open(world)
    assert _menu_count(tab) == _recorded(world.saved())
    kinds = ["level"] * 5 + ["evidence"] * 2 + ["meanwhile"] * 2 + ["reload"]
    conflicts = 0
    for step in range(24):
        kind = rng.choice(kinds)
        indicator = rng.choice(world.indicators)
        level_key = _key(world, indicator, "level")
        runs_before = len(page_runs)
        was_answered = tab.radio(key=level_key).value != rate.NOT_ANSWERED
        if kind == "level":
            choice = _click_level(tab, level_key, rng)
        elif kind == "evidence":
            tab.text_area(key=_key(world, indicator, "evidence")).input(f"step {step}: minutes of the board").run()
            choice = tab.radio(key=level_key).value
        elif kind == "meanwhile":  # the same expert in another tab changes it, then this tab clicks it too
            theirs = _click_level(other, level_key, rng)
            assert not other.exception, [e.message for e in other.exception]
            other.run()  # the other tab's whole page again in the test's tree
            runs_before = len(page_runs)
            choice = _click_level(tab, level_key, rng, avoid=(theirs,))
            assert _conflict_shown(tab), f"step {step}: a change made meanwhile was overwritten silently"
            conflicts += 1
            tab.button(key=level_key + "::theirs").click().run()
            assert not _conflict_shown(tab), step
            choice = theirs
        else:
            tab.run()
            choice = tab.radio(key=level_key).value
        assert not tab.exception, (step, kind, [e.message for e in tab.exception])
        saved = world.saved()
        view = saved.get(indicator)
        assert tab.radio(key=level_key).value == _shown_level(view) == choice, (step, kind)
        assert tab.text_area(key=_key(world, indicator, "evidence")).value == (view.evidence if view else ""), step
        if kind == "reload" or was_answered != (choice != rate.NOT_ANSWERED):  # the menu was redrawn
            assert _menu_count(tab) == _recorded(saved), (step, kind)
        if kind != "reload":
            assert len(page_runs) == runs_before, f"step {step} ({kind}): a click in a card reran the page"
            tab.run()  # the whole page again in the test's tree (see the docstring)
    assert conflicts > 0 and len(page_runs) > 1  # the walk met the other tab, and the counter counts
