"""Moving rounds in and out of the database: the round JSON document and answers files.

Imports are all or nothing: everything is checked first and every problem is
listed (with its place in the input); only a fully valid input is written,
in one transaction, with the audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.errors import ImportFailed, Problem, QuestionnaireError
from b1mg_maturity.interchange.round_document import (
    ConsensusEntry,
    ExpertRating,
    HealthSystemRef,
    PersonRef,
    QuestionnaireRef,
    RoundDocument,
    RoundInfo,
    TargetEntry,
)
from b1mg_maturity.permissions import require_coordinate, require_coordinator, require_rate
from b1mg_maturity.questionnaire import Questionnaire, load_questionnaire
from b1mg_maturity.scoring import Answer
from b1mg_maturity.services import RoundView, Services, _round_view, questionnaire_of
from b1mg_maturity.storage.models import (
    AssessmentRound,
    Consensus,
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
    with services.db.transaction() as session:
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
    """Read a round document; every problem named by its place (``ratings[3].level``)."""
    if len(raw) > MAX_ROUND_JSON_BYTES:
        raise ImportFailed("too large", (Problem(name, f"at most {MAX_ROUND_JSON_BYTES:,} bytes are accepted"),))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFailed("not UTF-8", (Problem(name, "the file is not UTF-8 text"),)) from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            "not JSON", (Problem(f"{name}:{exc.lineno}:{exc.colno}", f"not valid JSON: {exc.msg}"),)
        ) from None
    try:
        return RoundDocument.model_validate(data)
    except ValidationError as exc:
        problems = tuple(
            Problem(f"{name}: {_json_path(err['loc'])}", err["msg"]) for err in exc.errors(include_url=False)
        )
        raise ImportFailed(f"{name} is not a round document", problems) from None


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
    """Create a round from a document.  Admins keep its status; coordinators import it as a draft."""
    code = (health_system_code or document.health_system.code).strip().upper()
    label = (label or document.round.label).strip()
    problems: list[Problem] = []
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
        if session.scalars(
            select(AssessmentRound).where(AssessmentRound.health_system_id == system.id, AssessmentRound.label == label)
        ).first():
            problems.append(Problem("round.label", f"{system.code} already has a round '{label}'"))

        users = {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_([p.username for p in document.experts])))
        }
        for index, person in enumerate(document.experts):
            if person.username not in users:
                problems.append(Problem(f"experts[{index}].username", f"no account '{person.username}' here"))
        invited = {p.username for p in document.experts}
        if questionnaire is not None:
            _check_entries(document, questionnaire, invited, problems)
        if problems:
            raise ImportFailed(f"the round was not imported ({len(problems)} problem(s))", tuple(problems))
        assert questionnaire is not None

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
            session.add(RoundExpert(round_id=round_.id, user_id=users[person.username].id, invited_by=actor.user_ref))
        for rating in document.ratings:
            session.add(
                Rating(
                    round_id=round_.id,
                    indicator_id=rating.indicator_id,
                    expert_id=users[rating.expert].id,
                    level=rating.level,
                    not_applicable=rating.not_applicable,
                    evidence=rating.evidence,
                    links=json.dumps(list(rating.links)),
                    updated_at=rating.updated_at or now,
                )
            )
        for entry in document.consensus:
            session.add(
                Consensus(
                    round_id=round_.id,
                    indicator_id=entry.indicator_id,
                    level=entry.level,
                    not_applicable=entry.not_applicable,
                    rationale=entry.rationale,
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


def _check_entries(
    document: RoundDocument, questionnaire: Questionnaire, invited: set[str], problems: list[Problem]
) -> None:
    scale = f"{questionnaire.min_level}-{questionnaire.max_level}"

    def check_level(value: int | None, na: bool, where: str, field: str = "level") -> None:
        if value is not None and value not in questionnaire.scale:
            problems.append(Problem(f"{where}.{field}", f"{value} is not a level; expected {scale}"))
        if na and value is not None:
            problems.append(Problem(where, "a level and 'not applicable' at once"))

    def check_indicator(indicator_id: str, where: str) -> None:
        if not questionnaire.has_indicator(indicator_id):
            problems.append(Problem(f"{where}.indicator_id", f"no indicator '{indicator_id}' in {questionnaire.id}"))

    seen: set[tuple[str, str]] = set()
    for index, rating in enumerate(document.ratings):
        where = f"ratings[{index}]"
        check_indicator(rating.indicator_id, where)
        check_level(rating.level, rating.not_applicable, where)
        if rating.expert not in invited:
            problems.append(Problem(f"{where}.expert", f"'{rating.expert}' is not listed under experts"))
        if (rating.indicator_id, rating.expert) in seen:
            problems.append(Problem(where, f"a second rating of {rating.indicator_id} by {rating.expert}"))
        seen.add((rating.indicator_id, rating.expert))
    entries: list[tuple[str, ConsensusEntry | TargetEntry]] = [
        *((f"consensus[{i}]", e) for i, e in enumerate(document.consensus)),
        *((f"targets[{i}]", e) for i, e in enumerate(document.targets)),
    ]
    once: set[tuple[type, str]] = set()
    for where, entry in entries:
        check_indicator(entry.indicator_id, where)
        if isinstance(entry, ConsensusEntry):
            check_level(entry.level, entry.not_applicable, where)
        else:
            check_level(entry.target, False, where, "target")
        if (type(entry), entry.indicator_id) in once:
            problems.append(Problem(where, f"{entry.indicator_id} appears twice"))
        once.add((type(entry), entry.indicator_id))


# --- answers files into a round ------------------------------------------------------------------

AnswersMode = Literal["consensus", "ratings"]


def import_answers(
    services: Services, actor_id: int, round_id: int, answers: Mapping[str, Answer], mode: AnswersMode
) -> int:
    """Write an answers file into a round, all or nothing; returns the number of indicators written.

    ``consensus`` (coordinator): levels become the consensus, evidence its rationale, targets the targets.
    ``ratings`` (invited expert): levels and evidence become the importing expert's own ratings.
    """
    with services.db.transaction() as session:
        actor = services.load_actor(session, actor_id)
        round_, facts = services.load_round(session, round_id)
        if mode == "consensus":
            require_coordinate(actor, facts, "import consensus levels into this round")
        else:
            require_rate(actor, facts)
        services.require_editable(round_)
        questionnaire = questionnaire_of(round_.questionnaire_version)
        problems = [
            Problem(indicator_id, f"no indicator '{indicator_id}' in {questionnaire.id} {questionnaire.version}")
            for indicator_id in answers
            if not questionnaire.has_indicator(indicator_id)
        ]
        for indicator_id, answer in answers.items():
            for what, value in (("level", answer.level), ("target", answer.target)):
                if value is not None and value not in questionnaire.scale:
                    problems.append(Problem(f"{indicator_id}.{what}", f"{value} is not on the scale"))
        if problems:
            raise ImportFailed("nothing was imported", tuple(problems))
        now = utcnow()
        written = 0
        for indicator_id, answer in answers.items():
            if mode == "consensus":
                written += _upsert(
                    session,
                    Consensus,
                    round_id,
                    indicator_id,
                    actor.user_ref,
                    now,
                    {"level": answer.level, "not_applicable": answer.not_applicable, "rationale": answer.evidence},
                )
                if answer.target is not None:
                    _upsert(session, Target, round_id, indicator_id, actor.user_ref, now, {"target": answer.target})
            else:
                written += _upsert_rating(session, round_id, indicator_id, actor.user_id, now, answer)
        audit.record(
            session,
            actor,
            f"import_{mode}",
            "round",
            str(round_id),
            new={"indicators": written, "mode": mode},
            health_system_id=round_.health_system_id,
            round_id=round_id,
        )
        return written


def _upsert(
    session: Session,
    model: Any,
    round_id: int,
    indicator_id: str,
    user_id: int | None,
    now: dt.datetime,
    values: dict[str, object],
) -> int:
    row = session.scalars(select(model).where(model.round_id == round_id, model.indicator_id == indicator_id)).first()
    if row is None:
        session.add(model(round_id=round_id, indicator_id=indicator_id, updated_by=user_id, updated_at=now, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.version += 1
        row.updated_by = user_id
        row.updated_at = now
    return 1


def _upsert_rating(
    session: Session, round_id: int, indicator_id: str, user_id: int, now: dt.datetime, answer: Answer
) -> int:
    row = session.scalars(
        select(Rating).where(
            Rating.round_id == round_id, Rating.indicator_id == indicator_id, Rating.expert_id == user_id
        )
    ).first()
    if row is None:
        row = Rating(round_id=round_id, indicator_id=indicator_id, expert_id=user_id, links="[]")
        session.add(row)
        row.version = 1
    else:
        row.version += 1
    row.level = answer.level
    row.not_applicable = answer.not_applicable
    row.evidence = answer.evidence
    row.updated_at = now
    return 1
