"""Synthetic demo data: fictional health systems, rounds, experts' ratings, consensus and targets.

Everything here is made up.  The health systems use the ISO 3166-1 codes
left to users (XA, XB, ...), so they can never be mistaken for a real
country, and every name ends in " (demo)".  The demo accounts share the
password :data:`DEMO_PASSWORD`, which is printed and documented: demo
databases are for trying the tool out, never for real assessments.

How the numbers come about: each system has a latent maturity per domain (a
base level, a domain offset, an indicator offset and a yearly improvement);
each expert rates around it with a personal bias and noise, now and then two
levels away, sometimes "not applicable", and only in the domains they know.
Draft rounds are half filled; rounds past draft have a consensus with a
rationale and targets one or two levels above the agreed level.

After the rounds, a few systems get an action plan against the gaps of
their latest finished round (XA, the demo accounts' system, a full one: done,
in progress, overdue, planned, dropped, and an expert's proposal), with dates
set relative to their round dates and :data:`DEMO_TODAY`; several systems
(not all) agree to be named to peers that want to learn from them.

The loader uses the services (permissions and audit trail) for health
systems, roles, rounds, invitations, status changes, actions and peer
naming; accounts and the answers of each round go through
:mod:`b1mg_maturity.services.bulk` (one transaction per round instead of one
per rating; same checks, same audit).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from b1mg_maturity.domain import (
    CLOSED_STATUSES,
    ActionStatus,
    GlobalRole,
    RoundPeriod,
    RoundStatus,
    SystemRole,
    round_name,
)
from b1mg_maturity.errors import PermissionDenied, Problem, ValidationFailed
from b1mg_maturity.i18n import _
from b1mg_maturity.planning import ActionDraft, Aim, levels_of
from b1mg_maturity.questionnaire import Questionnaire, load_bundled
from b1mg_maturity.scoring import Priority
from b1mg_maturity.services import OPERATOR_ID, Services
from b1mg_maturity.services.bulk import (
    ConsensusRow,
    NewAccount,
    RatingRow,
    TargetRow,
    add_accounts,
    write_round_answers,
)
from b1mg_maturity.services.plans import PlanView
from b1mg_maturity.storage.models import HealthSystem

DEMO_PASSWORD = "demo-password"  # noqa: S105 - demo only, printed by `b1mg-maturity demo`; never for real data
DEMO_SUFFIX = " (demo)"

# Invented names (checked against ISO 3166-1: none is a country's name).
SYSTEM_NAMES = (
    "Aldoria",
    "Brevonia",
    "Corvantia",
    "Delmaris",
    "Elvandia",
    "Farrowmere",
    "Glenspire",
    "Halvoria",
    "Istrenne",
    "Jadovia",
    "Kestramark",
    "Lorvalia",
    "Mirenthal",
    "Norvessa",
)
ROUND_YEARS = (2024, 2025, 2026)
# Newest round's status per system, in system order (XA first: a draft for the demo accounts to work on).
_D, _R, _S, _P = RoundStatus.DRAFT, RoundStatus.IN_REVIEW, RoundStatus.SUBMITTED, RoundStatus.PUBLISHED
NEWEST_STATUS = (_D, _P, _R, _P, _S, _P, _P, _D, _P, _R, _P, _P, _S, _P)
THREE_ROUNDS = 10  # the first ten systems have rounds 2024-2026, the others 2025-2026
HALF_YEAR_ROUND = ("XF", 2025)  # one round takes stock of a half year: "Round 2025 H1"

FIRST_NAMES = (
    "Ada", "Bram", "Cora", "Dario", "Elin", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaija", "Lior",
    "Mira", "Nils", "Olga", "Pavel", "Rhea", "Soren", "Tilda", "Umar", "Vera", "Wim", "Yara", "Zeno",
)  # fmt: skip
LAST_NAMES = (
    "Arbel", "Brisk", "Castell", "Dunmore", "Everly", "Fenwick", "Galloway", "Hartwell", "Ivers", "Jansky",
    "Kellner", "Lindqvist", "Marrow", "Norcott", "Oakes", "Penrose", "Quill", "Rowan", "Selden", "Thorne",
)  # fmt: skip

# Fictional kinds of evidence per domain (generic; no real document is meant).
DOCUMENTS = {
    "D1": (
        "national genomics board minutes",
        "health ministry priority list",
        "draft genomic medicine strategy",
        "cabinet decision on precision medicine",
    ),
    "D2": (
        "health budget annex",
        "reimbursement catalogue update",
        "health technology assessment of exome sequencing",
        "cost-effectiveness pilot report",
    ),
    "D3": (
        "data protection authority guidance",
        "consent form template for genetic testing",
        "draft genetic testing act",
        "research ethics committee annual report",
        "secondary use of health data regulation",
    ),
    "D4": (
        "public opinion survey on genomics",
        "patient organisation workshop notes",
        "public information campaign plan",
    ),
    "D5": (
        "medical curriculum review",
        "genetic counsellor registry",
        "workforce training needs survey",
        "briefing notes for policy makers",
    ),
    "D6": (
        "clinical decision support rollout plan",
        "multidisciplinary team charter",
        "innovation fund call",
        "public-private partnership framework",
    ),
    "D7": (
        "sequencing capacity survey of university hospitals",
        "laboratory accreditation register",
        "bioinformatics pipeline validation report",
        "variant interpretation guideline",
        "clinical report template",
    ),
    "D8": (
        "information security audit",
        "genomic data catalogue",
        "data access committee procedures",
        "interoperability roadmap",
        "analysis platform service description",
    ),
}
FINDINGS = {
    1: ("nothing in place beyond ad hoc initiatives", "only isolated local efforts so far"),
    2: ("first steps taken, work is still fragmented", "a pilot in one region only"),
    3: ("defined and in place in parts of the system", "adopted but not yet systematic"),
    4: ("implemented across the system and monitored", "in routine use with regular review"),
    5: ("evaluated, improved and aligned with international practice", "a reference for other systems"),
}
NOT_APPLICABLE_REASONS = (
    "handled by another level of government",
    "not part of this health system's remit",
    "covered by a cross-border arrangement",
)

# --- action plans and peers ---
# The day the demo world stands at: after every round it holds (all in the first half of the newest year).
# Open actions fall due after it, the overdue one before it.
DEMO_TODAY = dt.date(ROUND_YEARS[-1], 9, 1)
FULL_PLAN = "XA"  # the demo accounts' system: a plan of every kind of action
SMALL_PLANS = ("XB", "XC", "XE")  # a few actions each
NAMED_PEERS = ("XB", "XD", "XF", "XG", "XI", "XL")  # opted in to be named to peers (the others are only counted)
ACTION_TITLES = {
    "D1": ("Agree terms of reference for the genomics board", "Publish the genomic medicine strategy with its costs"),
    "D2": ("Put exome sequencing on the reimbursement list", "Run a health technology assessment of genome sequencing"),
    "D3": ("Draft rules for the secondary use of genomic data", "Update the consent templates for genetic testing"),
    "D4": ("Set up a standing forum with patient organisations", "Launch a public information campaign on genomics"),
    "D5": ("Add genomics to the nursing curriculum", "Start a training programme for genetic counsellors"),
    "D6": ("Roll out decision support for genomic results", "Form multidisciplinary genomic boards in the hospitals"),
    "D7": ("Adopt national guidelines for variant interpretation", "Accredit the sequencing laboratories"),
    "D8": ("Publish the national genomic data catalogue", "Set up a data access committee with public procedures"),
}
OWNER_NAMES = (
    "National genomics board secretariat",
    "Health ministry, digital health unit",
    "University hospital network",
)
DESCRIPTIONS = (  # the team's own words (stored as typed), never the questionnaire's texts
    "Demo: agree the scope with the ministry, name a lead, and report progress to the board every quarter.",
    "Demo: a working group of the experts who rated this domain drafts it; the board approves it.",
    "Demo: start in two university hospitals, review after six months, then extend to the regions.",
    "Demo: learn from a system that reached the level already, adapt its approach, and budget the rest.",
)
DONE_NOTES = ("Adopted by the board; the minutes are on file.", "Finished ahead of the round; evidence attached to it.")
OVERDUE_NOTE = "Waiting for the ministry's sign-off: the draft is with its legal service."
DROP_REASON = "The budget went to the national sequencing pilot; to be planned again in the next budget cycle."
PROPOSAL_NOTE = "Proposed after the rating session: the experts who rated this domain would take it on."


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # "admin", "analyst", or "<role> of <code>"
    password: str
    health_system: str | None = None


@dataclass(frozen=True)
class DemoSummary:
    systems: int
    rounds: int
    ratings: int
    consensus: int
    targets: int
    users: int
    rounds_by_status: dict[str, int]
    accounts: tuple[DemoAccount, ...]  # the named demo accounts, one per role
    actions: int = 0  # actions in the systems' plans
    named_peers: int = 0  # systems that agreed to be named to peers


# --- the plan: pure, from the seed ---------------------------------------------------------------


@dataclass
class _Person:
    username: str
    display_name: str
    bias: float = 0.0
    domains: set[str] = field(default_factory=set)  # the domains this expert rates


@dataclass
class _RoundPlan:
    period: RoundPeriod
    date: dt.date
    status: str
    experts: tuple[str, ...]
    finished: tuple[str, ...] = ()  # experts who marked their part finished (draft rounds; never demo-expert)
    ratings: list[RatingRow] = field(default_factory=list)
    consensus: list[ConsensusRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return round_name(self.period)


@dataclass
class _SystemPlan:
    code: str
    name: str
    coordinator: _Person
    experts: list[_Person]
    viewer: str | None
    rounds: list[_RoundPlan] = field(default_factory=list)


def _clip(value: float, low: int = 1, high: int = 5) -> int:
    return max(low, min(high, round(value)))


class _Planner:
    def __init__(self, questionnaire: Questionnaire, seed: int) -> None:
        self.q = questionnaire
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self._names: set[str] = set()

    def person_name(self) -> str:
        while True:
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in self._names:
                self._names.add(name)
                return f"{name}{DEMO_SUFFIX}"

    def system(self, index: int) -> _SystemPlan:
        rng, domains = self.rng, [d.id for d in self.q.domains]
        code = f"X{chr(ord('A') + index)}"
        low = code.lower()
        first = index == 0
        coordinator = _Person("demo-coordinator" if first else f"{low}-coordinator", self.person_name())
        pool = 4 if rng.random() < 0.5 else 5
        experts = []
        for number in range(1, pool + 1):
            known = set(domains) if first and number == 1 else {d for d in domains if rng.random() < 0.7}
            username = "demo-expert" if first and number == 1 else f"{low}-expert{number}"
            experts.append(_Person(username, self.person_name(), rng.gauss(0, 0.25), known))
        plan = _SystemPlan(
            code, SYSTEM_NAMES[index] + DEMO_SUFFIX, coordinator, experts, "demo-viewer" if first else None
        )
        self.rounds(plan, index)
        return plan

    def rounds(self, plan: _SystemPlan, index: int) -> None:
        rng, q = self.rng, self.q
        base = rng.uniform(1.5, 3.6)
        growth = rng.uniform(0.15, 0.5)
        domain_offset = {d.id: rng.gauss(0, 0.55) for d in q.domains}
        domain_growth = {d.id: growth * rng.uniform(0.3, 1.6) for d in q.domains}
        indicator_offset = {i.id: rng.gauss(0, 0.4) for i in q.indicators}
        structurally_na = {i.id for i in q.indicators if rng.random() < 0.03}
        years = ROUND_YEARS if index < THREE_ROUNDS else ROUND_YEARS[1:]
        for year in years:
            newest = year == years[-1]
            status = NEWEST_STATUS[index % len(NEWEST_STATUS)] if newest else RoundStatus.PUBLISHED
            size = rng.choice((3, 3, 4, 4, 4))
            invited = [plan.experts[0], *rng.sample(plan.experts[1:], min(size, len(plan.experts)) - 1)]
            date = dt.date(year, rng.randint(2, 6), rng.randint(1, 28))  # in the first half of the year
            period = RoundPeriod(year, 1 if (plan.code, year) == HALF_YEAR_ROUND else 0)
            round_ = _RoundPlan(period, date, status, tuple(e.username for e in invited))
            if status == RoundStatus.DRAFT and index == 0:  # XA: some experts are done, some not (never demo-expert)
                round_.finished = tuple(e.username for e in invited[1::2])
            self._cover(invited)
            for domain in q.domains:
                for indicator in domain.indicators:
                    latent = (
                        base
                        + domain_offset[domain.id]
                        + indicator_offset[indicator.id]
                        + domain_growth[domain.id] * (year - ROUND_YEARS[0])
                    )
                    self.indicator(round_, domain.id, indicator.id, latent, indicator.id in structurally_na, invited)
            plan.rounds.append(round_)

    def _cover(self, invited: Sequence[_Person]) -> None:
        """Every domain is known to at least two of the invited experts (widens what some know)."""
        for domain in self.q.domains:
            knowing = [e for e in invited if domain.id in e.domains]
            while len(knowing) < 2:
                extra = self.rng.choice([e for e in invited if e not in knowing])
                extra.domains.add(domain.id)
                knowing.append(extra)

    def indicator(
        self,
        round_: _RoundPlan,
        domain_id: str,
        indicator_id: str,
        latent: float,
        structurally_na: bool,
        invited: Sequence[_Person],
    ) -> None:
        rng, year = self.rng, round_.date.year
        draft = round_.status == RoundStatus.DRAFT
        given: list[RatingRow] = []
        for expert in invited:
            if domain_id not in expert.domains:
                continue
            if draft and rng.random() < 0.45:
                continue  # not answered yet
            if (structurally_na and rng.random() < 0.8) or rng.random() < 0.01:
                reason = rng.choice(NOT_APPLICABLE_REASONS)
                given.append(RatingRow(indicator_id, expert.username, None, True, f"Demo: {reason}."))
                continue
            if rng.random() < 0.03:
                level = _clip(round(latent) + rng.choice((-2, 2)))  # the odd one out
            elif structurally_na:
                level = rng.choice((1, 1, 2))
            else:
                level = _clip(latent + expert.bias + rng.gauss(0, 0.45))
            given.append(RatingRow(indicator_id, expert.username, level, False, *self.evidence(domain_id, level, year)))
        round_.ratings.extend(given)
        if draft or (round_.status == RoundStatus.IN_REVIEW and rng.random() < 0.3):
            return  # no consensus yet
        agreed = self.consensus(indicator_id, domain_id, latent, given, year)
        if agreed is None:
            return
        round_.consensus.append(agreed)
        if agreed.level is not None and rng.random() < (0.9 if round_.status != RoundStatus.IN_REVIEW else 0.7):
            round_.targets.append(TargetRow(indicator_id, min(5, agreed.level + rng.choice((1, 1, 1, 2)))))

    def evidence(self, domain_id: str, level: int, year: int) -> tuple[str, tuple[str, ...]]:
        rng = self.rng
        if rng.random() < 0.25:
            return "", ()
        document = rng.choice(DOCUMENTS[domain_id])
        finding = rng.choice(FINDINGS[level])
        text = f"Demo: {document} {year - rng.choice((0, 0, 1))}, p. {rng.randint(2, 60)}: {finding}."
        links: tuple[str, ...] = ()
        if rng.random() < 0.1:
            links = (f"https://example.org/demo/{document.replace(' ', '-')}-{year}",)
        return text, links

    def consensus(
        self, indicator_id: str, domain_id: str, latent: float, given: Sequence[RatingRow], year: int
    ) -> ConsensusRow | None:
        rng = self.rng
        levels = [r.level for r in given if r.level is not None]
        not_applicable = sum(1 for r in given if r.not_applicable)
        if not levels and not not_applicable:
            return None
        if not_applicable > len(levels):
            return ConsensusRow(
                indicator_id, None, True, f"Agreed not applicable: {rng.choice(NOT_APPLICABLE_REASONS)}."
            )
        low, high = min(levels), max(levels)
        level = int(statistics.median_low(levels))
        if high > low and rng.random() < 0.25:
            level = max(low, min(high, _clip(latent)))
        document = rng.choice(DOCUMENTS[domain_id])
        if high == low:
            rationale = f"Experts agreed on level {level}: {rng.choice(FINDINGS[level])}."
        elif high - low == 1:
            rationale = f"Ratings ranged {low}-{high}; agreed level {level}, as the {document} ({year}) supports."
        else:
            rationale = (
                f"Discussed at length: ratings ranged {low}-{high}. Agreed level {level} because the "
                f"{document} covers only part of the health system."
            )
        return ConsensusRow(indicator_id, level, False, rationale)


@dataclass(frozen=True)
class _ActionStep:
    draft: ActionDraft
    on: dt.date  # the day it is written: "today" for the service (a step to done sets done_on to it)


@dataclass(frozen=True)
class _PlannedAction:
    author: str  # the username that adds it (the coordinator, or an expert proposing it)
    steps: tuple[_ActionStep, ...]  # added with the first, then changed by the coordinator with each next one


def _days(day: dt.date, days: float) -> dt.date:
    return day + dt.timedelta(days=round(days))


def plan_actions(view: PlanView, system: _SystemPlan, seed: int, *, full: bool) -> list[_PlannedAction]:
    """A system's action plan as data, against the gaps and level moves its plan view shows (pure, seeded).

    Done actions fall between the previous round and the assessed one (so "since the last round" shows
    them) and aim at indicators that rose in between, at the level they reached; the rest aim at the
    assessed round's largest gaps, at their targets.  ``full``: the demo accounts' plan (every kind).
    """
    if view.assessed is None or view.questionnaire is None:
        return []
    q, assessed = view.questionnaire, view.assessed
    rng = random.Random(f"{seed}-plan-{system.code}")  # noqa: S311 - synthetic data, not security
    coordinator, experts = system.coordinator.username, [e.username for e in system.experts]
    used: set[str] = set()

    def title(aims: Sequence[Aim]) -> str:
        choices = [c for c in ACTION_TITLES[q.domain_of(aims[0].indicator_id).id] if c not in used]
        chosen = rng.choice(choices) if choices else f"Raise {aims[0].indicator_id} to level {aims[0].level}"
        used.add(chosen)
        return chosen

    def draft(aims: Sequence[Aim], status: ActionStatus) -> ActionDraft:
        return ActionDraft(title=title(aims), aims=tuple(aims), description=rng.choice(DESCRIPTIONS), status=status)

    gaps: list[Priority] = [c.gap for c in view.gaps]
    rose: list[Aim] = []
    if view.previous is not None:
        before, after = levels_of(view.previous.card), levels_of(assessed.card)
        moves = [(i, b, after.get(i)) for i, b in before.items() if b is not None]
        rose = [Aim(i, a) for i, b, a in sorted(moves, key=lambda m: (-((m[2] or 0) - m[1]), m[0])) if a and a > b]
    planned: list[_PlannedAction] = []

    # Done between the rounds: started after the previous round, finished before the assessed one.
    if view.previous is not None and rose:
        start, span = view.previous.date, (assessed.date - view.previous.date).days
        done_groups = [rose[:1], rose[1:3]] if full else [rose[:1]]
        for number, aims in enumerate(g for g in done_groups if g):
            begun = _days(start, span * (0.1 + 0.1 * number))
            due = _days(start, span * (0.75 + 0.1 * number))
            base = replace(draft(aims, ActionStatus.PLANNED), owner_username=coordinator, start=begun, due=due)
            working = replace(base, status=ActionStatus.IN_PROGRESS)
            done = replace(base, status=ActionStatus.DONE, notes=DONE_NOTES[number % 2])
            planned.append(
                _PlannedAction(
                    coordinator,
                    (
                        _ActionStep(base, begun),
                        _ActionStep(working, _days(begun, 14)),
                        _ActionStep(done, _days(start, span * (0.6 + 0.15 * number))),
                    ),
                )
            )

    # In progress since the assessed round, due after the demo's today (one overdue in the full plan).
    open_gaps = [
        g for g in gaps if g.indicator_id not in {a.indicator_id for p in planned for a in p.steps[0].draft.aims}
    ]
    owners = [coordinator, *experts[1:2], None]
    working_count = 3 if full else 1
    for number, gap in enumerate(open_gaps[:working_count]):
        begun = _days(assessed.date, 45 + 20 * number)
        overdue = full and number == working_count - 1
        due = _days(DEMO_TODAY, -45) if overdue else _days(DEMO_TODAY, 150 + 90 * number)
        owner = owners[number % len(owners)]
        base = replace(
            draft([Aim(gap.indicator_id, gap.target)], ActionStatus.PLANNED),
            owner_username=owner,
            owner_name="" if owner else rng.choice(OWNER_NAMES),
            start=begun,
            due=due,
        )
        working = replace(base, status=ActionStatus.IN_PROGRESS, notes=OVERDUE_NOTE if overdue else "")
        planned.append(_PlannedAction(coordinator, (_ActionStep(base, begun), _ActionStep(working, _days(begun, 10)))))
    rest = open_gaps[working_count:]

    # Planned, not started: two gaps of one domain where there are, else the next gap.
    if rest:
        first = rest[0]
        together = [g for g in rest[1:] if g.domain_id == first.domain_id][:1] if full else []
        aims = [Aim(g.indicator_id, g.target) for g in (first, *together)]
        begun = _days(DEMO_TODAY, 30)
        owner = experts[0] if full else coordinator
        base = replace(draft(aims, ActionStatus.PLANNED), owner_username=owner, start=begun, due=_days(DEMO_TODAY, 300))
        planned.append(_PlannedAction(coordinator, (_ActionStep(base, _days(assessed.date, 120)),)))
        rest = [g for g in rest if g not in (first, *together)]

    if full and len(rest) >= 2:
        # Dropped, with the reason, after it was planned.
        gap = rest[0]
        begun = _days(assessed.date, 30)
        base = replace(
            draft([Aim(gap.indicator_id, gap.target)], ActionStatus.PLANNED),
            owner_name=rng.choice(OWNER_NAMES),
            start=begun,
            due=_days(DEMO_TODAY, 200),
        )
        dropped = replace(base, status=ActionStatus.DROPPED, drop_reason=DROP_REASON)
        planned.append(_PlannedAction(coordinator, (_ActionStep(base, begun), _ActionStep(dropped, _days(begun, 90)))))
        # An expert's proposal, a step towards the target, not yet planned by the coordinator.
        gap = rest[1]
        proposal = replace(
            draft([Aim(gap.indicator_id, min(gap.target, gap.level + 1))], ActionStatus.PROPOSED), notes=PROPOSAL_NOTE
        )
        when = system.rounds[-1].date
        planned.append(_PlannedAction(experts[0], (_ActionStep(proposal, _days(when, 21)),)))
    return planned


def plan_demo(questionnaire: Questionnaire, seed: int = 2026) -> list[_SystemPlan]:
    """The whole demo world as data (no database): deterministic for a seed."""
    planner = _Planner(questionnaire, seed)
    return [planner.system(index) for index in range(len(SYSTEM_NAMES))]


# --- loading ----------------------------------------------------------------------------------


def _count_systems(services: Services) -> int:
    return services.count(HealthSystem)


def is_demo_loaded(services: Services) -> bool:
    """Whether any demo health system exists."""
    return services.has_demo_data()


def load_demo(services: Services, actor_id: int, *, seed: int = 2026) -> DemoSummary:
    """Fill an empty database (no health systems yet) with the synthetic demo world.  Admin only.

    Not one transaction: should it fail half-way, start again from an empty database.
    """
    actor = services.actor(actor_id)
    if not actor.is_admin:
        raise PermissionDenied(_("You may not load demo data."))
    existing = _count_systems(services)
    if existing:
        raise ValidationFailed(
            "database not empty",
            (
                Problem(
                    "database",
                    f"it already holds {existing} health system(s); demo data is loaded only into an empty "
                    "database, so that it never mixes with real assessments",
                ),
            ),
        )
    plans = plan_demo(load_bundled(), seed)

    accounts = [
        NewAccount("demo-admin", f"Demo administrator{DEMO_SUFFIX}", GlobalRole.ADMIN),
        NewAccount("demo-analyst", f"Demo analyst{DEMO_SUFFIX}", GlobalRole.ANALYST),
    ]
    for plan in plans:
        accounts.append(NewAccount(plan.coordinator.username, plan.coordinator.display_name))
        accounts.extend(NewAccount(e.username, e.display_name) for e in plan.experts)
        if plan.viewer:
            accounts.append(NewAccount(plan.viewer, f"Demo viewer{DEMO_SUFFIX}"))
    ids = add_accounts(services, actor_id, accounts, DEMO_PASSWORD)

    ratings = consensus = targets = 0
    statuses: Counter[str] = Counter()
    for plan in plans:
        services.add_health_system(actor_id, plan.code, demo_name=plan.name)
        services.grant(actor_id, plan.coordinator.username, plan.code, SystemRole.COORDINATOR)
        coordinator = ids[plan.coordinator.username]
        for expert in plan.experts:
            services.grant(coordinator, expert.username, plan.code, SystemRole.EXPERT)
        if plan.viewer:
            services.grant(coordinator, plan.viewer, plan.code, SystemRole.VIEWER)
        for round_plan in plan.rounds:
            round_ = services.open_round(coordinator, plan.code, "", round_plan.date, period=round_plan.period)
            for username in round_plan.experts:
                services.invite_expert(coordinator, round_.id, username)
            written = write_round_answers(
                services,
                coordinator,
                round_.id,
                ratings=round_plan.ratings,
                consensus=round_plan.consensus,
                targets=round_plan.targets,
            )
            ratings, consensus, targets = (
                ratings + written.ratings,
                consensus + written.consensus,
                targets + written.targets,
            )
            for username in round_plan.finished:
                services.finish_my_part(ids[username], round_.id)
            if round_plan.status != RoundStatus.DRAFT:
                services.start_review(coordinator, round_.id)
            if round_plan.status in CLOSED_STATUSES:
                services.submit(coordinator, round_.id)
            if round_plan.status == RoundStatus.PUBLISHED:
                services.publish(actor_id, round_.id)
            statuses[round_plan.status] += 1

    actions = 0
    system_ids = {s.code: s.id for s in services.list_health_systems(actor_id)}
    for plan in plans:
        if plan.code != FULL_PLAN and plan.code not in SMALL_PLANS:
            continue
        coordinator = ids[plan.coordinator.username]
        view = services.plan(coordinator, system_ids[plan.code], today=DEMO_TODAY)
        for action in plan_actions(view, plan, seed, full=plan.code == FULL_PLAN):
            first, *changes = action.steps
            stored = services.add_action(ids[action.author], system_ids[plan.code], first.draft, today=first.on)
            for step in changes:
                stored = services.update_action(
                    coordinator, stored.id, step.draft, expected_version=stored.version, today=step.on
                )
            actions += 1
    named = [plan for plan in plans if plan.code in NAMED_PEERS]
    for plan in named:
        services.set_peer_naming(ids[plan.coordinator.username], system_ids[plan.code], True)

    return DemoSummary(
        systems=len(plans),
        rounds=sum(statuses.values()),
        ratings=ratings,
        consensus=consensus,
        targets=targets,
        users=len(ids),
        rounds_by_status=dict(statuses),
        accounts=named_accounts(plans[0].code),
        actions=actions,
        named_peers=len(named),
    )


def named_accounts(first_code: str = "XA") -> tuple[DemoAccount, ...]:
    """The demo accounts, one per role (the per-system ones belong to the first demo system)."""
    return (
        DemoAccount("demo-admin", GlobalRole.ADMIN.value, DEMO_PASSWORD),
        DemoAccount("demo-analyst", GlobalRole.ANALYST.value, DEMO_PASSWORD),
        DemoAccount("demo-coordinator", f"{SystemRole.COORDINATOR} of {first_code}", DEMO_PASSWORD, first_code),
        DemoAccount("demo-expert", f"{SystemRole.EXPERT} of {first_code}", DEMO_PASSWORD, first_code),
        DemoAccount("demo-viewer", f"{SystemRole.VIEWER} of {first_code}", DEMO_PASSWORD, first_code),
    )


def ensure_demo(services: Services, actor_id: int = OPERATOR_ID, *, seed: int = 2026) -> DemoSummary | None:
    """Load the demo world when the database has no health systems; otherwise do nothing (returns None)."""
    if _count_systems(services):
        return None
    return load_demo(services, actor_id, seed=seed)
