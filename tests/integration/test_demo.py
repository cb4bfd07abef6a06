"""The synthetic demo world, loaded once per database kind (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pycountry
import pytest
from typer.testing import CliRunner

from b1mg_maturity.demo import DEMO_PASSWORD, DemoSummary, ensure_demo, is_demo_loaded, load_demo
from b1mg_maturity.demo_bulk import RatingRow, write_round_answers
from b1mg_maturity.errors import InvalidState, PermissionDenied, ValidationFailed
from b1mg_maturity.geography import USER_ASSIGNED
from b1mg_maturity.services import OPERATOR_ID, RoundView, Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head
from b1mg_maturity.storage.models import AuditEntry, HealthSystem, Rating
from tests.integration.conftest import DATABASE_KINDS
from tests.pg_server import create_database, drop_database


@dataclass
class Loaded:
    services: Services
    summary: DemoSummary
    seconds: float
    kind: str


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """One demo load per database kind for the whole module (the tests below only read)."""
    admin: str | None = None
    name = f"demo_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    else:
        admin = request.getfixturevalue("postgres_admin_url")
        url = create_database(admin, name)
    upgrade_to_head(url)
    db = Database(url)
    services = Services(db, operator=True)
    started = time.perf_counter()
    summary = load_demo(services, OPERATOR_ID)
    yield Loaded(services, summary, time.perf_counter() - started, request.param)
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
    assert summary.systems >= 12 and len(services.list_health_systems(OPERATOR_ID)) == summary.systems
    assert summary.rounds == len(rounds)
    per_system: dict[str, int] = defaultdict(int)
    for round_ in rounds:
        per_system[round_.health_system.code] += 1
        assert 3 <= len(services.experts_of(OPERATOR_ID, round_.id)) <= 4, round_
    assert set(per_system.values()) <= {2, 3} and len(per_system) == summary.systems
    assert summary.ratings == services.count(Rating) > 12 * 2 * 3 * 20
    assert {r.status for r in rounds} == {"draft", "in_review", "submitted", "published"}
    assert summary.rounds_by_status["published"] > summary.rounds / 2
    assert services.count(AuditEntry) > summary.ratings + summary.consensus + summary.targets


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
    assert sum(1 for a in answers.values() if a.answered or a.not_applicable) < 49  # some left unanswered


def test_demo_accounts_have_their_roles_and_published_rounds_score(loaded: Loaded) -> None:
    services = loaded.services
    roles = {a.username: a.role for a in loaded.summary.accounts}
    assert set(roles) == {"demo-admin", "demo-analyst", "demo-coordinator", "demo-expert", "demo-viewer"}
    assert {a.password for a in loaded.summary.accounts} == {DEMO_PASSWORD}
    admin = services.actor(_user_id(services, "demo-admin"))
    analyst = services.actor(_user_id(services, "demo-analyst"))
    assert admin.is_admin and analyst.is_analyst
    xa = next(s for s in services.list_health_systems(OPERATOR_ID) if s.code == "XA")
    for username, role in (("demo-coordinator", "coordinator"), ("demo-expert", "expert"), ("demo-viewer", "viewer")):
        actor = services.actor(_user_id(services, username))
        assert actor.roles == {xa.id: frozenset({role})}, username

    analyst_rounds = services.list_rounds(analyst.user_id)
    assert analyst_rounds and all(r.status == "published" for r in analyst_rounds)
    result = services.round_scores(analyst.user_id, analyst_rounds[0].id)
    assert result.summary == "consensus levels"
    assert result.card.overall.score is not None and 1 <= result.card.overall.score <= 5
    assert result.card.priorities  # targets above the agreed levels

    expert = _user_id(services, "demo-expert")
    mine = [r for r in services.list_rounds(expert) if r.editable]
    assert mine and mine[0].health_system.code == "XA"
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
