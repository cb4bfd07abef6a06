"""Round periods: a round is opened for a period (a year, or half of it) with an optional free label; its
name is composed from both; the programme overview and the trends group rounds by period; the round
JSON carries the period.  On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from b1mg_maturity.comparison import Filters
from b1mg_maturity.domain import RoundPeriod
from b1mg_maturity.errors import ImportFailed, ValidationFailed
from b1mg_maturity.services import Services
from b1mg_maturity.services.comparison import compare, programme_overview
from b1mg_maturity.services.round_transfer import export_round, import_round, parse_round_json, round_json
from b1mg_maturity.storage.models import AuditEntry
from tests.integration.world import World


def _problems(error: pytest.ExceptionInfo[ValidationFailed] | pytest.ExceptionInfo[ImportFailed]) -> list[str]:
    return [str(p) for p in error.value.problems]


def test_opening_rounds_by_period_and_the_names_they_get(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    year = services.open_round(coordinator, "DE", "", dt.date(2027, 2, 1), period=RoundPeriod(2027))
    assert (year.label, year.period, year.free_label) == ("Round 2027", RoundPeriod(2027, 0), "")
    half = services.open_round(coordinator, "DE", "  ", dt.date(2027, 3, 1), period=RoundPeriod(2027, 1))
    assert (half.label, half.period.text, half.free_label) == ("Round 2027 H1", "2027 H1", "")
    spring = services.open_round(coordinator, "DE", " Spring check ", dt.date(2027, 4, 1), period=RoundPeriod(2027, 1))
    assert (spring.label, spring.free_label) == ("Round 2027 H1 - Spring check", "Spring check")
    assert spring.round_date == dt.date(2027, 4, 1)  # the date stays the round's own
    assert services.get_round(coordinator, spring.id).period == RoundPeriod(2027, 1)  # stored, read back

    # a second round in a period needs another free label, and the refusal says so
    with pytest.raises(ValidationFailed) as again:
        services.open_round(coordinator, "DE", "", dt.date(2027, 5, 1), period=RoundPeriod(2027, 1))
    assert _problems(again) == [
        "Free label: DE already has a round 'Round 2027 H1' in this period; give this one a free label "
        "(for example 'Autumn review') to tell them apart"
    ]
    with pytest.raises(ValidationFailed) as same_label:
        services.open_round(coordinator, "DE", "Spring check", dt.date(2027, 5, 1), period=RoundPeriod(2027, 1))
    assert "choose another free label" in _problems(same_label)[0]
    # another health system may use the same period and label
    other = services.open_round(
        world.id("coordinator-fr"), "FR", "Spring check", dt.date(2027, 4, 1), period=RoundPeriod(2027, 1)
    )
    assert other.label == "Round 2027 H1 - Spring check"

    for period, label, words in [
        (RoundPeriod(2027, 3), "", "the half must be 0 (the whole year), 1 (January-June) or 2 (July-December)"),
        (RoundPeriod(1999), "", "the year must be a number from 2000 to 2100"),
        (RoundPeriod(2027), "x" * 81, "81 characters; at most 80 are allowed"),
        (RoundPeriod(2027), "tab\there", "control"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            services.open_round(coordinator, "DE", label, dt.date(2027, 6, 1), period=period)
        assert words in _problems(refused)[0], _problems(refused)
    names = {r.label for r in services.list_rounds(coordinator) if r.health_system.code == "DE"}
    assert names == {"Round 2026", "Round 2027", "Round 2027 H1", "Round 2027 H1 - Spring check"}  # nothing else

    with services.db.reading() as session:
        opened = session.scalars(
            select(AuditEntry).where(AuditEntry.round_id == spring.id, AuditEntry.action == "open")
        ).one()
        recorded = json.loads(opened.new_value or "{}")
        assert (recorded["period"], recorded["free_label"]) == ("2027 H1", "Spring check")


def _publish(services: Services, admin: int, round_id: int, level: int) -> None:
    services.set_consensus(admin, round_id, "D1.1.1", level=level, expected_version=0)
    services.start_review(admin, round_id)
    services.submit(admin, round_id)
    services.publish(admin, round_id)


def test_overview_and_trends_group_rounds_by_period(world: World) -> None:
    services, admin = world.services, world.id("admin")
    _publish(services, admin, world.rounds["DE"], 2)  # "Round 2026", opened before periods: its date's year
    for code in ("IT", "NL"):
        services.add_health_system(admin, code)
    half = services.open_round(admin, "IT", "", dt.date(2026, 4, 1), period=RoundPeriod(2026, 1))
    _publish(services, admin, half.id, 4)
    spring = services.open_round(
        admin, "NL", "Spring 2026 self-assessment", dt.date(2026, 5, 1), period=RoundPeriod(2026)
    )
    _publish(services, admin, spring.id, 3)
    later = services.open_round(admin, "DE", "", dt.date(2026, 9, 1), period=RoundPeriod(2026, 2))
    _publish(services, admin, later.id, 5)

    overview = programme_overview(services, world.id("analyst"), min_group_size=1)
    rows = overview.per_round.set_index("Round")
    assert rows.index.tolist() == ["Round 2026", "Round 2026 H1", "Round 2026 H2"]  # no row of a free label
    assert rows["Health systems assessed"].tolist() == [2, 1, 1]  # DE and NL share the year 2026
    assert rows.loc["Round 2026", "Median overall score"] == 2.5  # D1 only: DE 2, NL 3
    assert rows.loc["Round 2026 H1", "Median overall score"] == 4.0
    assert rows.loc["Round 2026", "Share of registered systems"] == 50  # 2 of DE, FR, IT, NL
    assert not overview.per_round.astype(str).isin(["None", "nan", "<NA>"]).any().any()

    admin_view = programme_overview(services, admin, min_group_size=1)
    assert admin_view.per_round.set_index("Round").loc["Round 2026", "Draft"] == 1  # FR's round of 2026

    trends = compare(services, world.id("analyst"), Filters(view="trends", systems=("DE", "NL")), min_group_size=1)
    table = trends.trends
    medians = table.loc[table["Health system"] == "Median"]
    assert dict(zip(medians["Round"], medians["Health systems"], strict=True)) == {
        "Round 2026": 2,
        "Round 2026 H1": 1,
        "Round 2026 H2": 1,
    }
    nl = table.loc[table["Health system"].str.startswith("NL")]
    assert nl[["Round", "Round name"]].values.tolist() == [["Round 2026", "Round 2026 - Spring 2026 self-assessment"]]
    assert trends.round_labels == ("Round 2026", "Round 2026 H1", "Round 2026 H2")
    chosen = compare(services, world.id("analyst"), Filters(rounds="label", label="Round 2026"), min_group_size=1)
    assert sorted(s.code for s in chosen.systems) == ["DE", "NL"]  # the year's rounds, free label or not


def test_round_json_carries_the_period(world: World) -> None:
    services, admin = world.services, world.id("admin")
    coordinator = world.id("coordinator-de")
    source = services.open_round(coordinator, "DE", "Autumn review", dt.date(2026, 10, 1), period=RoundPeriod(2026, 2))
    text = round_json(export_round(services, admin, source.id))
    data = json.loads(text)
    assert {k: data["round"][k] for k in ("label", "period_year", "period_half", "free_label")} == {
        "label": "Round 2026 H2 - Autumn review",
        "period_year": 2026,
        "period_half": 2,
        "free_label": "Autumn review",
    }
    copy = import_round(services, admin, parse_round_json(text.encode()), health_system_code="FR")
    assert (copy.label, copy.period, copy.free_label) == (
        "Round 2026 H2 - Autumn review",
        RoundPeriod(2026, 2),
        "Autumn review",
    )

    old = json.loads(text)  # a file written before periods existed: its period is its date's year
    for key in ("period_year", "period_half", "free_label"):
        del old["round"][key]
    old["round"]["label"] = "Old autumn"
    restored = import_round(services, admin, parse_round_json(json.dumps(old).encode()), health_system_code="FR")
    assert (restored.label, restored.period, restored.free_label) == ("Old autumn", RoundPeriod(2026), "")

    for key, value, words in [
        ("period_half", 3, "Input should be 0, 1 or 2"),
        ("period_year", "2026", "valid integer"),
        ("period_year", 1850, "greater than or equal to 2000"),
        ("free_label", "y" * 81, "81 characters; at most 80 are accepted"),
    ]:
        bad = json.loads(text)
        bad["round"][key] = value
        with pytest.raises(ImportFailed) as refused:
            parse_round_json(json.dumps(bad).encode())
        [problem] = _problems(refused)
        assert problem.startswith(f"round.json: round.{key}: ") and words in problem, problem
    assert [r.label for r in services.list_rounds(admin) if r.health_system.code == "FR"].count("Old autumn") == 1
