"""The Plan page in Streamlit's AppTest over a copy of the demo database: the gaps largest first beside the
actions, a gap turned into an action in one click, the editor's save and its refusal of a stale version, Learn,
and what each role is offered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.planning import ActionDraft, Aim, PlanAction
from b1mg_maturity.services import Services
from tests.apptest import app_database, copy_sqlite, open_app

# The demo world's XA, round 2025 (published, the plan's assessed round): its largest gap, found by hand in
# the demo plan (D2.2.1: level 1, target 3).
LARGEST_GAP = "D2.2.1"


def open_gap(services: Services) -> tuple[int, str, int]:
    """XA's id, and the largest of its gaps that no demo action addresses yet, with its target."""
    system = services.plan_systems(OPERATOR_ID)[0].id
    gap = next(g.gap for g in services.plan(OPERATOR_ID, system).gaps if not g.covered)
    return system, gap.indicator_id, gap.target


def action_ids(services: Services, system: int) -> set[int]:
    return {a.id for a in services.plan(OPERATOR_ID, system).actions}


@pytest.fixture
def site(demo_database: Path, tmp_path: Path) -> Iterator[tuple[str, Services]]:
    url = copy_sqlite(demo_database, tmp_path)
    services = operator_services(url)
    with app_database():
        yield url, services
    services.db.dispose()


def user_id(services: Services, username: str) -> int:
    with services.db.transaction() as session:
        return Services.user_by_name(session, username).id


def texts(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def test_coordinator_plans_the_largest_gap_in_one_click_then_saves_owner_and_dates(
    site: tuple[str, Services],
) -> None:
    url, services = site
    at = open_app(url, "demo-coordinator", "plan", services=services)
    assert [h.value for h in at.header] == [
        "Gaps and the actions that address them",
        "Learn from peers",
        "Actions",
        "Being named to peers",
    ]
    system, indicator, target = open_gap(services)
    # who may plan sees first the gaps no action addresses, each numbered by its rank among all the gaps:
    # the demo plan addresses the five largest (hand-read from its actions), so the first open one is the sixth
    assert at.toggle(key="plan-only-open").value
    first_shown = next(m.value for m in at.markdown if m.value.startswith("**") and " · " in m.value)
    assert first_shown.startswith(f"**6. {indicator}**")
    at.toggle(key="plan-only-open").set_value(False).run()
    first_gap = next(m.value for m in at.markdown if m.value.startswith("**1. "))
    assert first_gap.startswith(f"**1. {LARGEST_GAP}**") and "Level 1 → target 3 (gap 2)" in first_gap
    before = action_ids(services, system)
    at.button(key=f"plan-add-{indicator}").click().run()
    assert not at.exception
    (new_id,) = action_ids(services, system) - before
    action = next(a for a in services.plan(OPERATOR_ID, system).actions if a.id == new_id)
    assert action.title.startswith(f"Reach level {target} on {indicator} (")
    assert (action.aims, action.status.value) == ((Aim(indicator, target),), "planned")
    assert "Added “Reach level" in texts(at.success)
    assert at.selectbox(key="plan-edit-choice").value == action.id  # the new action is open in the editor
    assert not [b for b in at.button if b.key == f"plan-add-{indicator}"]  # the gap is covered now
    table = at.dataframe[0].value
    assert action.title in list(table["Action"])

    at.selectbox(key=f"plan-{action.id}-member").set_value("demo-expert")
    at.date_input(key=f"plan-{action.id}-start").set_value(dt.date(2026, 2, 1))
    at.date_input(key=f"plan-{action.id}-due").set_value(dt.date(2026, 11, 30))
    at.selectbox(key=f"plan-{action.id}-status").set_value("in_progress")
    next(b for b in at.button if b.label == "Save the action").click().run()
    assert not at.exception and not at.error
    saved = next(a for a in services.plan(OPERATOR_ID, system).actions if a.id == new_id)
    assert (saved.owner_username, saved.start, saved.due, saved.status.value, saved.version) == (
        "demo-expert",
        dt.date(2026, 2, 1),
        dt.date(2026, 11, 30),
        "in_progress",
        2,
    )
    assert "Saved “Reach level" in texts(at.success)
    table = at.dataframe[0].value
    assert list(table.loc[table["Action"] == action.title, "Owner"]) == ["Rhea Dunmore (demo)"]
    assert {"Plan (CSV)", "Plan (XLSX)"} <= {b.proto.label for b in at.get("download_button")}
    chart = next(n for n in at.get("plotly_chart"))
    assert action.title in chart.proto.spec  # on the timeline now that it has both dates


def stored_action(services: Services, system: int, action_id: int) -> PlanAction:
    return next(a for a in services.plan(OPERATOR_ID, system).actions if a.id == action_id)


def test_a_save_based_on_an_old_version_is_refused_and_a_drop_needs_a_reason(site: tuple[str, Services]) -> None:
    url, services = site
    coordinator = user_id(services, "demo-coordinator")
    system = services.plan_systems(coordinator)[0].id
    added = services.add_action(
        coordinator, system, ActionDraft(title="Pilot reimbursement", aims=(Aim(LARGEST_GAP, 3),))
    )
    at = open_app(url, "demo-coordinator", "plan", services=services)
    at.selectbox(key="plan-edit-choice").set_value(added.id).run()
    at.selectbox(key=f"plan-{added.id}-status").set_value("dropped")
    next(b for b in at.button if b.label == "Save the action").click().run()
    assert "say why the action is dropped" in texts(at.error)
    assert stored_action(services, system, added.id).status.value == "planned"

    # someone else saves meanwhile: this form's save names version 1 and is refused, nothing overwritten
    services.update_action(
        coordinator, added.id, ActionDraft(title="Theirs", aims=(Aim(LARGEST_GAP, 3),)), expected_version=1
    )
    # the field is labelled with the name the refusal of a drop without a reason gives it
    assert at.text_area(key=f"plan-{added.id}-drop_reason").label == "Reason for dropping"
    at.text_area(key=f"plan-{added.id}-drop_reason").set_value("Budget moved to 2027")
    next(b for b in at.button if b.label == "Save the action").click().run()
    assert "Someone else changed this action since you opened it" in texts(at.warning)
    stored = stored_action(services, system, added.id)
    assert (stored.title, stored.status.value, stored.version) == ("Theirs", "planned", 2)
    at.button(key=f"plan-reload-{added.id}").click().run()
    assert at.text_input(key=f"plan-{added.id}-title").value == "Theirs"


def test_expert_proposes_viewer_only_reads_and_learn_counts_peers(site: tuple[str, Services]) -> None:
    url, services = site
    at = open_app(url, "demo-viewer", "plan", services=services)
    assert not [b for b in at.button if (b.key or "").startswith("plan-add-")]
    assert not at.toggle(key="plan-only-open").value and not [t for t in at.toggle if "Name this" in t.label]
    assert "This health system is not named to other teams" in texts(at.markdown)
    # Learn: the demo world has 13 other health systems with a published round (hand-counted from its plan)
    assert any(
        m.value.endswith("other health systems are at level 3 or above.") and " of 13 " in m.value for m in at.markdown
    )

    at = open_app(url, "demo-expert", "plan", services=services)
    system, indicator, _target = open_gap(services)
    before = action_ids(services, system)
    assert at.button(key=f"plan-add-{indicator}").label == "Propose an action"
    at.button(key=f"plan-add-{indicator}").click().run()
    (new_id,) = action_ids(services, system) - before
    proposal = stored_action(services, system, new_id)
    assert proposal.status.value == "proposed" and proposal.proposed_by == "demo-expert"
    assert at.selectbox(key=f"plan-{proposal.id}-status").options == ["Proposed"]


def test_coordinator_names_the_system_to_peers(site: tuple[str, Services]) -> None:
    url, services = site
    at: AppTest = open_app(url, "demo-coordinator", "plan", services=services)
    system = services.plan_systems(OPERATOR_ID)[0].id
    toggle = next(t for t in at.toggle if t.label.startswith("Name this health system"))
    assert toggle.value is False
    toggle.set_value(True).run()
    assert services.plan(OPERATOR_ID, system).named_as_peer is True
