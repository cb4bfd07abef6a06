"""Moving a whole round in and out of the database: the round JSON document (backup, transfer).

An import is all or nothing: everything is checked first and every problem is
listed (with its place in the input); only a fully valid input is written, in
one transaction, with the audit trail.

The health system's plan goes with the round: the export lists every action
whose indicators all belong to the round's questionnaire (an action of another
questionnaire could not be checked where the round is imported).  The import
checks every action as the Plan page would (:func:`~b1mg_maturity.services.plans.action_problems`)
before writing anything, and writes them through
:func:`~b1mg_maturity.services.plans.write_new_action` (audited) in the round's
transaction.  An action the target health system already has (the same title
and the same indicators and levels aimed at) is skipped, so importing two
rounds of one backup, or the same document twice under two names, does not
duplicate the plan.  An owner whose account is not a member of the target
system is kept as a name; who proposed an action is kept when that account
exists here.  A done action keeps the day it was done.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.domain import CLOSED_STATUSES, RATING_ROLES, ActionStatus, RoundStatus
from b1mg_maturity.errors import FIELD_WORDS, ImportFailed, PermissionDenied, Problem, QuestionnaireError
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.interchange.round_document import (
    ConsensusEntry,
    ExpertRating,
    HealthSystemRef,
    PersonRef,
    PlanAim,
    PlanEntry,
    QuestionnaireRef,
    RoundDocument,
    RoundInfo,
    TargetEntry,
    load_round_json,
)
from b1mg_maturity.permissions import (
    Actor,
    require_admin,
    require_coordinate,
    require_coordinator,
    require_propose_action,
)
from b1mg_maturity.planning import ActionDraft, Aim
from b1mg_maturity.questionnaire import Questionnaire, load_questionnaire
from b1mg_maturity.services.checks import (
    MAX_EVIDENCE_CHARS,
    MAX_RATIONALE_CHARS,
    answer_problems_at,
    links_at,
    text_at,
)
from b1mg_maturity.services.plans import (
    action_problems,
    latest_round,
    member_usernames,
    read_actions,
    write_new_action,
)
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.views import RoundView, round_view
from b1mg_maturity.storage.models import (
    Action,
    AssessmentRound,
    Consensus,
    HealthSystem,
    Membership,
    QuestionnaireVersion,
    Rating,
    RoundExpert,
    Target,
    User,
    utcnow,
)
from b1mg_maturity.text_rules import shortened

if TYPE_CHECKING:
    from b1mg_maturity.services import Services

MAX_ROUND_JSON_BYTES = 20 * 1024 * 1024


# --- the round document ------------------------------------------------------------------------


def export_round(services: Services, actor_id: int, round_id: int) -> RoundDocument:
    """The whole round (experts' own ratings included): for its coordinator and admins."""
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        round_, facts = services.load_round(session, round_id)
        require_coordinate(actor, facts, N_("export this round"))
        names = dict(session.execute(select(User.id, User.username)).all())
        displays = dict(session.execute(select(User.id, User.display_name)).all())
        expert_ids = sorted(facts.expert_ids, key=lambda i: names[i])
        qv = round_.questionnaire_version
        system = round_.health_system
        return RoundDocument(
            exported_at=utcnow(),
            health_system=HealthSystemRef(code=system.code, name=system.name, kind=system.kind),
            round=RoundInfo(
                label=round_.label,
                round_date=round_.round_date,
                period_year=round_.period_year or round_.round_date.year,
                period_half=round_.period_half if round_.period_half in (0, 1, 2) else 0,
                free_label=round_.free_label,
                status=round_.status,
                created_at=round_.created_at,
                submitted_at=round_.submitted_at,
                published_at=round_.published_at,
            ),
            questionnaire=QuestionnaireRef(
                id=qv.questionnaire_id, version=qv.version, content_hash=qv.content_hash, yaml=qv.yaml_text
            ),
            experts=tuple(PersonRef(username=names[i], display_name=displays[i]) for i in expert_ids),
            ratings=tuple(
                ExpertRating(
                    indicator_id=r.indicator_id,
                    expert=names[r.expert_id],
                    level=r.level,
                    not_applicable=r.not_applicable,
                    evidence=r.evidence,
                    links=tuple(json.loads(r.links or "[]")),
                    updated_at=r.updated_at,
                )
                for r in session.scalars(
                    select(Rating).where(Rating.round_id == round_id).order_by(Rating.indicator_id, Rating.expert_id)
                )
            ),
            consensus=tuple(
                ConsensusEntry(
                    indicator_id=c.indicator_id,
                    level=c.level,
                    not_applicable=c.not_applicable,
                    rationale=c.rationale,
                    updated_at=c.updated_at,
                )
                for c in session.scalars(
                    select(Consensus).where(Consensus.round_id == round_id).order_by(Consensus.indicator_id)
                )
            ),
            targets=tuple(
                TargetEntry(indicator_id=t.indicator_id, target=t.target)
                for t in session.scalars(
                    select(Target).where(Target.round_id == round_id).order_by(Target.indicator_id)
                )
                if t.target is not None
            ),
            plan=_plan_entries(session, system.id, questionnaire_of(qv), names),
        )


def _plan_entries(
    session: Session, health_system_id: int, questionnaire: Questionnaire, usernames: Mapping[int, str]
) -> tuple[PlanEntry, ...]:
    """The system's actions whose indicators all belong to ``questionnaire``, oldest first."""
    actions = session.scalars(
        select(Action).where(Action.health_system_id == health_system_id).order_by(Action.created_at, Action.id)
    )
    return tuple(
        PlanEntry(
            title=a.title,
            description=a.description,
            aims=tuple(PlanAim(indicator_id=aim.indicator_id, level=aim.level) for aim in a.aims),
            owner_name=a.owner_name,
            owner_username=usernames.get(a.owner_user_id) if a.owner_user_id is not None else None,
            proposed_by=usernames.get(a.proposed_by) if a.proposed_by is not None else None,
            start=a.start_date,
            due=a.due_date,
            status=a.status,
            drop_reason=a.drop_reason,
            notes=a.notes,
            done_on=a.done_on,
        )
        for a in actions
        if a.aims and all(questionnaire.has_indicator(aim.indicator_id) for aim in a.aims)
    )


def round_json(document: RoundDocument) -> str:
    return document.model_dump_json(indent=2)


def parse_round_json(raw: bytes, name: str = "round.json") -> RoundDocument:
    """Read a round document; every problem named by its place (``ratings[3].level``).

    Keys given twice, nesting too deep and over-long text are refused too (see
    :func:`b1mg_maturity.interchange.round_document.load_round_json`).
    """
    return load_round_json(raw, name)


def _json_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or _("(top)")


def _document_questionnaire(document: RoundDocument, problems: list[Problem]) -> Questionnaire | None:
    ref = document.questionnaire
    if ref.yaml is None:
        return None
    try:
        questionnaire = load_questionnaire(ref.yaml.encode("utf-8"), name=_("questionnaire.yaml (in the document)"))
    except QuestionnaireError as exc:
        problems.extend(exc.problems)
        return None
    if questionnaire.content_hash != ref.content_hash:
        problems.append(
            Problem("questionnaire.content_hash", _("does not match the questionnaire text in the document"))
        )
        return None
    return questionnaire


def import_round(
    services: Services,
    actor_id: int,
    document: RoundDocument,
    *,
    health_system_code: str | None = None,
    label: str | None = None,
    today: dt.date | None = None,
) -> RoundView:
    """Create a round from a document.  Admins keep its status; coordinators import it as a draft.

    The import replays the use cases that made the round, under their rules:
    every expert must be an expert (or coordinator) of the health system now
    (as for an invitation), ratings belong to listed experts, evidence, links
    and rationale pass the checks of ``rate()`` and ``set_consensus()``, and
    only an administrator may add the questionnaire version when this
    installation lacks it.  Every problem is listed with its place in plain
    words (``rating 4 (indicator D1.1.2): ...``, ``plan, action 3 (Train
    the staff), Due: ...``); nothing is written unless there is none.  The plan's
    actions are added to the health system's plan (see the module's note for
    the actions it already has); ``today`` is the day a done action without its
    date is taken as done.
    """
    code = (health_system_code or document.health_system.code).strip().upper()
    label = (label or document.round.label).strip()
    problems: list[Problem] = []
    if not label or len(label) > 120:
        problems.append(Problem("round label", _("give the round a name of 1-{limit} characters", limit=120)))
    with services.db.transaction() as session:
        actor = services.load_actor(session, actor_id)
        system = services.system_by_code(session, code)
        require_coordinator(actor, system.id, N_("import rounds for this health system"))

        questionnaire = _document_questionnaire(document, problems)
        registered = session.scalars(
            select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == document.questionnaire.content_hash)
        ).first()
        if questionnaire is None and registered is not None:
            questionnaire = questionnaire_of(registered)
        if questionnaire is None and not problems:
            problems.append(
                Problem(
                    "questionnaire", _("this installation does not know the questionnaire and the document lacks it")
                )
            )
        if registered is None and questionnaire is not None:
            try:
                require_admin(actor, N_("add questionnaire versions"))
            except PermissionDenied:
                problems.append(
                    Problem(
                        _(
                            "questionnaire ({questionnaire} {version})",
                            questionnaire=questionnaire.id,
                            version=questionnaire.version,
                        ),
                        _(
                            "this installation does not have this questionnaire version, and only an administrator "
                            "can add one: ask an administrator to register it (or to import this round)"
                        ),
                    )
                )
        if session.scalars(
            select(AssessmentRound).where(AssessmentRound.health_system_id == system.id, AssessmentRound.label == label)
        ).first():
            problems.append(
                Problem("round label", _("{system} already has a round '{name}'", system=system.code, name=label))
            )

        users = _check_experts(session, document, system, problems)
        checked = None if questionnaire is None else _check_entries(document, questionnaire, system, users, problems)
        plan = (
            None
            if questionnaire is None
            else _check_plan(
                session,
                actor,
                document,
                _plan_questionnaire(session, document, system, questionnaire),
                system,
                problems,
            )
        )
        if problems:
            raise ImportFailed(f"the round was not imported ({len(problems)} problem(s))", tuple(problems))
        assert questionnaire is not None and checked is not None and plan is not None

        qv_id = (
            registered.id
            if registered is not None
            else services.register(session, actor, questionnaire, document.questionnaire.yaml or "")
        )
        status = document.round.status if actor.is_admin else RoundStatus.DRAFT
        now = utcnow()
        round_ = AssessmentRound(
            health_system_id=system.id,
            questionnaire_version_id=qv_id,
            label=label,
            period_year=document.round.period.year,
            period_half=document.round.period.half,
            free_label=document.round.free_label,
            round_date=document.round.round_date,
            status=status,
            created_by=actor.user_ref,
            submitted_at=document.round.submitted_at if status in CLOSED_STATUSES else None,
            published_at=document.round.published_at if RoundStatus(status) == RoundStatus.PUBLISHED else None,
        )
        session.add(round_)
        session.flush()
        for person in document.experts:
            session.add(
                RoundExpert(round_id=round_.id, user_id=users[_name(person.username)], invited_by=actor.user_ref)
            )
        for rating, (evidence, links) in zip(document.ratings, checked.ratings, strict=True):
            session.add(
                Rating(
                    round_id=round_.id,
                    indicator_id=rating.indicator_id,
                    expert_id=users[_name(rating.expert)],
                    level=rating.level,
                    not_applicable=rating.not_applicable,
                    evidence=evidence,
                    links=json.dumps(list(links)),
                    updated_at=rating.updated_at or now,
                )
            )
        for entry, rationale in zip(document.consensus, checked.rationales, strict=True):
            session.add(
                Consensus(
                    round_id=round_.id,
                    indicator_id=entry.indicator_id,
                    level=entry.level,
                    not_applicable=entry.not_applicable,
                    rationale=rationale,
                    updated_by=actor.user_ref,
                    updated_at=entry.updated_at or now,
                )
            )
        for target in document.targets:
            session.add(
                Target(
                    round_id=round_.id,
                    indicator_id=target.indicator_id,
                    target=target.target,
                    updated_by=actor.user_ref,
                )
            )
        done_day = today or dt.date.today()
        for item, draft in plan.new:
            action = write_new_action(session, actor, system.id, draft, today=done_day, audited_as="import_action")
            if draft.status == ActionStatus.DONE and item.done_on is not None:
                action.done_on = item.done_on
            proposer = plan.proposers.get(_name(item.proposed_by or ""))
            if proposer is not None:
                action.proposed_by = proposer
        audit.record(
            session,
            actor,
            "import",
            "round",
            f"{system.code}/{label}",
            new={
                "status": status,
                "period": document.round.period.text,
                "experts": len(document.experts),
                "ratings": len(document.ratings),
                "consensus": len(document.consensus),
                "targets": len(document.targets),
                "actions": len(plan.new),
                "actions_already_planned": plan.skipped,
                "exported_at": document.exported_at.isoformat(),
            },
            health_system_id=system.id,
            round_id=round_.id,
        )
        session.flush()
        session.refresh(round_)
        return round_view(round_)


def _name(username: str) -> str:
    return username.strip().lower()


def _check_experts(
    session: Session, document: RoundDocument, system: HealthSystem, problems: list[Problem]
) -> dict[str, int]:
    """Username -> user id of every listed person who may be invited: the rule of ``invite_expert``."""
    names = {_name(p.username) for p in document.experts} | {_name(r.expert) for r in document.ratings}
    accounts = dict(session.execute(select(User.username, User.id).where(User.username.in_(sorted(names)))).all())
    rating_members = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.health_system_id == system.id, Membership.role.in_(RATING_ROLES)
            )
        )
    )
    allowed: dict[str, int] = {}
    listed: set[str] = set()
    for number, person in enumerate(document.experts, start=1):
        name = _name(person.username)
        where = _("expert {number} ('{username}')", number=number, username=person.username)
        if name in listed:
            problems.append(Problem(where, _("listed twice")))
        listed.add(name)
        user_id = accounts.get(name)
        if user_id is None:
            problems.append(Problem(where, _("no account '{username}' here", username=person.username)))
        elif user_id not in rating_members:
            problems.append(
                Problem(
                    where,
                    _(
                        "user '{username}' is not an expert of {system}; give them the expert role there first",
                        username=name,
                        system=system.code,
                    ),
                )
            )
        else:
            allowed[name] = user_id
    return allowed


@dataclass(frozen=True)
class _Checked:
    """The texts as the use cases would store them, in document order."""

    ratings: list[tuple[str, tuple[str, ...]]]  # (evidence, links) per rating
    rationales: list[str]  # per consensus entry


def _check_entries(
    document: RoundDocument,
    questionnaire: Questionnaire,
    system: HealthSystem,
    experts: Mapping[str, int],
    problems: list[Problem],
) -> _Checked:
    listed = {_name(p.username) for p in document.experts}

    checked = _Checked([], [])
    seen: set[tuple[str, str]] = set()
    for number, rating in enumerate(document.ratings, start=1):
        where = _("rating {number} (indicator {indicator})", number=number, indicator=rating.indicator_id)
        expert = _name(rating.expert)
        problems += answer_problems_at(
            where, questionnaire, rating.indicator_id, level=rating.level, not_applicable=rating.not_applicable
        )
        if expert not in listed:
            problems.append(Problem(where, _("'{username}' is not listed under experts", username=rating.expert)))
        elif expert not in experts:
            problems.append(
                Problem(where, _("user '{username}' is not an expert of {system}", username=expert, system=system.code))
            )
        if (rating.indicator_id, expert) in seen:
            problems.append(
                Problem(
                    where,
                    _(
                        "a second rating of {indicator} by {username}",
                        indicator=rating.indicator_id,
                        username=rating.expert,
                    ),
                )
            )
        seen.add((rating.indicator_id, expert))
        evidence = text_at(where, rating.evidence, "evidence", MAX_EVIDENCE_CHARS, problems)
        checked.ratings.append((evidence, links_at(where, rating.links, problems)))
    entries: list[tuple[str, ConsensusEntry | TargetEntry]] = [
        *(
            (_("consensus {number} (indicator {indicator})", number=n, indicator=e.indicator_id), e)
            for n, e in enumerate(document.consensus, start=1)
        ),
        *(
            (_("target {number} (indicator {indicator})", number=n, indicator=e.indicator_id), e)
            for n, e in enumerate(document.targets, start=1)
        ),
    ]
    once: set[tuple[type, str]] = set()
    for where, entry in entries:
        if isinstance(entry, ConsensusEntry):
            problems += answer_problems_at(
                where, questionnaire, entry.indicator_id, level=entry.level, not_applicable=entry.not_applicable
            )
            checked.rationales.append(text_at(where, entry.rationale, "rationale", MAX_RATIONALE_CHARS, problems))
        else:
            problems += answer_problems_at(where, questionnaire, entry.indicator_id, target=entry.target)
        if (type(entry), entry.indicator_id) in once:
            problems.append(Problem(where, _("{indicator} appears twice", indicator=entry.indicator_id)))
        once.add((type(entry), entry.indicator_id))
    return checked


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """The document's actions as they will be written, and how many the health system already has."""

    new: list[tuple[PlanEntry, ActionDraft]]
    skipped: int
    proposers: dict[str, int]  # username -> user id, of those who proposed an action and have an account here


def _plan_questionnaire(
    session: Session, document: RoundDocument, system: HealthSystem, questionnaire: Questionnaire
) -> Questionnaire:
    """The questionnaire the actions will be checked against once the round is in: that of the system's latest
    round (:func:`~b1mg_maturity.services.plans.plan_questionnaire`), which is the imported one unless the
    system has a later round."""
    latest = latest_round(session, system.id)
    if latest is None or document.round.round_date >= latest.round_date:
        return questionnaire
    return questionnaire_of(latest.questionnaire_version)


def _signature(title: str, aims: Sequence[Aim]) -> tuple[str, tuple[tuple[str, int], ...]]:
    """What makes two actions the same for an import: the title and the indicators and levels aimed at."""
    return title.strip(), tuple(sorted((a.indicator_id, a.level) for a in aims))


def _check_plan(
    session: Session,
    actor: Actor,
    document: RoundDocument,
    questionnaire: Questionnaire,
    system: HealthSystem,
    problems: list[Problem],
) -> _Plan:
    """Every action checked as the Plan page checks one, each problem placed at its action and field."""
    plan = _Plan([], 0, {})
    if not document.plan:
        return plan
    require_propose_action(actor, system.id, ActionStatus.PLANNED)
    members = member_usernames(session, system.id)
    proposers = {_name(e.proposed_by) for e in document.plan if e.proposed_by}
    if proposers:
        plan.proposers.update(
            session.execute(select(User.username, User.id).where(User.username.in_(sorted(proposers)))).all()
        )
    existing = {_signature(a.title, a.aims) for a in read_actions(session, system.id)}
    skipped = 0
    for number, entry in enumerate(document.plan, start=1):
        title = entry.title.strip()
        where = (
            _("plan, action {number} ({title})", number=number, title=shortened(title, 60))
            if title
            else _("plan, action {number}", number=number)
        )
        found: list[Problem] = []
        try:
            status = ActionStatus(entry.status)
        except ValueError:
            status = ActionStatus.PLANNED
            found.append(
                Problem(
                    "status",
                    _(
                        "'{status}' is not a status of an action; use one of: {statuses}",
                        status=entry.status,
                        statuses=", ".join(s.value for s in ActionStatus),
                    ),
                )
            )
        if entry.done_on is not None and entry.status != ActionStatus.DONE:
            found.append(
                Problem(
                    "done_on",
                    _("a day done is given, but the action is not done (its status is {status})", status=entry.status),
                )
            )
        owner = _name(entry.owner_username) if entry.owner_username else None
        owner_name = entry.owner_name
        if owner is not None and owner not in members:  # not a member here: kept as a name
            owner_name, owner = owner_name or entry.owner_username or "", None
        draft = ActionDraft(
            title=entry.title,
            aims=tuple(Aim(aim.indicator_id, aim.level) for aim in entry.aims),
            description=entry.description,
            owner_name=owner_name,
            owner_username=owner,
            start=entry.start,
            due=entry.due,
            status=status,
            drop_reason=entry.drop_reason,
            notes=entry.notes,
        )
        clean, checked = action_problems(session, system.id, draft, questionnaire)
        found.extend(checked)
        for problem in found:
            field = problem.where.strip(", ")
            word = FIELD_WORDS.get(field)
            problems.append(
                Problem(_("{where}, {field}", where=where, field=_(word) if word else _words(field)), problem.message)
            )
        if found:
            continue
        if _signature(clean.title, clean.aims) in existing:
            skipped += 1
            continue
        plan.new.append((entry, clean))
    return _Plan(plan.new, skipped, plan.proposers)


def _words(field: str) -> str:
    return {"status": _("Status"), "done_on": _("Done on")}.get(field, field.replace("_", " "))
