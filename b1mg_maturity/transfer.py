"""Moving rounds in and out of the database: the round JSON document and answers files.

Imports are all or nothing: everything is checked first and every problem is
listed (with its place in the input); only a fully valid input is written,
in one transaction, with the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.errors import ImportFailed, PermissionDenied, Problem, QuestionnaireError, ValidationFailed
from b1mg_maturity.interchange.round_document import (
    ConsensusEntry,
    ExpertRating,
    HealthSystemRef,
    PersonRef,
    QuestionnaireRef,
    RoundDocument,
    RoundInfo,
    TargetEntry,
    load_round_json,
)
from b1mg_maturity.permissions import (
    RATING_ROLES,
    Actor,
    require_admin,
    require_coordinate,
    require_coordinator,
    require_rate,
)
from b1mg_maturity.questionnaire import Questionnaire, load_questionnaire
from b1mg_maturity.scoring import Answer
from b1mg_maturity.services import (
    MAX_EVIDENCE_CHARS,
    MAX_RATIONALE_CHARS,
    RoundView,
    Services,
    _check_text,
    _round_view,
    clean_links,
    questionnaire_of,
)
from b1mg_maturity.storage.models import (
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

MAX_ROUND_JSON_BYTES = 20 * 1024 * 1024


# --- the round document ------------------------------------------------------------------------


def export_round(services: Services, actor_id: int, round_id: int) -> RoundDocument:
    """The whole round (experts' own ratings included): for its coordinator and admins."""
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        round_, facts = services.load_round(session, round_id)
        require_coordinate(actor, facts, "export this round")
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
    return path or "(top)"


def _document_questionnaire(document: RoundDocument, problems: list[Problem]) -> Questionnaire | None:
    ref = document.questionnaire
    if ref.yaml is None:
        return None
    try:
        questionnaire = load_questionnaire(ref.yaml.encode("utf-8"), name="questionnaire.yaml (in the document)")
    except QuestionnaireError as exc:
        problems.extend(exc.problems)
        return None
    if questionnaire.content_hash != ref.content_hash:
        problems.append(Problem("questionnaire.content_hash", "does not match the questionnaire text in the document"))
        return None
    return questionnaire


def import_round(
    services: Services,
    actor_id: int,
    document: RoundDocument,
    *,
    health_system_code: str | None = None,
    label: str | None = None,
) -> RoundView:
    """Create a round from a document.  Admins keep its status; coordinators import it as a draft.

    The import replays the use cases that made the round, under their rules:
    every expert must be an expert (or coordinator) of the health system now
    (as for an invitation), ratings belong to listed experts, evidence, links
    and rationale pass the checks of ``rate()`` and ``set_consensus()``, and
    only an administrator may add the questionnaire version when this
    installation lacks it.  Every problem is listed with its place in plain
    words (``rating 4 (indicator D1.1.2): ...``); nothing is written unless
    there is none.
    """
    code = (health_system_code or document.health_system.code).strip().upper()
    label = (label or document.round.label).strip()
    problems: list[Problem] = []
    if not label or len(label) > 120:
        problems.append(Problem("round label", "give the round a name of 1-120 characters"))
    with services.db.transaction() as session:
        actor = services.load_actor(session, actor_id)
        system = services.system_by_code(session, code)
        require_coordinator(actor, system.id, "import rounds for this health system")

        questionnaire = _document_questionnaire(document, problems)
        registered = session.scalars(
            select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == document.questionnaire.content_hash)
        ).first()
        if questionnaire is None and registered is not None:
            questionnaire = questionnaire_of(registered)
        if questionnaire is None and not problems:
            problems.append(
                Problem("questionnaire", "this installation does not know the questionnaire and the document lacks it")
            )
        if registered is None and questionnaire is not None:
            try:
                require_admin(actor, "add questionnaire versions")
            except PermissionDenied:
                problems.append(
                    Problem(
                        f"questionnaire ({questionnaire.id} {questionnaire.version})",
                        "this installation does not have this questionnaire version, and only an administrator "
                        "can add one: ask an administrator to register it (or to import this round)",
                    )
                )
        if session.scalars(
            select(AssessmentRound).where(AssessmentRound.health_system_id == system.id, AssessmentRound.label == label)
        ).first():
            problems.append(Problem("round label", f"{system.code} already has a round '{label}'"))

        users = _check_experts(session, document, system, problems)
        checked = None if questionnaire is None else _check_entries(document, questionnaire, system, users, problems)
        if problems:
            raise ImportFailed(f"the round was not imported ({len(problems)} problem(s))", tuple(problems))
        assert questionnaire is not None and checked is not None

        qv_id = (
            registered.id
            if registered is not None
            else services.register(session, actor, questionnaire, document.questionnaire.yaml or "")
        )
        status = document.round.status if actor.is_admin else "draft"
        now = utcnow()
        round_ = AssessmentRound(
            health_system_id=system.id,
            questionnaire_version_id=qv_id,
            label=label,
            round_date=document.round.round_date,
            status=status,
            created_by=actor.user_ref,
            submitted_at=document.round.submitted_at if status in ("submitted", "published") else None,
            published_at=document.round.published_at if status == "published" else None,
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
        audit.record(
            session,
            actor,
            "import",
            "round",
            f"{system.code}/{label}",
            new={
                "status": status,
                "experts": len(document.experts),
                "ratings": len(document.ratings),
                "consensus": len(document.consensus),
                "targets": len(document.targets),
                "exported_at": document.exported_at.isoformat(),
            },
            health_system_id=system.id,
            round_id=round_.id,
        )
        session.flush()
        session.refresh(round_)
        return _round_view(round_)


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
        where = f"expert {number} ('{person.username}')"
        if name in listed:
            problems.append(Problem(where, "listed twice"))
        listed.add(name)
        user_id = accounts.get(name)
        if user_id is None:
            problems.append(Problem(where, f"no account '{person.username}' here"))
        elif user_id not in rating_members:
            problems.append(
                Problem(
                    where, f"user '{name}' is not an expert of {system.code}; give them the expert role there first"
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


def _located(where: str, exc: ValidationFailed) -> list[Problem]:
    return [Problem(f"{where}, {p.where}" if p.where else where, p.message) for p in exc.problems] or [
        Problem(where, exc.message)
    ]


def _check_entries(
    document: RoundDocument,
    questionnaire: Questionnaire,
    system: HealthSystem,
    experts: Mapping[str, int],
    problems: list[Problem],
) -> _Checked:
    scale = f"{questionnaire.min_level}-{questionnaire.max_level}"
    listed = {_name(p.username) for p in document.experts}

    def check_level(value: int | None, na: bool, where: str, field: str = "level") -> None:
        if value is not None and value not in questionnaire.scale:
            problems.append(Problem(f"{where}, {field}", f"{value} is not a level; expected {scale}"))
        if na and value is not None:
            problems.append(Problem(where, "a level and 'not applicable' at once"))

    def check_indicator(indicator_id: str, where: str) -> None:
        if not questionnaire.has_indicator(indicator_id):
            problems.append(Problem(where, f"no indicator '{indicator_id}' in {questionnaire.id}"))

    def check_text(value: str, where: str, field: str, limit: int) -> str:
        try:
            return _check_text(value, field, limit)
        except ValidationFailed as exc:
            problems.extend(_located(where, exc))
            return value

    checked = _Checked([], [])
    seen: set[tuple[str, str]] = set()
    for number, rating in enumerate(document.ratings, start=1):
        where = f"rating {number} (indicator {rating.indicator_id})"
        expert = _name(rating.expert)
        check_indicator(rating.indicator_id, where)
        check_level(rating.level, rating.not_applicable, where)
        if expert not in listed:
            problems.append(Problem(where, f"'{rating.expert}' is not listed under experts"))
        elif expert not in experts:
            problems.append(Problem(where, f"user '{expert}' is not an expert of {system.code}"))
        if (rating.indicator_id, expert) in seen:
            problems.append(Problem(where, f"a second rating of {rating.indicator_id} by {rating.expert}"))
        seen.add((rating.indicator_id, expert))
        evidence = check_text(rating.evidence, where, "evidence", MAX_EVIDENCE_CHARS)
        try:
            links = clean_links(rating.links)
        except ValidationFailed as exc:
            problems.extend(_located(where, exc))
            links = ()
        checked.ratings.append((evidence, links))
    entries: list[tuple[str, ConsensusEntry | TargetEntry]] = [
        *((f"consensus {n} (indicator {e.indicator_id})", e) for n, e in enumerate(document.consensus, start=1)),
        *((f"target {n} (indicator {e.indicator_id})", e) for n, e in enumerate(document.targets, start=1)),
    ]
    once: set[tuple[type, str]] = set()
    for where, entry in entries:
        check_indicator(entry.indicator_id, where)
        if isinstance(entry, ConsensusEntry):
            check_level(entry.level, entry.not_applicable, where)
            checked.rationales.append(check_text(entry.rationale, where, "rationale", MAX_RATIONALE_CHARS))
        else:
            check_level(entry.target, False, where, "target")
        if (type(entry), entry.indicator_id) in once:
            problems.append(Problem(where, f"{entry.indicator_id} appears twice"))
        once.add((type(entry), entry.indicator_id))
    return checked


# --- answers files into a round ------------------------------------------------------------------

AnswersMode = Literal["consensus", "ratings"]
AnswerEntity = Literal["consensus", "target", "rating"]


@dataclass(frozen=True)
class AnswerChange:
    """One record an answers import would write: its value when read (None: none yet) and the new value."""

    entity: AnswerEntity
    indicator_id: str
    version: int  # the record's version when read; 0 when there was none
    old: Mapping[str, Any] | None
    new: Mapping[str, Any]


@dataclass(frozen=True)
class AnswersPlan:
    """What importing an answers file into a round would change, as read at one moment.

    Show :attr:`overwrites` to the person importing; when they confirm, pass the
    plan to :func:`import_answers` as ``based_on``.
    """

    round_id: int
    mode: AnswersMode
    changes: tuple[AnswerChange, ...]

    @property
    def overwrites(self) -> tuple[AnswerChange, ...]:
        """The changes that replace a value already recorded."""
        return tuple(c for c in self.changes if c.old is not None)

    def version_read(self, entity: str, indicator_id: str) -> int:
        """The version this plan read for a record (0: it had none, or the import left it alone)."""
        return next((c.version for c in self.changes if (c.entity, c.indicator_id) == (entity, indicator_id)), 0)


_ANSWER_MODELS: dict[str, Any] = {"consensus": Consensus, "target": Target, "rating": Rating}


def describe_value(value: Mapping[str, Any] | None) -> str:
    """A recorded value in words, for messages: ``level 3, rationale 'agreed'``."""
    if value is None:
        return "nothing"
    parts = []
    if value.get("not_applicable"):
        parts.append("not applicable")
    elif "level" in value:
        parts.append("no level" if value["level"] is None else f"level {value['level']}")
    if "target" in value:
        parts.append(f"target {value['target']}")
    for key in ("rationale", "evidence"):
        if value.get(key):
            text = str(value[key])
            parts.append(f"{key} '{text[:40]}{'...' if len(text) > 40 else ''}'")
    return ", ".join(parts)


def _wanted(
    answers: Mapping[str, Answer], mode: AnswersMode, problems: list[Problem]
) -> list[tuple[AnswerEntity, str, dict[str, Any]]]:
    """(entity, indicator id, new value) for every record the file sets; texts checked as the use cases do."""
    wanted: list[tuple[AnswerEntity, str, dict[str, Any]]] = []
    for indicator_id, answer in answers.items():
        where = f"indicator {indicator_id}"
        says_something = answer.level is not None or answer.not_applicable or bool(answer.evidence)
        field, limit = ("rationale", MAX_RATIONALE_CHARS) if mode == "consensus" else ("evidence", MAX_EVIDENCE_CHARS)
        try:
            text = _check_text(answer.evidence, field, limit)
        except ValidationFailed as exc:
            problems.extend(_located(where, exc))
            continue
        if says_something:
            entity: AnswerEntity = "consensus" if mode == "consensus" else "rating"
            wanted.append(
                (entity, indicator_id, {"level": answer.level, "not_applicable": answer.not_applicable, field: text})
            )
        if mode == "consensus" and answer.target is not None:
            wanted.append(("target", indicator_id, {"target": answer.target}))
    return wanted


def _plan(
    session: Session,
    actor: Actor,
    round_id: int,
    wanted: list[tuple[AnswerEntity, str, dict[str, Any]]],
    mode: AnswersMode,
) -> AnswersPlan:
    changes = []
    for entity, indicator_id, new in wanted:
        model = _ANSWER_MODELS[entity]
        query = select(model).where(model.round_id == round_id, model.indicator_id == indicator_id)
        if entity == "rating":
            query = query.where(Rating.expert_id == actor.user_id)
        row = session.scalars(query).first()
        old = None if row is None else {key: getattr(row, key) for key in new}
        if old != new:
            changes.append(AnswerChange(entity, indicator_id, 0 if row is None else row.version, old, new))
    return AnswersPlan(round_id, mode, tuple(changes))


def _open_for_answers(
    services: Services,
    session: Session,
    actor_id: int,
    round_id: int,
    answers: Mapping[str, Answer],
    mode: AnswersMode,
    *,
    writing: bool,
) -> tuple[Actor, AssessmentRound, list[tuple[AnswerEntity, str, dict[str, Any]]]]:
    """Load and check everything an answers import needs (permissions, round open, every value valid).

    ``writing``: share-lock the round, so that no status change overlaps the writes.
    """
    actor = services.load_actor(session, actor_id)
    round_, facts = services.load_round(session, round_id, lock="share" if writing else False)
    if mode == "consensus":
        require_coordinate(actor, facts, "import consensus levels into this round")
    else:
        require_rate(actor, facts)
    services.require_editable(round_)
    questionnaire = questionnaire_of(round_.questionnaire_version)
    problems = [
        Problem(
            f"indicator {indicator_id}", f"no indicator '{indicator_id}' in {questionnaire.id} {questionnaire.version}"
        )
        for indicator_id in answers
        if not questionnaire.has_indicator(indicator_id)
    ]
    for indicator_id, answer in answers.items():
        for what, value in (("level", answer.level), ("target", answer.target)):
            if value is not None and value not in questionnaire.scale:
                problems.append(Problem(f"indicator {indicator_id}, {what}", f"{value} is not on the scale"))
    wanted = _wanted(answers, mode, problems)
    if problems:
        raise ImportFailed("nothing was imported", tuple(problems))
    return actor, round_, wanted


def plan_answers_import(
    services: Services, actor_id: int, round_id: int, answers: Mapping[str, Answer], mode: AnswersMode
) -> AnswersPlan:
    """What :func:`import_answers` would change now (checked the same way; writes nothing)."""
    with services.db.reading() as session:
        actor, _, wanted = _open_for_answers(services, session, actor_id, round_id, answers, mode, writing=False)
        return _plan(session, actor, round_id, wanted, mode)


def import_answers(
    services: Services,
    actor_id: int,
    round_id: int,
    answers: Mapping[str, Answer],
    mode: AnswersMode,
    *,
    based_on: AnswersPlan | None = None,
) -> int:
    """Write an answers file into a round, all or nothing; returns the number of indicators changed.

    ``consensus`` (coordinator): levels become the consensus, evidence its rationale, targets the targets.
    ``ratings`` (invited expert): levels and evidence become the importing expert's own ratings.

    Values equal to the recorded ones are left alone, and a row that gives no
    level, "not applicable" or text leaves the record alone.  Without
    ``based_on`` only missing records are added: a file that would replace a
    recorded value is refused, listing each one (old and new value), so that a
    person can look and confirm.  With ``based_on`` (the plan from
    :func:`plan_answers_import` they confirmed) the values it read are replaced,
    and the import is refused when any record it touches changed after that
    plan was read (compared by version, in the same locked transaction as the
    writes).  Each value written gets an audit entry with its old and new value.
    """
    if based_on is not None and (based_on.round_id, based_on.mode) != (round_id, mode):
        raise ValidationFailed("other plan", (Problem("", "the confirmed plan is for another round or mode"),))
    stale = ImportFailed(
        "the round changed while the import was being written; nothing was imported: read it again",
        (Problem("", "someone saved an answer of this round at the same moment; nothing was imported"),),
    )
    try:
        with services.db.transaction() as session:
            actor, round_, wanted = _open_for_answers(
                services, session, actor_id, round_id, answers, mode, writing=True
            )
            plan = _plan(session, actor, round_id, wanted, mode)
            problems = [_refusal(change, based_on) for change in plan.changes]
            if any(problems):
                found = tuple(p for p in problems if p is not None)
                title = (
                    f"{len(found)} recorded value(s) changed since the import was planned; nothing was imported"
                    if based_on is not None
                    else f"{len(found)} recorded value(s) would be overwritten; nothing was imported: "
                    "look at them and confirm to overwrite"
                )
                raise ImportFailed(title, found)
            now = utcnow()
            for change in plan.changes:
                if not _write(session, actor, round_id, change, now):
                    raise stale
                key = f"{round_id}/{change.indicator_id}" + (f"/{actor.username}" if change.entity == "rating" else "")
                audit.record(
                    session,
                    actor,
                    f"import_{mode}",
                    change.entity,
                    key,
                    old=dict(change.old) if change.old is not None else None,
                    new=dict(change.new),
                    health_system_id=round_.health_system_id,
                    round_id=round_id,
                )
            indicators = len({c.indicator_id for c in plan.changes})
            audit.record(
                session,
                actor,
                f"import_{mode}",
                "round",
                str(round_id),
                new={
                    "indicators": indicators,
                    "mode": mode,
                    "added": sum(1 for c in plan.changes if c.old is None),
                    "overwritten": len(plan.overwrites),
                },
                health_system_id=round_.health_system_id,
                round_id=round_id,
            )
            return indicators
    except IntegrityError:
        raise stale from None  # a record was added at the same moment (PostgreSQL)


def _refusal(change: AnswerChange, based_on: AnswersPlan | None) -> Problem | None:
    where = f"indicator {change.indicator_id}, {change.entity}"
    read = 0 if based_on is None else based_on.version_read(change.entity, change.indicator_id)
    if change.version == read:
        return None
    if based_on is None:
        return Problem(where, f"would overwrite {describe_value(change.old)} with {describe_value(change.new)}")
    return Problem(where, f"changed since the import was planned: now {describe_value(change.old)}")


def _write(session: Session, actor: Actor, round_id: int, change: AnswerChange, now: dt.datetime) -> bool:
    """Insert or update one record, only if it is still at the version read; False when it moved on."""
    model = _ANSWER_MODELS[change.entity]
    who: dict[str, Any] = {"expert_id": actor.user_id} if change.entity == "rating" else {"updated_by": actor.user_ref}
    if change.old is None:
        extra = {"links": "[]"} if change.entity == "rating" else {}
        session.add(
            model(
                round_id=round_id,
                indicator_id=change.indicator_id,
                **who,
                **extra,
                **change.new,
                version=1,
                updated_at=now,
            )
        )
        session.flush()
        return True
    query = update(model).where(
        model.round_id == round_id, model.indicator_id == change.indicator_id, model.version == change.version
    )
    if change.entity == "rating":
        query = query.where(Rating.expert_id == actor.user_id)
        who = {}
    changed = session.execute(
        query.values(**change.new, **who, version=model.version + 1, updated_at=now).execution_options(
            synchronize_session=False
        )
    )
    return bool(changed.rowcount == 1)  # type: ignore[attr-defined]
