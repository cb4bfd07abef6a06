"""What each role may see when health systems are compared: the service layer, on SQLite and PostgreSQL.

The world: DE (the test world's system, published), four more published systems
(ES with two rounds, IT, NL, PT) whose round labels carry their names, and FR
with a draft round only.  Each round rates D1.1.1 and D2.1.1 by consensus, so
domain D1 and D2 scores equal those levels (NL marks D2.1.1 not applicable).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable
from typing import cast

import openpyxl
import pandas as pd
import pytest

from b1mg_maturity.comparison import Comparison, Filters
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.interchange.table_export import table_csv, table_xlsx
from b1mg_maturity.services import Services
from b1mg_maturity.services.comparison import compare, peer_domain_medians, programme_overview, published_scorecards
from tests.integration.world import World

# code -> [(label, date, D1.1.1 level, D2.1.1 level or "NA")]
PEERS: dict[str, list[tuple[str, dt.date, int, int | str]]] = {
    "ES": [("Spain secret 2025", dt.date(2025, 3, 1), 5, 5), ("Spain secret 2026", dt.date(2026, 3, 1), 1, 5)],
    "IT": [("Italy secret 2026", dt.date(2026, 4, 1), 3, 4)],
    "NL": [("Netherlands secret 2026", dt.date(2026, 5, 1), 4, "NA")],
    "PT": [("Portugal secret 2026", dt.date(2026, 2, 1), 5, 2)],
}
OTHER_CODES = ("ES", "IT", "NL", "PT", "FR")


def _fill(services: Services, actor: int, round_id: int, levels: dict[str, int | str]) -> None:
    for indicator_id, level in levels.items():
        if level == "NA":
            services.set_consensus(actor, round_id, indicator_id, level=None, not_applicable=True, expected_version=0)
        else:
            assert isinstance(level, int)
            services.set_consensus(actor, round_id, indicator_id, level=level, expected_version=0)


def _publish(services: Services, admin: int, round_id: int) -> None:
    services.start_review(admin, round_id)
    services.submit(admin, round_id)
    services.publish(admin, round_id)


@pytest.fixture
def peers(world: World) -> World:
    services, admin = world.services, world.id("admin")
    _fill(services, world.id("coordinator-de"), world.rounds["DE"], {"D1.1.1": 2, "D2.1.1": 3})
    services.set_target(world.id("coordinator-de"), world.rounds["DE"], "D1.1.1", target=4, expected_version=0)
    _publish(services, admin, world.rounds["DE"])
    _fill(services, world.id("coordinator-fr"), world.rounds["FR"], {"D1.1.1": 5, "D2.1.1": 5})  # stays a draft
    for code, rounds in PEERS.items():
        services.add_health_system(admin, code)
        for label, date, d1, d2 in rounds:
            round_ = services.open_round(admin, code, label, date)
            _fill(services, admin, round_.id, {"D1.1.1": d1, "D2.1.1": d2})
            _publish(services, admin, round_.id)
    return world


def _names(world: World) -> dict[str, str]:
    return {s.code: s.name for s in world.services.list_health_systems(world.id("admin"))}


def _texts(comparison: Comparison) -> Iterable[str]:
    """Every text a user could see in the page or its downloads: table cells, headers, notes, labels."""
    yield from comparison.notes
    yield comparison.statistic_label
    yield from comparison.round_labels
    yield from (s.label for s in comparison.systems)
    for view in ("radar", "heatmap", "indicators", "distribution", "points", "trends", "gaps"):
        table = comparison.table(view)
        yield from (str(c) for c in table.columns)
        yield from (str(v) for v in table.to_numpy().ravel())
        yield table_csv(table).decode("utf-8-sig")
        book = openpyxl.load_workbook(io.BytesIO(table_xlsx(table, view)))
        yield from (str(cell.value) for row in book.active.iter_rows() for cell in row if cell.value is not None)


def _reveals(comparison: Comparison, world: World, codes: Iterable[str]) -> list[str]:
    names = _names(world)
    found = []
    for text in _texts(comparison):
        for code in codes:
            for secret in (f"{code} ·", names[code], "secret"):
                if secret in text:
                    found.append(f"{secret!r} in {text[:80]!r}")
    return found


# --- peer medians (results page) ---------------------------------------------------------------


def test_peer_medians_use_the_latest_published_round_of_every_other_system(peers: World) -> None:
    result = peer_domain_medians(peers.services, peers.id("viewer-de"), peers.rounds["DE"], min_group_size=3)
    assert result is not None
    assert result.count == 4  # ES (latest round), IT, NL, PT; FR has no published round
    assert result.medians["D1"] == pytest.approx(3.5)  # 1, 3, 4, 5
    assert result.medians["D2"] == pytest.approx(4.0)  # 5, 4, 2 (NL not applicable)
    assert "D3" not in result.medians and "D3" in result.withheld  # nobody scored D3
    names = _names(peers)
    assert not any(names[c] in result.label or c in result.label for c in OTHER_CODES)


def test_peer_medians_withhold_small_groups(peers: World) -> None:
    services, viewer, round_id = peers.services, peers.id("viewer-de"), peers.rounds["DE"]
    four = peer_domain_medians(services, viewer, round_id, min_group_size=4)
    assert four is not None and four.count == 4
    assert four.medians == {"D1": pytest.approx(3.5)}  # D2 has only three scores
    assert peer_domain_medians(services, viewer, round_id, min_group_size=5) is None


def test_peer_medians_for_a_draft_round_of_ones_own(peers: World) -> None:
    result = peer_domain_medians(peers.services, peers.id("coordinator-fr"), peers.rounds["FR"], min_group_size=3)
    assert result is not None and result.count == 5  # DE, ES, IT, NL, PT


@pytest.mark.parametrize("user", ["viewer-fr", "nobody", "expert-fr"])
def test_peer_medians_need_permission_to_open_the_round(peers: World, user: str) -> None:
    with pytest.raises(PermissionDenied):
        peer_domain_medians(peers.services, peers.id(user), peers.rounds["DE"])


# --- published scorecards -----------------------------------------------------------------------


def test_published_scorecards_per_role(peers: World) -> None:
    def codes(user: str) -> list[str]:
        return sorted(r.meta.system_code for r in published_scorecards(peers.services, peers.id(user)))

    assert codes("analyst") == ["DE", "ES", "ES", "IT", "NL", "PT"]
    assert codes("admin") == codes("analyst")
    assert codes("viewer-de") == ["DE"]
    assert codes("coordinator-fr") == []  # FR's round is a draft
    assert codes("nobody") == []


# --- the compare page's content -------------------------------------------------------------------


def test_analyst_sees_every_published_system_by_name(peers: World) -> None:
    result = compare(peers.services, peers.id("analyst"), Filters(systems=("DE", "ES")), min_group_size=3)
    assert result.named
    assert [s.code for s in result.systems] == ["DE", "ES", "IT", "NL", "PT"]
    assert result.group_size == 5
    heat = result.heatmap.set_index("Health system")
    names = _names(peers)
    assert heat.loc[f"ES · {names['ES']}", "I · Governance and strategy"] == 1.0  # ES's latest round
    assert heat.loc["Median (5 health systems)", "I · Governance and strategy"] == 3.0  # 1 2 3 4 5
    assert "FR" not in " ".join(result.heatmap["Health system"])  # drafts never count
    typed = result.tables["heatmap"]  # what the charts read: stable column ids, aggregate rows flagged
    assert typed.ids[:3] == ["system", "overall", "D1"]
    assert typed.is_aggregate == [False] * 5 + [True, True]
    gaps = result.gaps
    de = f"DE · {names['DE']}"
    [row] = gaps.loc[(gaps["Health system"] == de) & (gaps["Item"] == "I · Governance and strategy")].to_dict("records")
    assert [row[c] for c in ("Score", "Target", "To target", "Median", "To median")] == [2.0, 4.0, 2.0, 3.0, -1.0]
    assert row["Rank"] == "4 of 5"


@pytest.mark.parametrize("user", ["viewer-de", "coordinator-de", "expert-de"])
def test_members_see_their_own_system_against_anonymous_aggregates(peers: World, user: str) -> None:
    wanted = Filters(systems=("ES", "IT", "DE"), group="list", members=("ES", "IT"), view="heatmap")
    result = compare(peers.services, peers.id(user), wanted, min_group_size=3)
    assert not result.named
    assert [s.code for s in result.selected] == ["DE"]
    assert result.filters.group == "all"  # the anonymous view cannot pick its peers
    assert result.group_size == 4
    assert result.statistic_label == "Median of 4 other health systems"
    assert _reveals(result, peers, OTHER_CODES) == []
    heat = result.heatmap.set_index("Health system")
    assert heat.loc["Median (4 other health systems)", "I · Governance and strategy"] == 3.5
    assert result.points.empty  # no individual values of others
    assert result.round_labels == ("Round 2026",)  # only its own labels, never the others'


def test_a_member_without_a_published_round_sees_aggregates_only(peers: World) -> None:
    result = compare(peers.services, peers.id("coordinator-fr"), Filters(), min_group_size=3)
    assert result.selected == ()
    assert any("no published round" in note for note in result.notes)
    assert _reveals(result, peers, OTHER_CODES) == []
    assert result.heatmap["Health system"].tolist() == [
        "Median (5 other health systems)",
        "Highest (5 other health systems)",
    ]


def test_a_group_under_the_threshold_reveals_no_statistic(peers: World) -> None:
    viewer = compare(peers.services, peers.id("viewer-de"), Filters(), min_group_size=5)
    assert viewer.group_size == 4 and viewer.statistics_withheld
    assert _reveals(viewer, peers, OTHER_CODES) == []
    for view in ("radar", "heatmap", "indicators", "distribution", "trends", "gaps"):
        table = viewer.table(view)
        assert not any("Median" in str(c) or "Highest" in str(c) for c in table.iloc[:, 0]), view
    stats = viewer.distribution[["Health systems", "Lowest", "Lower quartile", "Median", "Upper quartile", "Highest"]]
    assert stats.isna().all().all()
    assert set(viewer.distribution["Withheld"]) == {"fewer than 5 health systems"}
    assert viewer.gaps[["Median", "To median", "Highest", "To highest"]].isna().all().all()
    assert (viewer.gaps["Rank"] == "").all()
    # only its own values remain
    assert viewer.gaps.loc[viewer.gaps["Item"] == "I · Governance and strategy", "Score"].tolist() == [2.0]

    analyst = compare(
        peers.services, peers.id("analyst"), Filters(group="list", members=("DE", "ES")), min_group_size=3
    )
    assert analyst.group_size == 2 and analyst.statistics_withheld
    assert list(analyst.radar.columns) == ["Domain", f"DE · {_names(peers)['DE']}", f"ES · {_names(peers)['ES']}"]
    assert analyst.distribution["Median"].isna().all()


def test_region_and_round_filters(peers: World) -> None:
    analyst = peers.id("analyst")
    region = compare(peers.services, analyst, Filters(group="region", region="E"), min_group_size=1)
    assert [s.code for s in region.systems] == ["ES"]
    older = compare(
        peers.services, analyst, Filters(rounds="label", label="Round 2025", systems=("ES",)), min_group_size=1
    )
    assert older.round_labels == ("Round 2025", "Round 2026")  # periods, never the rounds' own names
    assert older.heatmap.iloc[0]["I · Governance and strategy"] == 5.0
    dates = compare(
        peers.services,
        analyst,
        Filters(rounds="dates", date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)),
        min_group_size=1,
    )
    assert [s.code for s in dates.systems] == ["ES"]


def test_trends_pair_rounds_of_the_same_system(peers: World) -> None:
    result = compare(
        peers.services, peers.id("analyst"), Filters(systems=("ES",), item="D1", view="trends"), min_group_size=3
    )
    mine = result.trends.loc[result.trends["Health system"].str.startswith("ES")]
    assert mine["Score"].tolist() == [5.0, 1.0]
    assert math.isnan(mine["Change"].iloc[0]) and mine["Change"].iloc[1] == -4.0


def test_nobody_sees_nothing_but_aggregates(peers: World) -> None:
    result = compare(peers.services, peers.id("nobody"), Filters(), min_group_size=3)
    assert result.selected == () and result.systems == ()
    assert _reveals(result, peers, (*OTHER_CODES, "DE")) == []


def test_downloads_neutralise_formulas() -> None:
    table = pd.DataFrame({"=cmd|' /C calc'!A0": ["=1+1", "+SUM(A1)", "@x", "-2", "plain"], "n": [1, 2, 3, 4, 5]})
    text = table_csv(table).decode("utf-8-sig")
    assert "'=1+1" in text and "'+SUM(A1)" in text and "'@x" in text and "'-2" in text
    assert text.splitlines()[0].startswith("'=cmd")
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(table))).active
    values = [c.value for c in sheet["A"]]
    assert values == ["'=cmd|' /C calc'!A0", "'=1+1", "'+SUM(A1)", "'@x", "'-2", "plain"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# --- the programme overview ----------------------------------------------------------------------


@pytest.mark.parametrize("user", ["viewer-de", "coordinator-de", "expert-de", "nobody"])
def test_the_programme_overview_is_for_analysts_and_admins(peers: World, user: str) -> None:
    with pytest.raises(PermissionDenied):
        programme_overview(peers.services, peers.id(user))


def test_programme_overview_counts_published_rounds(peers: World) -> None:
    analyst = programme_overview(peers.services, peers.id("analyst"), min_group_size=3)
    assert (analyst.systems_registered, analyst.systems_assessed, analyst.published_rounds) == (6, 5, 6)
    assert analyst.in_progress == {}  # analysts do not see unpublished rounds
    rows = analyst.per_round.set_index("Round")  # one row per period, whatever the rounds are called
    assert rows.index.tolist() == ["Round 2025", "Round 2026"]
    assert rows.loc["Round 2025", "Health systems assessed"] == 1  # ES only: counts, no statistic
    assert rows.loc["Round 2025", "Withheld"] == "fewer than 3 health systems"
    assert pd.isna(cast(float, rows.loc["Round 2025", "Median overall score"]))
    assert rows.loc["Round 2026", "Health systems assessed"] == 5  # DE, ES, IT, NL, PT
    # overall scores DE 2.5, ES 3, IT 3.5, NL 4 (D2 not applicable), PT 3.5
    assert rows.loc["Round 2026", "Median overall score"] == 3.5
    assert rows.loc["Round 2026", "Withheld"] == ""
    admin = programme_overview(peers.services, peers.id("admin"), min_group_size=1)
    assert admin.per_round.set_index("Round").loc["Round 2025", "Median overall score"] == 5.0  # ES: (5 + 5) / 2
    assert admin.in_progress == {"draft": 1}  # FR
    assert admin.per_round.set_index("Round").loc["Round 2026", "Draft"] == 1
