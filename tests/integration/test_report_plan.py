"""The health system's action plan in a round's report, read with the round in one snapshot (SQLite and
PostgreSQL): a member's report (a viewer's) holds it, an analyst's does not."""

from __future__ import annotations

import datetime as dt

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.planning import ActionDraft, Aim, AimState
from b1mg_maturity.report.rounds import context_for_round
from tests.integration.world import PASSWORD, World

PRINTED = dt.date(2026, 3, 2)  # the round is dated 1 March 2026


def publish_with_a_plan(world: World) -> int:
    """DE's round: D1.1.1 agreed at level 2 with target 4, published; its plan holds a planned action (started
    before the round, due before the report's date), an expert's proposal and a dropped action."""
    services, round_id = world.services, world.rounds["DE"]
    admin, coordinator = world.id("admin"), world.id("coordinator-de")
    services.add_user(admin, "lead-de", PASSWORD, display_name="Lena Lead")
    services.grant(admin, "lead-de", "DE", "viewer")
    services.rate(world.id("expert-de"), round_id, "D1.1.1", level=2, evidence="", expected_version=0)
    services.set_consensus(coordinator, round_id, "D1.1.1", level=2, rationale="agreed", expected_version=0)
    services.set_target(coordinator, round_id, "D1.1.1", target=4, expected_version=0)
    services.add_action(
        coordinator,
        world_system(world),
        ActionDraft(
            title="Board <b>now</b>",
            aims=(Aim("D1.1.1", 3),),
            owner_username="lead-de",
            start=dt.date(2026, 1, 10),
            due=dt.date(2026, 2, 1),
            status=ActionStatus.PLANNED,
        ),
        today=dt.date(2026, 1, 10),
    )
    services.add_action(
        world.id("expert-de"),
        world_system(world),
        ActionDraft(title="Leaflet", aims=(Aim("D1.2.1", 3),), status=ActionStatus.PROPOSED),
        today=dt.date(2026, 1, 12),
    )
    services.add_action(
        coordinator,
        world_system(world),
        ActionDraft(
            title="Strategy",
            aims=(Aim("D1.1.1", 4),),
            status=ActionStatus.DROPPED,
            drop_reason="folded into the board's work",
        ),
        today=dt.date(2026, 1, 12),
    )
    services.start_review(coordinator, round_id)
    services.submit(coordinator, round_id)
    services.publish(admin, round_id)
    return round_id


def world_system(world: World) -> int:
    return world.services.get_round(world.id("admin"), world.rounds["DE"]).health_system.id


def test_a_viewers_report_holds_the_plan_and_an_analysts_does_not(world: World) -> None:
    round_id = publish_with_a_plan(world)
    viewer = context_for_round(world.services, world.id("viewer-de"), round_id, min_group_size=3, generated_on=PRINTED)
    plan = viewer.plan
    assert plan is not None and plan.dropped == 1
    shown = [
        (p.pillar_id, i.title, i.status_label, i.owner, i.due_text, i.overdue, i.outcome)
        for p in plan.pillars
        for i in p.items
    ]
    assert shown == [
        ("healthcare", "Board <b>now</b>", "Planned", "Lena Lead", "1 February 2026, overdue", True, AimState.NOT_YET),
        ("healthcare", "Leaflet", "Proposed", "", "–", False, None),
    ]
    assert viewer.since is None  # the first round: nothing to compare with
    assert viewer.recommendations[0].text == (
        "Carry through the planned action “Board <b>now</b>”, led by Lena Lead: it was due on 1 February 2026 "
        "and is overdue."
    )

    analyst = context_for_round(world.services, world.id("analyst"), round_id, min_group_size=3, generated_on=PRINTED)
    assert analyst.plan is None and analyst.since is None
    assert not any("planned action" in rec.text for rec in analyst.recommendations)
    # the rest of the report is the same for both
    assert [(i.row.indicator_id, i.gap) for i in analyst.gaps] == [(i.row.indicator_id, i.gap) for i in viewer.gaps]
    assert [(i.row.indicator_id, i.gap) for i in viewer.gaps] == [("D1.1.1", 2)]
