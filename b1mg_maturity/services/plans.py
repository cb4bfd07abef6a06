"""A health system's action plan (actions against the gaps, versioned and audited) and Learn (whom to ask).

The plan belongs to the health system: its members read it, its coordinators
and administrators run it, its experts propose actions and may change their
own proposals while they are still proposed.  Every change is audited in its
transaction; a save names the version it was based on and is refused with
:class:`~b1mg_maturity.errors.Conflict` when the action has moved on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.domain import CLOSED_STATUSES, ActionStatus
from b1mg_maturity.errors import Conflict, InvalidState, NotFound, Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.permissions import (
    Actor,
    can_read_plan,
    coordinates,
    may_edit_action,
    may_propose_action,
    require_coordinator,
    require_edit_action,
    require_propose_action,
    require_read_plan,
    sees_names,
)
from b1mg_maturity.planning import (
    ActionDraft,
    ActionOutcome,
    Aim,
    GapCoverage,
    PlanAction,
    SinceLastRound,
    coverage,
    levels_of,
    outcome,
    since_last_round,
)
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Aggregation, ScoreCard
from b1mg_maturity.services.base import UseCases, readable_rounds
from b1mg_maturity.services.checks import text_at
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.views import HealthSystemView, round_name, system_view
from b1mg_maturity.storage.models import (
    Action,
    ActionAim,
    AssessmentRound,
    HealthSystem,
    Membership,
    User,
    utcnow,
)
from b1mg_maturity.text_rules import MAX_EVIDENCE_CHARS, MAX_NAME_CHARS, clean_line

MAX_TITLE_CHARS = 200
MAX_AIMS = 20


@dataclass(frozen=True)
class PlanRound:
    """A round the plan is set against: its name, date and status, and its levels."""

    id: int
    label: str
    date: dt.date
    status: str
    card: ScoreCard


@dataclass(frozen=True)
class PlanView:
    """A health system's plan as one user may see it, read in one snapshot."""

    health_system: HealthSystemView
    actions: tuple[PlanAction, ...]
    questionnaire: Questionnaire | None  # of the assessed round (None: the system has no round the user may open)
    assessed: PlanRound | None  # the round whose gaps the plan addresses (the last finished assessment)
    previous: PlanRound | None  # the latest submitted or published round before it
    judged: PlanRound | None  # a newer round, once opened: where the aimed levels are checked
    gaps: tuple[GapCoverage, ...]  # the assessed round's gaps, largest first, with the actions addressing each
    outcomes: Mapping[int, ActionOutcome]  # action id -> judged against the newer round's levels (empty: none)
    since: SinceLastRound | None  # from the previous round to the assessed one; None: no previous round
    today: dt.date
    members: tuple[tuple[str, str], ...]  # (username, display name): the accounts an action may be given to
    named_as_peer: bool
    may_manage: bool  # add, plan and change every action
    may_propose: bool  # propose an action (experts)
    may_set_peer_naming: bool
    editable: frozenset[int]  # the ids of the actions this user may change (the service checks again on save)

    def may_edit(self, action: PlanAction) -> bool:
        return action.id in self.editable

    def owner_of(self, action: PlanAction) -> str:
        """The owner as people read it: the name given, else the member's display name, else the account."""
        return action.owner_shown(dict(self.members))

    @property
    def overdue(self) -> tuple[PlanAction, ...]:
        return tuple(a for a in self.actions if a.is_overdue(self.today))


@dataclass(frozen=True)
class NamedPeer:
    code: str
    name: str
    level: int
    round_label: str


@dataclass(frozen=True)
class PeerLearning:
    """Who has reached a level of one indicator, among other health systems' latest published rounds.

    Only systems that opted in are named; the counts include every system and are
    given only when at least ``threshold`` systems rated the indicator.
    """

    indicator_id: str
    level: int
    named: tuple[NamedPeer, ...]
    rated: int | None  # other systems whose latest published round rated the indicator (None: withheld)
    at_or_above: int | None  # of them, at the level or above (None: withheld)
    threshold: int

    @property
    def withheld(self) -> bool:
        return self.rated is None


def _stored(action: Action, usernames: Mapping[int, str]) -> PlanAction:
    return PlanAction(
        id=action.id,
        health_system_id=action.health_system_id,
        title=action.title,
        aims=tuple(Aim(a.indicator_id, a.level) for a in sorted(action.aims, key=lambda a: a.position)),
        description=action.description,
        owner_name=action.owner_name,
        owner_username=usernames.get(action.owner_user_id) if action.owner_user_id is not None else None,
        start=action.start_date,
        due=action.due_date,
        status=ActionStatus(action.status),
        drop_reason=action.drop_reason,
        notes=action.notes,
        done_on=action.done_on,
        version=action.version,
        proposed_by=usernames.get(action.proposed_by) if action.proposed_by is not None else None,
        proposed_by_id=action.proposed_by,
    )


def _owner(draft: ActionDraft) -> str:
    """The owner as the trail keeps it: the name, the account, or both ("Anna (anna)"), so that either changing
    is a change."""
    if draft.owner_name and draft.owner_username:
        return f"{draft.owner_name} ({draft.owner_username})"
    return draft.owner_name or draft.owner_username or ""


def _described(draft: ActionDraft) -> dict[str, Any]:
    """An action's fields as the audit trail and a conflict message show them (every field the draft holds)."""
    return {
        "title": draft.title,
        "aims": [f"{aim.indicator_id} → {aim.level}" for aim in draft.aims],
        "description": draft.description,
        "owner": _owner(draft),
        "start": draft.start.isoformat() if draft.start else None,
        "due": draft.due.isoformat() if draft.due else None,
        "action_status": draft.status.value,
        "drop_reason": draft.drop_reason,
        "notes": draft.notes,
    }


def _changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


class PlanUseCases(UseCases):
    # --- reading ---------------------------------------------------------------------------------

    def plan_systems(self, actor_id: int) -> list[HealthSystemView]:
        """The health systems whose plan this user may open (their own; every one for an administrator)."""
        with self.reading_as(actor_id) as (session, actor):
            query = select(HealthSystem).order_by(HealthSystem.code)
            return [system_view(s) for s in session.scalars(query) if can_read_plan(actor, s.id)]

    def plan(self, actor_id: int, health_system_id: int, *, today: dt.date | None = None) -> PlanView:
        """The plan: its actions, the latest round's gaps beside them, and what moved since the last round."""
        today = today or dt.date.today()
        with self.reading_as(actor_id) as (session, actor):
            require_read_plan(actor, health_system_id)
            system = session.get(HealthSystem, health_system_id)
            if system is None:
                raise NotFound(_("No such health system."))
            actions = read_actions(session, health_system_id)
            editable = frozenset(
                a.id
                for a in actions
                if may_edit_action(actor, health_system_id, proposed_by=a.proposed_by_id, status=a.status)
            )
            rounds = _plan_rounds(session, actor, health_system_id)
            assessed = _plan_round(session, rounds.assessed) if rounds.assessed is not None else None
            previous = _plan_round(session, rounds.previous) if rounds.previous is not None else None
            judged = _plan_round(session, rounds.judged) if rounds.judged is not None else None
            questionnaire = questionnaire_of(rounds.assessed.questionnaire_version) if rounds.assessed else None
            gaps: tuple[GapCoverage, ...] = ()
            outcomes: dict[int, ActionOutcome] = {}
            since = None
            if assessed is not None:
                gaps = coverage(assessed.card.priorities, actions)
                if judged is not None:
                    levels = levels_of(judged.card)
                    outcomes = {a.id: outcome(a, levels) for a in actions}
                if previous is not None:
                    since = since_last_round(
                        actions,
                        previous_label=previous.label,
                        previous_date=previous.date,
                        previous_levels=levels_of(previous.card),
                        latest_levels=levels_of(assessed.card),
                    )
            manage = coordinates(actor, health_system_id)
            return PlanView(
                health_system=system_view(system),
                actions=actions,
                questionnaire=questionnaire,
                assessed=assessed,
                previous=previous,
                judged=judged,
                gaps=gaps,
                outcomes=outcomes,
                since=since,
                today=today,
                members=_members(session, health_system_id),
                named_as_peer=system.named_as_peer,
                may_manage=manage,
                may_propose=may_propose_action(actor, health_system_id),
                may_set_peer_naming=manage,
                editable=editable,
            )

    # --- writing ---------------------------------------------------------------------------------

    def add_action(
        self, actor_id: int, health_system_id: int, draft: ActionDraft, *, today: dt.date | None = None
    ) -> PlanAction:
        """Add an action to the plan: a coordinator (or administrator) at any status, an expert only as a proposal."""
        with self.writing_as(actor_id) as (session, actor):
            require_propose_action(actor, health_system_id, draft.status)
            action = write_new_action(session, actor, health_system_id, draft, today=today or dt.date.today())
            return _stored(action, _usernames(session, [action]))

    def update_action(
        self,
        actor_id: int,
        action_id: int,
        draft: ActionDraft,
        *,
        expected_version: int,
        today: dt.date | None = None,
    ) -> PlanAction:
        """Save the whole action as its author saw and changed it; refused when it moved on in between."""
        with self.writing_as(actor_id) as (session, actor):
            action = session.scalars(
                select(Action).where(Action.id == action_id).with_for_update(of=Action)
            ).one_or_none()
            if action is None:
                require_read_plan(actor, -1)  # a missing action and another system's look alike
                raise NotFound(_("No such action."))
            require_edit_action(actor, action.health_system_id, proposed_by=action.proposed_by, status=action.status)
            require_propose_action(actor, action.health_system_id, draft.status)
            usernames = _usernames(session, [action])
            current = _stored(action, usernames)
            if action.version != expected_version:
                raise Conflict(
                    _("Someone else changed this action since you opened it. Nothing was saved."),
                    yours=_described(draft),
                    theirs=_described(current.as_draft()),
                    current_version=action.version,
                )
            clean = _checked(session, action.health_system_id, draft)
            if clean == current.as_draft():
                return current  # nothing changed: no new version, no entry
            old, new = _changed(_described(current.as_draft()), _described(clean))
            _apply(session, action, clean, today=today or dt.date.today(), usernames=usernames)
            action.version += 1
            action.updated_at = utcnow()
            audit.record(
                session,
                actor,
                "change_action",
                "action",
                str(action.id),
                old=old,
                new=new,
                health_system_id=action.health_system_id,
            )
            session.flush()
            if action.owner_user_id is not None and clean.owner_username:
                usernames[action.owner_user_id] = clean.owner_username
            return _stored(action, usernames)

    def set_peer_naming(self, actor_id: int, health_system_id: int, named: bool) -> None:
        """Whether other teams may see this system by name where it reached a level (off until opted in)."""
        with self.writing_as(actor_id) as (session, actor):
            require_coordinator(actor, health_system_id, N_("change whether this health system is named to peers"))
            system = session.get(HealthSystem, health_system_id)
            if system is None:
                raise NotFound(_("No such health system."))
            if system.named_as_peer == named:
                return
            audit.record(
                session,
                actor,
                "set_peer_naming",
                "health_system",
                system.code,
                old={"named_as_peer": system.named_as_peer},
                new={"named_as_peer": named},
                health_system_id=system.id,
            )
            system.named_as_peer = named

    # --- Learn -----------------------------------------------------------------------------------

    def peers_at_level(
        self,
        actor_id: int,
        health_system_id: int,
        indicator_id: str,
        level: int,
        *,
        min_group_size: int | None = None,
    ) -> PeerLearning:
        """Which other health systems' latest published rounds have the indicator at ``level`` or above.

        Named only where the system opted in; counted (never named) only when at least the
        group-size threshold of systems rated the indicator.  Asked from a plan: its members
        (or an analyst or administrator, who see names anyway).
        """
        from b1mg_maturity.services.comparison import (  # here: comparison imports the services
            published_rounds,
            score_rounds,
        )

        threshold = self.settings.min_group_size if min_group_size is None else min_group_size
        with self.reading_as(actor_id) as (session, actor):
            if not sees_names(actor):
                require_read_plan(actor, health_system_id)
            assessed = _plan_rounds(session, actor, health_system_id).assessed
            if assessed is None:
                return PeerLearning(indicator_id, level, (), None, None, threshold)
            questionnaire_id = assessed.questionnaire_version.questionnaire_id
            latest_per_system: dict[int, AssessmentRound] = {}
            for round_ in published_rounds(session, questionnaire_id):
                if round_.health_system_id == health_system_id:
                    continue
                known = latest_per_system.get(round_.health_system_id)
                if known is None or (round_.round_date, round_.id) > (known.round_date, known.id):
                    latest_per_system[round_.health_system_id] = round_
            chosen = list(latest_per_system.values())
            rated: list[tuple[AssessmentRound, int]] = []
            for scored, round_ in zip(score_rounds(self, session, chosen), chosen, strict=True):
                found = levels_of(scored.card).get(indicator_id)
                if found is not None:
                    rated.append((round_, found))
            reached = [(r, lv) for r, lv in rated if lv >= level]
            named = tuple(
                sorted(
                    (
                        NamedPeer(
                            r.health_system.code,
                            r.health_system.name,
                            lv,
                            round_name(r),
                        )
                        for r, lv in reached
                        if r.health_system.named_as_peer
                    ),
                    key=lambda p: (-p.level, p.code),
                )
            )
            if len(rated) < threshold:
                return PeerLearning(indicator_id, level, named, None, None, threshold)
            return PeerLearning(indicator_id, level, named, len(rated), len(reached), threshold)


# --- shared by the use cases and the round import ----------------------------------------------------


def write_new_action(
    session: Session,
    actor: Actor,
    health_system_id: int,
    draft: ActionDraft,
    *,
    today: dt.date,
    audited_as: str = "add_action",
) -> Action:
    """Check and add one action (audited) in the caller's transaction; the caller checked the permission."""
    clean = _checked(session, health_system_id, draft)
    action = Action(
        health_system_id=health_system_id,
        proposed_by=actor.user_ref,
        version=1,
        description="",
        owner_name="",
        drop_reason="",
        notes="",
    )
    session.add(action)
    _apply(session, action, clean, today=today, usernames={})
    session.flush()
    audit.record(
        session,
        actor,
        audited_as,
        "action",
        str(action.id),
        new={k: v for k, v in _described(clean).items() if v not in ("", None, [])},  # what it was given
        health_system_id=health_system_id,
    )
    return action


def read_actions(session: Session, health_system_id: int) -> tuple[PlanAction, ...]:
    """A health system's actions as the plan shows them (due date first), read in the caller's session (its
    snapshot); the caller checked that the user may read the plan."""
    stored = _actions(session, health_system_id)
    names = _usernames(session, stored)
    return tuple(_stored(a, names) for a in stored)


def latest_round(session: Session, health_system_id: int) -> AssessmentRound | None:
    """The health system's latest round, whatever its status (by date, then by id)."""
    return session.scalars(
        select(AssessmentRound)
        .where(AssessmentRound.health_system_id == health_system_id)
        .order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
        .limit(1)
    ).first()


def plan_questionnaire(session: Session, health_system_id: int) -> Questionnaire:
    """The questionnaire an action's indicators are checked against: that of the system's latest round."""
    latest = latest_round(session, health_system_id)
    if latest is None:
        raise InvalidState(_("This health system has no round yet: open one, then plan against its gaps."))
    return questionnaire_of(latest.questionnaire_version)


def action_problems(
    session: Session, health_system_id: int, draft: ActionDraft, questionnaire: Questionnaire
) -> tuple[ActionDraft, list[Problem]]:
    """The draft as it would be stored, and everything wrong with it (each problem names its field)."""
    problems: list[Problem] = []
    title = draft.title.strip()
    if not title:
        problems.append(Problem("title", _("give the action a title")))
    else:
        try:
            title = clean_line(title, "title", MAX_TITLE_CHARS)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    description = text_at("", draft.description, "description", MAX_EVIDENCE_CHARS, problems)
    notes = text_at("", draft.notes, "notes", MAX_EVIDENCE_CHARS, problems)
    drop_reason = text_at("", draft.drop_reason.strip(), "drop_reason", MAX_EVIDENCE_CHARS, problems)
    owner_name = draft.owner_name.strip()
    if owner_name:
        try:
            owner_name = clean_line(owner_name, "owner", MAX_NAME_CHARS)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if draft.owner_username and draft.owner_username not in member_usernames(session, health_system_id):
        problems.append(
            Problem(
                "owner",
                _(
                    "'{username}' holds no role in this health system; choose one of its members or give a name only",
                    username=draft.owner_username,
                ),
            )
        )
    if not draft.aims:
        problems.append(Problem("aims", _("choose at least one indicator the action serves")))
    if len(draft.aims) > MAX_AIMS:
        problems.append(Problem("aims", _("an action serves at most {n} indicators", n=MAX_AIMS)))
    seen: set[str] = set()
    low, high = questionnaire.min_level, questionnaire.max_level
    for aim in draft.aims:
        if not questionnaire.has_indicator(aim.indicator_id):
            problems.append(
                Problem("aims", _("'{indicator}' is not an indicator of the questionnaire", indicator=aim.indicator_id))
            )
        elif aim.indicator_id in seen:
            problems.append(Problem("aims", _("{indicator} is named twice", indicator=aim.indicator_id)))
        if not low <= aim.level <= high:
            problems.append(
                Problem(
                    "aims",
                    _(
                        "the level aimed at for {indicator} is {level}; use a level from {low} to {high}",
                        indicator=aim.indicator_id,
                        level=aim.level,
                        low=low,
                        high=high,
                    ),
                )
            )
        seen.add(aim.indicator_id)
    if draft.start and draft.due and draft.due < draft.start:
        problems.append(Problem("due", _("the due date is before the start date")))
    if draft.status == ActionStatus.DROPPED and not drop_reason.strip():
        problems.append(Problem("drop_reason", _("say why the action is dropped")))
    clean = ActionDraft(
        title=title,
        aims=draft.aims,
        description=description,
        owner_name=owner_name,
        owner_username=draft.owner_username or None,
        start=draft.start,
        due=draft.due,
        status=ActionStatus(draft.status),
        drop_reason=drop_reason if draft.status == ActionStatus.DROPPED else "",
        notes=notes,
    )
    return clean, problems


def _checked(session: Session, health_system_id: int, draft: ActionDraft) -> ActionDraft:
    clean, problems = action_problems(session, health_system_id, draft, plan_questionnaire(session, health_system_id))
    if problems:
        raise ValidationFailed(_("The action was not saved."), tuple(problems))
    return clean


def _apply(
    session: Session, action: Action, draft: ActionDraft, *, today: dt.date, usernames: Mapping[int, str]
) -> None:
    """Write the checked draft onto the action; ``usernames`` (id -> username) of the accounts it names already,
    so that an unchanged owner is not looked up again."""
    was_done = action.status == ActionStatus.DONE.value
    action.title = draft.title
    action.description = draft.description
    action.owner_name = draft.owner_name
    if not draft.owner_username:
        action.owner_user_id = None
    elif action.owner_user_id is None or usernames.get(action.owner_user_id) != draft.owner_username:
        action.owner_user_id = _user_id(session, draft.owner_username)
    action.start_date = draft.start
    action.due_date = draft.due
    action.status = draft.status.value
    action.drop_reason = draft.drop_reason
    action.notes = draft.notes
    if draft.status == ActionStatus.DONE and not was_done:
        action.done_on = today
    elif draft.status != ActionStatus.DONE:
        action.done_on = None
    wanted = [(aim.indicator_id, aim.level) for aim in draft.aims]
    if [(a.indicator_id, a.level) for a in sorted(action.aims, key=lambda a: a.position)] != wanted:
        action.aims.clear()
        session.flush()  # the old aims go before the new ones meet the unique constraint
        for position, (indicator_id, level) in enumerate(wanted):
            action.aims.append(ActionAim(indicator_id=indicator_id, level=level, position=position))


def _user_id(session: Session, username: str) -> int | None:
    return session.scalars(select(User.id).where(User.username == username)).first()


def _actions(session: Session, health_system_id: int) -> list[Action]:
    return list(
        session.scalars(
            select(Action)
            .where(Action.health_system_id == health_system_id)
            .order_by(Action.due_date.is_(None), Action.due_date, Action.id)
        )
    )


def _usernames(session: Session, actions: Sequence[Action]) -> dict[int, str]:
    ids = {i for a in actions for i in (a.owner_user_id, a.proposed_by) if i is not None}
    if not ids:
        return {}
    return {
        user_id: username
        for user_id, username in session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    }


def member_usernames(session: Session, health_system_id: int) -> set[str]:
    """The accounts an action of the health system may be given to: its active members."""
    return {username for username, _name in _members(session, health_system_id)}


def _members(session: Session, health_system_id: int) -> tuple[tuple[str, str], ...]:
    rows = session.execute(
        select(User.username, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.health_system_id == health_system_id, User.is_active.is_(True))
        .distinct()
        .order_by(User.display_name, User.username)
    ).all()
    return tuple((username, name or username) for username, name in rows)


@dataclass(frozen=True)
class _Rounds:
    assessed: AssessmentRound | None  # the round whose gaps the plan addresses
    previous: AssessmentRound | None  # the latest submitted or published round before it
    judged: AssessmentRound | None  # the newest round after it: where the aimed levels are checked


def _plan_rounds(session: Session, actor: Actor, health_system_id: int) -> _Rounds:
    """The rounds a plan is read against, among those this user may open (one questionnaire id).

    The gaps are those of the latest submitted or published round (the last finished
    assessment), else of the latest round; a newer round, once opened, is where the
    actions are judged; the round before the assessed one is what "since the last
    round" compares with.
    """
    rounds = list(
        session.scalars(
            select(AssessmentRound)
            .where(AssessmentRound.health_system_id == health_system_id)
            .order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
        )
    )
    readable = readable_rounds(session, actor, rounds)
    if not readable:
        return _Rounds(None, None, None)
    questionnaire_id = readable[0].questionnaire_version.questionnaire_id
    same = [r for r in readable if r.questionnaire_version.questionnaire_id == questionnaire_id]
    closed = [r for r in same if r.status in CLOSED_STATUSES]
    assessed = closed[0] if closed else same[0]
    at = same.index(assessed)
    judged = same[0] if at > 0 else None
    previous = next((r for r in same[at + 1 :] if r.status in CLOSED_STATUSES), None)
    return _Rounds(assessed, previous, judged)


def _plan_round(session: Session, round_: AssessmentRound) -> PlanRound:
    from b1mg_maturity.services.report_inputs import round_scorecard

    card = round_scorecard(session, round_, Aggregation.MEAN)
    label = round_name(round_)
    return PlanRound(round_.id, label, round_.round_date, round_.status, card)


__all__ = [
    "NamedPeer",
    "PeerLearning",
    "PlanRound",
    "PlanUseCases",
    "PlanView",
    "action_problems",
    "latest_round",
    "member_usernames",
    "plan_questionnaire",
    "read_actions",
    "write_new_action",
]
