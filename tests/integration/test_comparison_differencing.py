"""The privacy threshold cannot be beaten by sliding the date range (issue 16, finding 7).

The attack: with exactly 3 other health systems in a window, lowest, median
and highest are their scores; moving the end date one day at a time showed
which round entered the window and with which score.  The rule now: people
who see others only anonymously (coordinators, experts, viewers) get the
statistics of one fixed group per questionnaire version, the latest
published round of every other system, never of a group they choose (a date
range, a round label, per-round medians in the trends).  So every view gives
the same figures, and nothing can be learnt by subtracting one from another.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from b1mg_maturity.comparison import Filters
from b1mg_maturity.services import Services
from b1mg_maturity.services.comparison import compare
from tests.integration.world import World

# three other systems, published one after the other, with very different scores
OTHERS = {"IT": (dt.date(2026, 4, 1), 1), "NL": (dt.date(2026, 4, 3), 5), "PT": (dt.date(2026, 4, 5), 3)}


def _publish(services: Services, admin: int, round_id: int, level: int) -> None:
    services.set_consensus(admin, round_id, "D1.1.1", level=level, expected_version=0)
    services.start_review(admin, round_id)
    services.submit(admin, round_id)
    services.publish(admin, round_id)


def _world(world: World) -> World:
    services, admin = world.services, world.id("admin")
    _publish(services, admin, world.rounds["DE"], 2)
    for code, (date, level) in OTHERS.items():
        services.add_health_system(admin, code)
        round_ = services.open_round(admin, code, f"{code} spring", date)
        _publish(services, admin, round_.id, level)
    return world


def _figures(world: World, user: str, filters: Filters) -> list[tuple[object, ...]]:
    result = compare(world.services, world.id(user), filters, min_group_size=3)
    tables = [result.distribution, result.heatmap, result.gaps, result.radar, result.trends, result.indicators]
    figures: list[tuple[object, ...]] = [tuple(pd.util.hash_pandas_object(t.astype(str), index=False)) for t in tables]
    return [*figures, (result.group_size,)]


def test_sliding_the_end_date_reveals_nothing_to_members(world: World) -> None:
    _world(world)
    start = dt.date(2026, 1, 1)
    seen = set()
    for user in ("coordinator-de", "viewer-de", "expert-de"):
        day = dt.date(2026, 3, 30)
        while day <= dt.date(2026, 4, 7):
            window = Filters(rounds="dates", date_from=start, date_to=day, view="distribution")
            seen.add((user, tuple(_figures(world, user, window))))
            day += dt.timedelta(days=1)
        for label in ("Round 2026", "IT spring", "NL spring"):
            seen.add((user, tuple(_figures(world, user, Filters(rounds="label", label=label, view="distribution")))))
        latest = _figures(world, user, Filters(view="distribution"))
        assert {figures for who, figures in seen if who == user} == {tuple(latest)}, user


def test_members_are_told_that_date_ranges_are_for_analysts(world: World) -> None:
    _world(world)
    window = Filters(rounds="dates", date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 4, 4))
    result = compare(world.services, world.id("coordinator-de"), window, min_group_size=3)
    assert result.filters.rounds == "latest"
    assert any("date range" in note.lower() for note in result.notes), result.notes
    distribution = result.distribution.set_index("Item")
    assert distribution.loc["I · Governance and strategy", "Health systems"] == 3


def test_analysts_still_choose_date_ranges(world: World) -> None:
    _world(world)
    window = Filters(rounds="dates", date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 4, 2))
    result = compare(world.services, world.id("analyst"), window, min_group_size=1)
    assert result.filters.rounds == "dates"
    assert sorted(s.code for s in result.systems) == ["DE", "IT"]


def test_members_trends_show_their_own_rounds_and_no_per_round_medians(world: World) -> None:
    _world(world)
    result = compare(world.services, world.id("viewer-de"), Filters(view="trends"), min_group_size=1)
    assert result.trends["Health system"].str.startswith("DE").all(), result.trends
    analyst = compare(world.services, world.id("analyst"), Filters(view="trends"), min_group_size=1)
    assert (analyst.trends["Health system"] == "Median").any()
