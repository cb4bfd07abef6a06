"""The action plan, pure: which gaps the actions cover, whether an action's indicators reached the level it
aimed at in a later round, what is overdue, and what happened since the last round.

A health system's plan belongs to the system, not to a round: its actions are
set against the gaps of the latest round (the indicators below their target,
:attr:`~b1mg_maturity.scoring.ScoreCard.priorities`), and judged against the
levels of whichever round comes next.  Nothing here reads the database or the
clock: "today" is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.i18n import _, _p
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Priority, ScoreCard


@dataclass(frozen=True)
class Aim:
    """An indicator an action serves, and the level the action aims it at."""

    indicator_id: str
    level: int


@dataclass(frozen=True)
class ActionDraft:
    """An action as a person writes it (a new one, or the whole of an existing one changed)."""

    title: str
    aims: tuple[Aim, ...]
    description: str = ""
    owner_name: str = ""
    owner_username: str | None = None  # an account of the health system, when the owner has one
    start: dt.date | None = None
    due: dt.date | None = None
    status: ActionStatus = ActionStatus.PLANNED
    drop_reason: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PlanAction:
    """A stored action, as the plan shows it."""

    id: int
    health_system_id: int
    title: str
    aims: tuple[Aim, ...]
    description: str
    owner_name: str
    owner_username: str | None
    start: dt.date | None
    due: dt.date | None
    status: ActionStatus
    drop_reason: str
    notes: str
    done_on: dt.date | None
    version: int
    proposed_by: str | None = None  # the username of whoever wrote it first
    proposed_by_id: int | None = None

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        return tuple(aim.indicator_id for aim in self.aims)

    @property
    def owner(self) -> str:
        """The owner as stored: the name, else the account (what the Plan page's owner filter tells apart)."""
        return self.owner_name or self.owner_username or ""

    def owner_shown(self, display_names: Mapping[str, str]) -> str:
        """The owner as people read it: the name given, else the account's display name (``display_names``:
        username -> display name), else the account."""
        if self.owner_name:
            return self.owner_name
        return display_names.get(self.owner_username or "", self.owner_username or "")

    def is_overdue(self, today: dt.date) -> bool:
        """Past its due date and neither done nor dropped."""
        return self.status.open and self.due is not None and self.due < today

    def as_draft(self) -> ActionDraft:
        return ActionDraft(
            title=self.title,
            aims=self.aims,
            description=self.description,
            owner_name=self.owner_name,
            owner_username=self.owner_username,
            start=self.start,
            due=self.due,
            status=self.status,
            drop_reason=self.drop_reason,
            notes=self.notes,
        )


# --- gaps and the actions that cover them --------------------------------------------------------------


@dataclass(frozen=True)
class GapCoverage:
    """A gap of the latest round and the actions that address it."""

    gap: Priority
    actions: tuple[PlanAction, ...]

    @property
    def covered(self) -> bool:
        return bool(self.actions)

    @property
    def aimed_level(self) -> int | None:
        """The highest level the actions aim the indicator at (None: no action)."""
        levels = [aim.level for a in self.actions for aim in a.aims if aim.indicator_id == self.gap.indicator_id]
        return max(levels, default=None)

    @property
    def reaches_target(self) -> bool:
        """The actions aim at the target or above (else they close the gap only in part)."""
        aimed = self.aimed_level
        return aimed is not None and aimed >= self.gap.target


def addresses(action: PlanAction, gap: Priority) -> bool:
    """An action addresses a gap when it is not dropped and aims the indicator above its current level."""
    if action.status == ActionStatus.DROPPED:
        return False
    return any(aim.indicator_id == gap.indicator_id and aim.level > gap.level for aim in action.aims)


def coverage(gaps: Sequence[Priority], actions: Iterable[PlanAction]) -> tuple[GapCoverage, ...]:
    """Each gap (in the order given: largest first) with the actions that address it."""
    actions = tuple(actions)
    return tuple(GapCoverage(gap, tuple(a for a in actions if addresses(a, gap))) for gap in gaps)


def uncovered(covered: Sequence[GapCoverage]) -> tuple[Priority, ...]:
    """The gaps no action addresses."""
    return tuple(c.gap for c in covered if not c.covered)


def draft_for_gap(gap: Priority, questionnaire: Questionnaire, *, today: dt.date) -> ActionDraft:
    """A new action for a gap, ready to save: its title names the indicator and the level aimed at (the target)."""
    return ActionDraft(
        title=_(
            "Reach level {level} on {indicator} ({subdomain})",
            level=gap.target,
            indicator=gap.indicator_id,
            subdomain=questionnaire.subdomain_of(gap.indicator_id).name,
        ),
        aims=(Aim(gap.indicator_id, gap.target),),
        description=gap.next_step or "",
        start=today,
        status=ActionStatus.PLANNED,
    )


# --- whether the aimed levels were reached -----------------------------------------------------------


class AimState(StrEnum):
    REACHED = "reached"
    NOT_YET = "not_yet"
    NOT_RATED = "not_rated"  # no level in the round (not answered, or not applicable)

    @property
    def label(self) -> str:
        """As a table cell says it (the page, the PDF and the exported plan): ``reached``, ``not yet``."""
        return {
            AimState.REACHED: _p("an action's aimed level", "reached"),
            AimState.NOT_YET: _p("an action's aimed level", "not yet"),
            AimState.NOT_RATED: _p("an action's aimed level", "not rated"),
        }[self]


@dataclass(frozen=True)
class AimOutcome:
    aim: Aim
    level: int | None  # the indicator's level in the round judged
    state: AimState


@dataclass(frozen=True)
class ActionOutcome:
    """An action judged against one round's levels."""

    action: PlanAction
    aims: tuple[AimOutcome, ...]

    @property
    def state(self) -> AimState:
        """Reached when every aim is; not rated when no aim has a level; else not yet."""
        states = {a.state for a in self.aims}
        if states == {AimState.REACHED}:
            return AimState.REACHED
        if states <= {AimState.NOT_RATED}:
            return AimState.NOT_RATED
        return AimState.NOT_YET


def levels_of(card: ScoreCard) -> dict[str, int | None]:
    """Each indicator's level in a scored round (None: not answered or not applicable)."""
    return {result.indicator_id: result.level for result in card.indicators}


def outcome(action: PlanAction, levels: Mapping[str, int | None]) -> ActionOutcome:
    """Whether each indicator the action serves is at (or above) the level it aimed at, in a round of ``levels``."""
    judged = []
    for aim in action.aims:
        level = levels.get(aim.indicator_id)
        state = AimState.NOT_RATED if level is None else AimState.REACHED if level >= aim.level else AimState.NOT_YET
        judged.append(AimOutcome(aim, level, state))
    return ActionOutcome(action, tuple(judged))


# --- what happened since the last round ----------------------------------------------------------------


@dataclass(frozen=True)
class LevelMove:
    """An indicator the plan serves, at its level in the previous round and in the latest."""

    indicator_id: str
    before: int | None
    after: int | None

    @property
    def delta(self) -> int | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True)
class SinceLastRound:
    previous_label: str
    previous_date: dt.date
    done: tuple[PlanAction, ...]  # marked done on or after the previous round's date
    moved: tuple[LevelMove, ...]  # the plan's indicators whose level changed, largest rise first
    unchanged: int  # the plan's indicators rated in both rounds at the same level


def since_last_round(
    actions: Iterable[PlanAction],
    *,
    previous_label: str,
    previous_date: dt.date,
    previous_levels: Mapping[str, int | None],
    latest_levels: Mapping[str, int | None],
) -> SinceLastRound:
    """The actions done since the previous round, and how the levels of the indicators the plan serves moved."""
    actions = tuple(actions)
    done = tuple(
        sorted(
            (
                a
                for a in actions
                if a.status == ActionStatus.DONE and a.done_on is not None and a.done_on >= previous_date
            ),
            key=lambda a: (a.done_on or previous_date, a.id),
        )
    )
    served: list[str] = []
    for action in actions:
        if action.status == ActionStatus.DROPPED:
            continue
        served.extend(i for i in action.indicator_ids if i not in served)
    moves = [LevelMove(i, previous_levels.get(i), latest_levels.get(i)) for i in served]
    moved = [m for m in moves if m.before != m.after]
    moved.sort(key=lambda m: (-(m.delta if m.delta is not None else -99), m.indicator_id))
    unchanged = sum(1 for m in moves if m.before is not None and m.before == m.after)
    return SinceLastRound(previous_label, previous_date, done, tuple(moved), unchanged)


# --- the plan's filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFilter:
    """What the Plan page narrows the actions to; an empty field lets everything through."""

    pillars: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()
    statuses: frozenset[ActionStatus] = frozenset()

    def matches(self, action: PlanAction, questionnaire: Questionnaire) -> bool:
        if self.statuses and action.status not in self.statuses:
            return False
        if self.owners and action.owner not in self.owners:
            return False
        known = [i for i in action.indicator_ids if questionnaire.has_indicator(i)]
        if self.domains and not {questionnaire.domain_of(i).id for i in known} & self.domains:
            return False
        return not (self.pillars and not {questionnaire.domain_of(i).pillar for i in known} & self.pillars)


def pillar_of(action: PlanAction, questionnaire: Questionnaire) -> str | None:
    """The pillar an action is shown under: that of the first indicator it serves (None: none is known)."""
    for indicator_id in action.indicator_ids:
        if questionnaire.has_indicator(indicator_id):
            return questionnaire.domain_of(indicator_id).pillar
    return None


def overdue(actions: Iterable[PlanAction], today: dt.date) -> tuple[PlanAction, ...]:
    return tuple(a for a in actions if a.is_overdue(today))
