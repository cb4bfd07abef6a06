"""The synthetic demo world, loaded once per database kind (SQLite and PostgreSQL).

What the database must hold is read from the demo plan (``plan_demo``, the
world as data, which ``load_demo`` writes), not from numbers copied here.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pycountry
import pytest
from typer.testing import CliRunner

from b1mg_maturity.demo import (
    DEMO_PASSWORD,
    DEMO_TODAY,
    DemoSummary,
    ensure_demo,
    is_demo_loaded,
    load_demo,
    plan_demo,
)
from b1mg_maturity.errors import InvalidState, PermissionDenied, ValidationFailed
from b1mg_maturity.geography import USER_ASSIGNED
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import OPERATOR_ID, RoundView, Services
from b1mg_maturity.services.bulk import RatingRow, write_round_answers
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.models import AuditEntry, Consensus, HealthSystem, Rating, Target
from tests.apptest import copy_sqlite
from tests.conftest import DemoDatabase
from tests.integration.conftest import DATABASE_KINDS, MIGRATED, database_template
from tests.pg_server import create_database, drop_database

MLM = load_bundled()
PLANS = plan_demo(MLM)  # the seed load_demo uses by default
FIRST = PLANS[0].code  # the demo accounts' health system


@dataclass
class Loaded:
    services: Services
    summary: DemoSummary
    kind: str


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """One demo load per database kind for the whole module (the tests below only read).

    SQLite: a copy of the demo database the suite loads once per worker (``demo_load``), with what
    ``load_demo`` said it wrote; PostgreSQL: a load of its own.
    """
    admin: str | None = None
    name = f"demo_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        demo: DemoDatabase = request.getfixturevalue("demo_load")
        db = Database(copy_sqlite(demo.path, tmp_path_factory.mktemp("demo")))
        yield Loaded(Services(db, operator=True), demo.summary, request.param)
    else:
        admin = request.getfixturevalue("postgres_admin_url")
        template = database_template(request, request.param, MIGRATED)
        db = Database(create_database(admin, name, template=template.source))
        services = Services(db, operator=True)
        yield Loaded(services, load_demo(services, OPERATOR_ID), request.param)
    db.dispose()
    if admin is not None:
        drop_database(admin, name)


def _user_id(services: Services, username: str) -> int:
    with services.db.transaction() as session:
        return services.user_by_name(session, username).id


def _rounds(loaded: Loaded) -> list[RoundView]:
    return loaded.services.list_rounds(OPERATOR_ID)


def test_counts(loaded: Loaded) -> None:
    # No time limit here (tests never assert wall-clock time): how long `make run` waits is for a benchmark.
    services, summary = loaded.services, loaded.summary
    rounds = _rounds(loaded)
    planned = {(plan.code, r.label): r for plan in PLANS for r in plan.rounds}
    assert summary.systems == len(PLANS) == len(services.list_health_systems(OPERATOR_ID))
    assert [s.code for s in services.list_health_systems(OPERATOR_ID)] == [plan.code for plan in PLANS]
    assert summary.rounds == len(rounds) == len(planned)
    assert {(r.health_system.code, r.label) for r in rounds} == set(planned)
    for round_ in rounds:
        plan = planned[round_.health_system.code, round_.label]
        assert round_.status == plan.status, round_
        experts = set(services.experts_of(OPERATOR_ID, round_.id))
        assert experts == set(plan.experts), round_
    statuses = Counter(r.status for r in planned.values())
    assert summary.rounds_by_status == dict(statuses)
    assert set(statuses) == {"draft", "in_review", "submitted", "published"}
    assert summary.ratings == services.count(Rating) == sum(len(r.ratings) for r in planned.values())
    assert summary.consensus == services.count(Consensus) == sum(len(r.consensus) for r in planned.values())
    assert summary.targets == services.count(Target) == sum(len(r.targets) for r in planned.values())
    assert services.count(AuditEntry) > summary.ratings + summary.consensus + summary.targets  # each one audited


def test_systems_are_obviously_fictional(loaded: Loaded) -> None:
    systems = loaded.services.list_health_systems(OPERATOR_ID)
    for system in systems:
        assert system.is_demo and system.name.endswith(" (demo)"), system
        assert system.code in USER_ASSIGNED and system.code.startswith("X"), system
        assert pycountry.countries.get(alpha_2=system.code) is None, system
        with pytest.raises(LookupError):
            pycountry.countries.lookup(system.name.removesuffix(" (demo)"))
    assert is_demo_loaded(loaded.services)


def test_experts_disagree_and_rounds_are_published_across_systems(loaded: Loaded) -> None:
    services = loaded.services
    rounds = _rounds(loaded)
    published: dict[str, set[str]] = defaultdict(set)
    for round_ in rounds:
        if round_.status == "published":
            published[round_.label].add(round_.health_system.code)
    assert published.pop("Round 2025 H1") == {"XF"}  # the demo's one half-year round: its period stands alone
    assert max(len(codes) for codes in published.values()) >= 3
    assert all(len(codes) >= 3 for codes in published.values()), published

    wide = 0
    for round_ in rounds[:6]:
        levels: dict[str, list[int]] = defaultdict(list)
        for rating in services.all_ratings(OPERATOR_ID, round_.id):
            if rating.level is not None:
                levels[rating.indicator_id].append(rating.level)
            assert not rating.evidence or rating.evidence.startswith("Demo: "), rating
        wide += sum(1 for given in levels.values() if max(given) - min(given) >= 2)
    assert wide > 0

    draft = next(r for r in rounds if r.status == "draft")
    assert services.consensus_of(OPERATOR_ID, draft.id) == {}
    _, answers, _ = services.round_answers(OPERATOR_ID, draft.id)
    assert sum(1 for a in answers.values() if a.answered or a.not_applicable) < len(MLM.indicators)  # some unanswered


def test_demo_accounts_have_their_roles_and_published_rounds_score(loaded: Loaded) -> None:
    services = loaded.services
    roles = {a.username: a.role for a in loaded.summary.accounts}
    assert set(roles) == {"demo-admin", "demo-analyst", "demo-coordinator", "demo-expert", "demo-viewer"}
    assert {a.password for a in loaded.summary.accounts} == {DEMO_PASSWORD}
    admin = services.actor(_user_id(services, "demo-admin"))
    analyst = services.actor(_user_id(services, "demo-analyst"))
    assert admin.is_admin and analyst.is_analyst
    first = next(s for s in services.list_health_systems(OPERATOR_ID) if s.code == FIRST)
    for username, role in (("demo-coordinator", "coordinator"), ("demo-expert", "expert"), ("demo-viewer", "viewer")):
        actor = services.actor(_user_id(services, username))
        assert actor.roles == {first.id: frozenset({role})}, username

    analyst_rounds = services.list_rounds(analyst.user_id)
    assert analyst_rounds and all(r.status == "published" for r in analyst_rounds)
    result = services.round_scores(analyst.user_id, analyst_rounds[0].id)
    assert result.summary == "consensus levels"
    assert result.card.overall.score is not None and 1 <= result.card.overall.score <= 5
    assert result.card.priorities  # targets above the agreed levels

    expert = _user_id(services, "demo-expert")
    mine = [r for r in services.list_rounds(expert) if r.editable]
    assert mine and mine[0].health_system.code == FIRST
    assert services.my_ratings(expert, mine[0].id)  # part-filled draft to go on with


def test_loading_twice_is_refused(loaded: Loaded) -> None:
    before = loaded.services.count(HealthSystem)
    with pytest.raises(ValidationFailed) as caught:
        load_demo(loaded.services, OPERATOR_ID)
    assert "empty database" in caught.value.lines()[0]
    assert ensure_demo(loaded.services) is None
    assert loaded.services.count(HealthSystem) == before


def test_bulk_writes_keep_the_rules(loaded: Loaded) -> None:
    services = loaded.services
    rounds = _rounds(loaded)
    published = next(r for r in rounds if r.status == "published")
    with pytest.raises(InvalidState):
        write_round_answers(services, OPERATOR_ID, published.id, ratings=[RatingRow("D1.1.1", "demo-expert", 3)])
    draft = next(r for r in rounds if r.status == "draft")
    with pytest.raises(ValidationFailed) as caught:
        write_round_answers(services, OPERATOR_ID, draft.id, ratings=[RatingRow("D9.9.9", "demo-expert", 7)])
    assert len(caught.value.problems) == 2
    with pytest.raises(PermissionDenied):
        write_round_answers(
            services, _user_id(services, "demo-viewer"), draft.id, ratings=[RatingRow("D1.1.1", "demo-expert", 3)]
        )


def test_refuses_a_database_with_real_systems_and_non_admins(services: Services) -> None:
    admin = services.add_user(None, "admin", "test-password-123", global_role="admin").id
    nobody = services.add_user(admin, "nobody", "test-password-123").id
    with pytest.raises(PermissionDenied):
        load_demo(services, nobody)
    services.add_health_system(admin, "DE")
    assert not is_demo_loaded(services)
    with pytest.raises(ValidationFailed):
        load_demo(services, admin)
    assert ensure_demo(services, admin) is None
    assert services.count(HealthSystem) == 1


def test_cli_refuses_a_non_empty_database(services: Services) -> None:
    from b1mg_maturity.cli.demo_command import app

    services.add_health_system(services.add_user(None, "admin", "test-password-123", global_role="admin").id, "FR")
    result = CliRunner().invoke(app, ["--database-url", services.db.url])
    assert result.exit_code == 2, result.output
    assert "empty database" in result.output


def _system_id(services: Services, code: str) -> int:
    return next(s.id for s in services.list_health_systems(OPERATOR_ID) if s.code == code)


def test_the_demo_accounts_system_has_a_plan_of_every_kind(loaded: Loaded) -> None:
    services = loaded.services
    coordinator, expert = _user_id(services, "demo-coordinator"), _user_id(services, "demo-expert")
    view = services.plan(coordinator, _system_id(services, FIRST), today=DEMO_TODAY)
    assert view.assessed is not None and view.previous is not None and view.judged is not None
    assert (view.previous.label, view.assessed.label, view.judged.label) == ("Round 2024", "Round 2025", "Round 2026")
    assert Counter(a.status.value for a in view.actions) == {
        "done": 2,
        "in_progress": 3,
        "planned": 1,
        "dropped": 1,
        "proposed": 1,
    }
    # done between the two rounds, so "since the last round" lists both
    done = [a for a in view.actions if a.status.value == "done"]
    assert all(a.done_on is not None and view.previous.date < a.done_on < view.assessed.date for a in done)
    assert view.since is not None and {a.id for a in view.since.done} == {a.id for a in done}
    assert any(move.delta is not None and move.delta > 0 for move in view.since.moved)
    # one overdue on the demo's today: in progress, with a note saying why
    (late,) = view.overdue
    assert late.status.value == "in_progress" and late.due is not None and late.due < DEMO_TODAY and late.notes
    (dropped,) = [a for a in view.actions if a.status.value == "dropped"]
    assert dropped.drop_reason
    # the open actions aim at the assessed round's gaps, above the level reached
    gaps = {c.gap.indicator_id: c.gap for c in view.gaps}
    for action in view.actions:
        if action.status.open:
            assert all(aim.indicator_id in gaps and aim.level > gaps[aim.indicator_id].level for aim in action.aims)
    assert sum(1 for c in view.gaps if c.covered) >= 5
    # the proposal is demo-expert's, who may still change it; the coordinator's actions they may not
    (proposal,) = [a for a in view.actions if a.status.value == "proposed"]
    assert proposal.proposed_by == "demo-expert"
    as_expert = services.plan(expert, _system_id(services, FIRST), today=DEMO_TODAY)
    assert {a.id for a in view.actions if as_expert.may_edit(a)} == {proposal.id}


def test_a_few_other_systems_plan_and_several_agree_to_be_named(loaded: Loaded) -> None:
    services = loaded.services
    assert (loaded.summary.actions, loaded.summary.named_peers) == (17, 6)
    sizes = {}
    for system in services.list_health_systems(OPERATOR_ID):
        sizes[system.code] = len(services.plan(OPERATOR_ID, system.id, today=DEMO_TODAY).actions)
    assert {code: n for code, n in sizes.items() if n} == {"XA": 8, "XB": 3, "XC": 3, "XE": 3}

    coordinator = _user_id(services, "demo-coordinator")
    xa = _system_id(services, FIRST)
    assert not services.plan(coordinator, xa, today=DEMO_TODAY).named_as_peer  # XA is left for the demo to opt in
    learned = services.peers_at_level(coordinator, xa, "D1.1.1", 1)
    named = {peer.code for peer in learned.named}
    assert named <= {"XB", "XD", "XF", "XG", "XI", "XL"} and len(named) >= 4
    assert learned.rated is not None and learned.rated > len(named)  # the others are counted, not named
