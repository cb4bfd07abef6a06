"""The promise of field-by-field saves, as a Hypothesis state machine over the real services and database.

Two browser tabs (A and B) edit the ratings of one expert and the consensus and
targets of one round, each from what it last saw.  After every step the
database holds exactly what a model of the intended edits predicts: an edit
whose author saw the current value is written (that field only), a stale one is
refused as a conflict with both values and writes nothing, and "keep mine"
after a conflict writes the author's value knowingly.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from b1mg_maturity.edits import FieldEdit
from b1mg_maturity.errors import Conflict
from tests.integration.world import World

INDICATORS = ("D1.1.1", "D1.2.1", "D2.1.1")
TABS = ("A", "B")
BLANK: dict[str, Any] = {"level": None, "evidence": "", "links": (), "rationale": "", "target": None}
RECORD_OF = {"level": "rating", "evidence": "rating", "links": "rating"}

LEVELS = st.sampled_from([None, "na", 1, 2, 3, 4, 5])
TEXTS = st.sampled_from(["", "Board minutes 2026", "Decree 14/2025, article 3", "Ünïcödé evidence\nover two lines"])
# (as typed, as stored): written by hand, not computed by the code under test.
LINKS = st.sampled_from(
    [
        ((), ()),
        (("https://example.org/a",), ("https://example.org/a",)),
        (("www.example.org/doc",), ("https://www.example.org/doc",)),
        (("http://example.org/b", "", "  https://example.org/c  "), ("http://example.org/b", "https://example.org/c")),
    ]
)
FIELDS = st.sampled_from([("rating", "level"), ("rating", "evidence"), ("rating", "links"),
                          ("consensus", "level"), ("consensus", "rationale"), ("target", "target")])  # fmt: skip

_rounds = itertools.count(1)


class FieldEdits(RuleBasedStateMachine):
    world: World
    totals: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        services, world = self.world.services, self.world
        number = next(_rounds)
        self.coordinator, self.expert = world.id("coordinator-de"), world.id("expert-de")
        self.round_id = services.open_round(
            self.coordinator, "DE", f"Machine round {number}", dt.date(2026, 1, 1) + dt.timedelta(days=number)
        ).id
        services.invite_expert(self.coordinator, self.round_id, "expert-de")
        self.model: dict[tuple[str, str, str], Any] = {}
        self.seen: dict[str, dict[tuple[str, str, str], Any]] = {tab: {} for tab in TABS}
        self.conflicts: dict[str, tuple[tuple[str, str, str], Any, Any]] = {}  # tab -> (key, typed, stored)

    def _stored(self, key: tuple[str, str, str]) -> Any:
        return self.model.get(key, BLANK[key[2]])

    def _save(self, record: str, indicator: str, edit: FieldEdit) -> None:
        services = self.world.services
        if record == "rating":
            services.edit_rating(self.expert, self.round_id, indicator, edit)
        elif record == "consensus":
            services.edit_consensus(self.coordinator, self.round_id, indicator, edit)
        else:
            services.edit_target(self.coordinator, self.round_id, indicator, edit)

    @rule(tab=st.sampled_from(TABS))
    def reload(self, tab: str) -> None:
        """The tab is drawn again: it now shows what the database holds."""
        self.seen[tab] = dict(self.model)
        self.conflicts.pop(tab, None)

    @rule(tab=st.sampled_from(TABS), indicator=st.sampled_from(INDICATORS), which=FIELDS, data=st.data())
    def edit(self, tab: str, indicator: str, which: tuple[str, str], data: st.DataObject) -> None:
        record, field = which
        key = (record, indicator, field)
        typed: Any
        stored: Any
        if field == "level":
            typed = stored = data.draw(LEVELS)
        elif field == "links":
            typed, stored = data.draw(LINKS)
        elif field == "target":
            typed = stored = data.draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
        else:
            typed = stored = data.draw(TEXTS)
        seen = self.seen[tab].get(key, BLANK[field])
        if seen == stored:
            return  # the page saves nothing when nothing changed
        fresh = seen == self._stored(key)
        try:
            self._save(record, indicator, FieldEdit(field, seen, typed))
        except Conflict as conflict:
            assert not fresh, f"{key}: refused although tab {tab} saw the stored value"
            assert conflict.yours is not None and conflict.theirs is not None
            self.conflicts[tab] = (key, typed, stored)
            self.totals["conflicts"] += 1
            return
        assert fresh, f"{key}: written over a value tab {tab} never saw ({seen!r} vs {self._stored(key)!r})"
        self.model[key] = stored
        self.seen[tab][key] = stored
        self.totals["written"] += 1

    @precondition(lambda self: bool(self.conflicts))
    @rule(data=st.data())
    def keep_mine(self, data: st.DataObject) -> None:
        """After a conflict, the tab's author keeps their value, knowing what is saved now."""
        tab = data.draw(st.sampled_from(sorted(self.conflicts)))
        (record, indicator, field), typed, stored = self.conflicts.pop(tab)
        current = self._stored((record, indicator, field))
        if current == stored:
            return
        self._save(record, indicator, FieldEdit(field, current, typed))
        self.model[(record, indicator, field)] = stored
        self.seen[tab][(record, indicator, field)] = stored
        self.totals["kept"] += 1

    @invariant()
    def database_holds_the_model(self) -> None:
        services = self.world.services
        ratings = services.my_ratings(self.expert, self.round_id)
        consensus = services.consensus_of(self.coordinator, self.round_id)
        targets = services.targets_of(self.coordinator, self.round_id)
        for indicator in INDICATORS:
            rating, agreed, target = ratings.get(indicator), consensus.get(indicator), targets.get(indicator)
            actual = {
                ("rating", indicator, "level"): None
                if rating is None
                else ("na" if rating.not_applicable else rating.level),
                ("rating", indicator, "evidence"): "" if rating is None else rating.evidence,
                ("rating", indicator, "links"): () if rating is None else rating.links,
                ("consensus", indicator, "level"): None
                if agreed is None
                else ("na" if agreed.not_applicable else agreed.level),
                ("consensus", indicator, "rationale"): "" if agreed is None else agreed.rationale,
                ("target", indicator, "target"): None if target is None else target.target,
            }
            for key, value in actual.items():
                assert value == self._stored(key), f"{key}: database holds {value!r}, expected {self._stored(key)!r}"


def test_field_edits_never_lose_or_overwrite_unseen_values(world: World) -> None:
    FieldEdits.world = world
    FieldEdits.totals = {"written": 0, "conflicts": 0, "kept": 0}
    run_state_machine_as_test(
        FieldEdits,
        settings=settings(
            max_examples=8,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,  # seeded and repeatable
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # The walk really went through each kind of step (not only the easy path).
    assert all(count > 0 for count in FieldEdits.totals.values()), FieldEdits.totals


@pytest.mark.parametrize("field", ["evidence", "links"])
def test_saving_one_field_writes_nothing_else_and_audits_only_it(world: World, field: str) -> None:
    services, expert, round_id = world.services, world.id("expert-de"), world.rounds["DE"]
    services.rate(expert, round_id, "D1.1.1", level=4, evidence="first", links=["https://a.example.org"],
                  expected_version=0)  # fmt: skip
    value = "second" if field == "evidence" else ("www.example.org/doc",)
    seen = "first" if field == "evidence" else ("https://a.example.org",)
    saved = services.edit_rating(expert, round_id, "D1.1.1", FieldEdit(field, seen, value))
    assert saved.level == 4
    assert (saved.evidence, saved.links) == (
        ("second", ("https://a.example.org",)) if field == "evidence" else ("first", ("https://www.example.org/doc",))
    )
    entry = services.audit_log(world.id("admin"), round_id=round_id)[0]
    assert set(entry.new_value) == {field} and set(entry.old_value) == {field}
