"""A long, seeded walk over Rate and Consensus in real Chromium, on SQLite and on PostgreSQL.

An expert (two browsers: the second edits the same ratings) and the round's
coordinator take a few hundred random steps: choose a level, type evidence
(leaving the field or just pausing), set links, switch domain, switch page,
reload, and a second person edits the same record.  A model holds what each
intended edit should leave in the database.  After every step the page that
acted shows what the database holds, and the database holds exactly what the
model predicts: nothing lost, nothing written that nobody changed.  A stale
edit must show a conflict, and the walk resolves it either way.  Each Rate
card is redrawn on its own (a fragment): a card the second person changed
keeps showing the expert what it showed until something in that card is
clicked or the page is redrawn, and the walk expects exactly that.

Length: 60 steps per database by default (``B1MG_JOURNEY_STEPS``), each database
walking its own seeded path (``B1MG_JOURNEY_SEED`` on SQLite, the next seed on
PostgreSQL).  The two walks used to repeat one 100-step path; two different
60-step paths reach more combinations of action, field and state for less time
(each step costs seconds of browser work, a third of it the page model's waits
for reruns).  The seeds are chosen so that every walk meets a conflict, a
reload and a domain switch (asserted below).  A longer walk for a hunt:
``B1MG_JOURNEY_STEPS=400 pytest tests/e2e/test_journey.py``.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from typing import Any

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.questionnaire import load_bundled
from b1mg_maturity.services import Services
from tests.e2e.conftest import RunningApp, sign_in
from tests.e2e.pages import ConsensusPage, Decision, RatePage, Shown, idle, shown_soon, wait_until

MLM = load_bundled()
SEED = int(os.environ.get("B1MG_JOURNEY_SEED", "2026"))
STEPS = int(os.environ.get("B1MG_JOURNEY_STEPS", "60"))  # per database, each on its own path: 120 steps in all
# A draft round (experts rate only in a draft) that no other browser test rates as this expert: the journey
# enlists an expert of its own (the other tests on XH rate as xh-expert1, 2 and 4).
SYSTEM, EXPERT, COORDINATOR = "XH", "journey-expert", "xh-coordinator"
DOMAINS = ("D1", "D2", "D4")  # small domains: more steps land on the same records
LEVELS: list[Any] = [None, "na", 1, 2, 3, 4, 5]
TEXTS = [
    "Board minutes, 12 May 2026",
    "Decree <b>14</b>/2025 & annex",
    "Zweite Prüfung: Ärztekammer, 3. Quartal",
    "Two lines:\nfirst, then second",
    "",
]
# (as typed, as the page shows it once saved): written by hand.
LINKS = [
    ("https://example.org/genomics-board-decree", "https://example.org/genomics-board-decree"),
    ("www.example.org/doc", "https://www.example.org/doc"),
    ("https://example.org/a\nhttp://example.org/b", "https://example.org/a\nhttp://example.org/b"),
    ("", ""),
]


def _indicators(domain_id: str) -> list[str]:
    return [i.id for i in next(d for d in MLM.domains if d.id == domain_id).indicators]


@dataclass
class Figures:
    steps: int = 0
    reloads: int = 0
    domain_switches: int = 0
    page_switches: int = 0
    second_person_edits: int = 0
    conflicts: int = 0
    lost_values: int = 0
    by_action: dict[str, int] = field(default_factory=dict)


class Journey:
    def __init__(self, app: RunningApp, pages: list[Any], services: Services, rng: random.Random) -> None:
        self.app, self.services, self.rng = app, services, rng
        self.round_id = next(
            r.id for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == SYSTEM and r.status == "draft"
        )
        services.add_user(OPERATOR_ID, EXPERT, "demo-password", display_name="Journey Expert (test)")
        services.grant(OPERATOR_ID, EXPERT, SYSTEM, "expert")
        services.invite_expert(OPERATOR_ID, self.round_id, EXPERT)
        self.figures = Figures()
        expert_page, second_page, coordinator_page = pages
        self.rate = RatePage(expert_page, MLM)
        self.second = RatePage(second_page, MLM)
        self.consensus = ConsensusPage(coordinator_page, MLM)
        self.rate_domain = self.consensus_domain = "D1"
        for page, user, path in (
            (expert_page, EXPERT, "rate"),
            (second_page, EXPERT, "rate"),
            (coordinator_page, COORDINATOR, "consensus"),
        ):
            sign_in(page, app, user)  # at "/": signed out, /rate is no page and Streamlit says so in a dialog
            page.goto(f"{app.url}/{path}?round={self.round_id}&domain=D1")
        self.rate.wait_for_domain("D1")
        self.consensus.wait_for_domain("D1")
        self.expected_ratings = self._db_ratings()
        self.expected_decisions = self._db_decisions()
        self.stale: tuple[str, str] | None = None  # a rating field the second person changed behind the expert
        # What the expert's browser still shows of cards the second person changed: a card is redrawn when
        # something in it is clicked, or the page is, not when another card is.
        self.behind: dict[str, Shown] = {}

    # --- the database, in the pages' terms ---------------------------------------------------------

    def _db_ratings(self) -> dict[str, Shown]:
        ratings = {
            r.indicator_id: Shown("na" if r.not_applicable else r.level, r.evidence, "\n".join(r.links))
            for r in self.services.all_ratings(OPERATOR_ID, self.round_id)
            if r.expert == EXPERT
        }
        return {i: ratings.get(i, Shown(None, "", "")) for d in DOMAINS for i in _indicators(d)}

    def _db_rating(self, indicator_id: str) -> Shown:
        return self._db_ratings()[indicator_id]

    def _db_decisions(self) -> dict[str, Decision]:
        consensus = self.services.consensus_of(OPERATOR_ID, self.round_id)
        targets = self.services.targets_of(OPERATOR_ID, self.round_id)
        decisions = {}
        for indicator_id in (i for d in DOMAINS for i in _indicators(d)):
            agreed, target = consensus.get(indicator_id), targets.get(indicator_id)
            level = None if agreed is None else ("na" if agreed.not_applicable else agreed.level)
            decisions[indicator_id] = Decision(
                level, "" if agreed is None else agreed.rationale, None if target is None else target.target
            )
        return decisions

    def _db_decision(self, indicator_id: str) -> Decision:
        return self._db_decisions()[indicator_id]

    # --- checks after every step ------------------------------------------------------------------

    def check(self) -> None:
        ratings, decisions = self._db_ratings(), self._db_decisions()
        for indicator_id, expected in self.expected_ratings.items():
            actual = ratings[indicator_id]
            self.figures.lost_values += sum(getattr(actual, f) != getattr(expected, f) for f in Shown.__annotations__)
            assert actual == expected, f"step {self.figures.steps}: rating {indicator_id} is {actual}, not {expected}"
        for indicator_id, decision in self.expected_decisions.items():
            assert decisions[indicator_id] == decision, (
                f"step {self.figures.steps}: decision {indicator_id} is {decisions[indicator_id]}, not {decision}"
            )

    def check_rate_page(self, page: RatePage, domain_id: str) -> None:
        page.settle()
        behind = self.behind if page is self.rate else {}
        for indicator_id in _indicators(domain_id):
            expected = behind.get(indicator_id, self.expected_ratings[indicator_id])
            # A click reruns its card twice at most (the save, then the cards it names), with a pause between
            # that an idle page cannot tell from the end: the card's last drawing may follow a moment later.
            shown_soon(page, indicator_id, expected)
            assert page.shown(indicator_id) == expected, (
                f"step {self.figures.steps}: the Rate page shows {page.shown(indicator_id)} for {indicator_id}, "
                f"expected {expected} (the database holds {self.expected_ratings[indicator_id]})"
            )

    def check_consensus_page(self) -> None:
        self.consensus.settle()
        for indicator_id in _indicators(self.consensus_domain):
            shown = self.consensus.shown(indicator_id)
            assert shown == self.expected_decisions[indicator_id], (
                f"step {self.figures.steps}: the Consensus page shows {shown} for {indicator_id}, "
                f"the database holds {self.expected_decisions[indicator_id]}"
            )

    # --- the expert -------------------------------------------------------------------------------

    def _pick_rating_field(self) -> tuple[str, str]:
        if self.stale is not None and self.stale[0] in _indicators(self.rate_domain) and self.rng.random() < 0.6:
            return self.stale
        return self.rng.choice(_indicators(self.rate_domain)), self.rng.choice(["level", "evidence", "links"])

    def _new_value(self, current: Shown, name: str) -> tuple[Any, Any]:
        """A (typed, shown-once-saved) value different from the current one."""
        if name == "level":
            choice = self.rng.choice([v for v in LEVELS if v != current.level])
            return choice, choice
        if name == "evidence":
            text = self.rng.choice([t for t in TEXTS if t != current.evidence])
            return text, text
        return self.rng.choice([pair for pair in LINKS if pair[1] != current.links])

    def _edit(self, page: RatePage, indicator_id: str, name: str, typed: Any) -> None:
        if name == "level":
            page.choose(indicator_id, typed)
        else:
            box = "Evidence" if name == "evidence" else "Links (one per line)"
            page.type_text(indicator_id, box, typed, leave=self.rng.random() < 0.5)

    def expert_edits(self) -> None:
        indicator_id, name = self._pick_rating_field()
        shown_before = self.rate.shown(indicator_id)
        typed, saved = self._new_value(shown_before, name)
        stale = getattr(shown_before, name) != getattr(self.expected_ratings[indicator_id], name)
        self._edit(self.rate, indicator_id, name, typed)
        card = self.rate.card(indicator_id)
        self.behind.pop(indicator_id, None)  # the card is redrawn from the database
        if not stale:
            self.expected_ratings[indicator_id] = _replace(self.expected_ratings[indicator_id], name, saved)
            wait_until(
                lambda: self._db_rating(indicator_id) == self.expected_ratings[indicator_id], "the edit is saved"
            )
            if self.stale == (indicator_id, name):
                self.stale = None
            return
        self.figures.conflicts += 1
        card.get_by_text(re.compile("was changed meanwhile, in another tab or by someone else")).wait_for()
        self.check()  # the stale edit wrote nothing
        if self.rng.random() < 0.5:
            card.get_by_role("button", name="Keep mine").click()
            self.expected_ratings[indicator_id] = _replace(self.expected_ratings[indicator_id], name, saved)
        else:
            card.get_by_role("button", name="Take the saved one").click()
        idle(self.rate.page)
        self.stale = None
        wait_until(lambda: self._db_rating(indicator_id) == self.expected_ratings[indicator_id], "resolved")

    def second_person_edits(self) -> None:
        """The same expert in a second browser changes a field the first browser shows."""
        self.second.page.goto(f"{self.app.url}/rate?round={self.round_id}&domain={self.rate_domain}")
        self.second.wait_for_domain(self.rate_domain)
        indicator_id = self.rng.choice(_indicators(self.rate_domain))
        name = self.rng.choice(["level", "evidence", "links"])
        typed, saved = self._new_value(self.second.shown(indicator_id), name)
        self.behind.setdefault(indicator_id, self.expected_ratings[indicator_id])
        self._edit(self.second, indicator_id, name, typed)
        self.expected_ratings[indicator_id] = _replace(self.expected_ratings[indicator_id], name, saved)
        wait_until(lambda: self._db_rating(indicator_id) == self.expected_ratings[indicator_id], "second browser saved")
        self.check_rate_page(self.second, self.rate_domain)
        self.stale = (indicator_id, name)
        self.figures.second_person_edits += 1

    def expert_switches_domain(self) -> None:
        self.rate_domain = self.rng.choice([d for d in DOMAINS if d != self.rate_domain])
        self.rate.switch_domain(self.rate_domain)
        self.stale = None  # redrawn: the page now shows the database
        self.behind.clear()
        self.figures.domain_switches += 1

    def expert_reloads(self) -> None:
        self.rate.page.reload()
        self.rate.wait_for_domain(self.rate_domain)
        self.stale = None
        self.behind.clear()
        self.figures.reloads += 1

    def expert_switches_page(self) -> None:
        nav = self.rate.page.get_by_test_id("stSidebarNav")
        nav.get_by_text("Results", exact=True).click()
        self.rate.page.get_by_role("heading", name="Results").first.wait_for()
        idle(self.rate.page)
        nav.get_by_text("Rate", exact=True).click()
        self.rate.wait_for_domain(self.rate_domain)
        self.stale = None
        self.behind.clear()
        self.figures.page_switches += 1

    # --- the coordinator --------------------------------------------------------------------------

    def coordinator_decides(self) -> None:
        indicator_id = self.rng.choice(_indicators(self.consensus_domain))
        current = self.consensus.shown(indicator_id)
        what = self.rng.choice(["level", "rationale", "target"])
        decision = self.expected_decisions[indicator_id]
        if what == "level":
            choice = self.rng.choice([v for v in LEVELS if v != current.level])
            self.consensus.choose(indicator_id, choice)
            decision = Decision(choice, decision.rationale, decision.target)
        elif what == "rationale":
            text = self.rng.choice([t for t in TEXTS if t != current.rationale])
            self.consensus.type_rationale(indicator_id, text, leave=self.rng.random() < 0.5)
            decision = Decision(decision.level, text, decision.target)
        else:
            target = self.rng.choice([t for t in (None, 1, 2, 3, 4, 5) if t != current.target])
            self.consensus.choose_target(indicator_id, target)
            decision = Decision(decision.level, decision.rationale, target)
        self.expected_decisions[indicator_id] = decision
        wait_until(lambda: self._db_decision(indicator_id) == decision, "the decision is saved")

    def coordinator_moves(self) -> None:
        if self.rng.random() < 0.5:
            self.consensus_domain = self.rng.choice([d for d in DOMAINS if d != self.consensus_domain])
            self.consensus.switch_domain(self.consensus_domain)
            self.figures.domain_switches += 1
        else:
            self.consensus.page.reload()
            self.consensus.wait_for_domain(self.consensus_domain)
            self.figures.reloads += 1

    def step(self) -> None:
        actions = [
            (self.expert_edits, 40),
            (self.second_person_edits, 8),
            (self.expert_switches_domain, 10),
            (self.expert_reloads, 6),
            (self.expert_switches_page, 4),
            (self.coordinator_decides, 24),
            (self.coordinator_moves, 8),
        ]
        action = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        self.figures.steps += 1
        self.figures.by_action[action.__name__] = self.figures.by_action.get(action.__name__, 0) + 1
        action()
        self.check()
        if action.__name__.startswith("expert") or action.__name__.startswith("second"):
            self.check_rate_page(self.rate if not action.__name__.startswith("second") else self.second,
                                 self.rate_domain)  # fmt: skip
        else:
            self.check_consensus_page()


def _replace(shown: Shown, name: str, value: Any) -> Shown:
    values = {"level": shown.level, "evidence": shown.evidence, "links": shown.links, name: value}
    return Shown(values["level"], values["evidence"], values["links"])


def test_a_long_walk_loses_nothing_and_writes_nothing_unasked(app_on_each_database: RunningApp, new_page: Any) -> None:
    services = operator_services(app_on_each_database.database_url)
    seed = SEED if services.db.dialect == "sqlite" else SEED + 1  # a path of its own on each database
    journey = Journey(app_on_each_database, [new_page(), new_page(), new_page()], services, random.Random(seed))
    journey.check()
    for _ in range(STEPS):
        journey.step()
    figures = journey.figures
    print(f"\njourney on {services.db.dialect} (seed {seed}): {figures}")
    services.db.dispose()
    assert figures.lost_values == 0
    assert figures.conflicts > 0 and figures.reloads > 0 and figures.domain_switches > 0
