"""PostgreSQL: a save that lost the race between its read and its write decides again on what landed.

A save reads the record without locking it and writes only on the version it
read (``UPDATE ... WHERE version = :read``).  Each test stops one save just
before that write, lands another save of the same record meanwhile, and lets
the first go on: its write finds another version, so it reads the record
again (locked) and checks again.  A save of another field goes through and
keeps the other's change; a save of the same field, or of the whole record,
is refused as a conflict that shows what landed.  SQLite needs no such test:
its writers take turns (``BEGIN IMMEDIATE``), so nothing lands in between.
"""

from __future__ import annotations

import pytest

from b1mg_maturity.edits import FieldEdit
from b1mg_maturity.errors import Conflict
from b1mg_maturity.services import Services
from tests.integration.test_round_lock_race import GIVE_UP_SECONDS, Runner, StopAt, _actions
from tests.integration.world import World

pytestmark = pytest.mark.parametrize(
    "database_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

BEFORE_ITS_WRITE = r"^\s*UPDATE ratings\b"


def _with_a_save_landing_meanwhile(
    services: Services, call: Runner, meanwhile: FieldEdit, expert: int, round_id: int
) -> None:
    """Run ``call`` until just before its write, save ``meanwhile`` (it must not wait), then let ``call`` finish."""
    with StopAt(services.db.engine, call.name, BEFORE_ITS_WRITE) as stop:
        call.start()
        assert stop.reached.wait(GIVE_UP_SECONDS), "the save never reached its write"
        services.edit_rating(expert, round_id, "D1.1.1", meanwhile)
        stop.released.set()
        call.join(GIVE_UP_SECONDS)
    assert not call.is_alive()


def _rated(world: World) -> tuple[Services, int, int, int]:
    services, round_id, expert = world.services, world.rounds["DE"], world.id("expert-de")
    first = services.rate(expert, round_id, "D1.1.1", level=2, evidence="before", expected_version=0)
    return services, round_id, expert, first.version


def test_a_save_of_another_field_goes_through_and_keeps_both(world: World) -> None:
    services, round_id, expert, _ = _rated(world)
    evidence = Runner(
        "evidence", lambda: services.edit_rating(expert, round_id, "D1.1.1", FieldEdit("evidence", "before", "mine"))
    )
    _with_a_save_landing_meanwhile(services, evidence, FieldEdit("level", 2, 4), expert, round_id)
    assert evidence.error is None, evidence.error
    stored = services.my_ratings(expert, round_id)["D1.1.1"]
    assert (stored.level, stored.evidence, stored.version) == (4, "mine", 3)
    assert evidence.result is not None and evidence.result.version == 3  # type: ignore[attr-defined]
    assert _actions(services, round_id).count("rate") == 3, "each change has its audit entry"


def test_a_save_of_the_same_field_is_refused_with_what_landed(world: World) -> None:
    services, round_id, expert, _ = _rated(world)
    evidence = Runner(
        "evidence", lambda: services.edit_rating(expert, round_id, "D1.1.1", FieldEdit("evidence", "before", "mine"))
    )
    _with_a_save_landing_meanwhile(services, evidence, FieldEdit("evidence", "before", "theirs"), expert, round_id)
    assert isinstance(evidence.error, Conflict), evidence.error
    assert evidence.error.theirs is not None and evidence.error.theirs["evidence"] == "theirs"
    assert evidence.error.current_version == 2
    stored = services.my_ratings(expert, round_id)["D1.1.1"]
    assert (stored.level, stored.evidence, stored.version) == (2, "theirs", 2)


def test_a_whole_record_save_is_refused_when_any_field_landed(world: World) -> None:
    services, round_id, expert, version = _rated(world)
    whole = Runner(
        "whole",
        lambda: services.rate(expert, round_id, "D1.1.1", level=5, evidence="mine", expected_version=version),
    )
    _with_a_save_landing_meanwhile(services, whole, FieldEdit("level", 2, 3), expert, round_id)
    assert isinstance(whole.error, Conflict), whole.error
    assert whole.error.current_version == 2
    stored = services.my_ratings(expert, round_id)["D1.1.1"]
    assert (stored.level, stored.evidence) == (3, "before")
