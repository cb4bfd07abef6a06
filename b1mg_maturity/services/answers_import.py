"""Answers files into a round: plan what an import would change, then write exactly that plan.

All or nothing, like the round import: every problem is listed with its place
in the file, and only a fully valid, still-current plan is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.errors import ImportFailed, Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.permissions import (
    Actor,
    require_coordinate,
    require_rate,
)
from b1mg_maturity.scoring import Answer
from b1mg_maturity.services.checks import MAX_EVIDENCE_CHARS, MAX_RATIONALE_CHARS, check_text
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.storage.models import (
    AssessmentRound,
    Consensus,
    Rating,
    Target,
    utcnow,
)

if TYPE_CHECKING:
    from b1mg_maturity.services import Services


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
# The records and fields a problem's place names, in words (the keys are stored names).
_PLACE_WORDS = {"consensus": N_("consensus"), "target": N_("target"), "rating": N_("rating"), "level": N_("level")}


def _at_indicator(indicator_id: str, what: str | None = None) -> str:
    """A problem's place: ``indicator D1.1.1`` or ``indicator D1.1.1, consensus``."""
    if what is None:
        return _("indicator {indicator}", indicator=indicator_id)
    return _("indicator {indicator}, {what}", indicator=indicator_id, what=_(_PLACE_WORDS[what]))


def describe_value(value: Mapping[str, Any] | None) -> str:
    """A recorded value in words, for messages: ``level 3, rationale 'agreed'``."""
    if value is None:
        return _("nothing")
    parts = []
    if value.get("not_applicable"):
        parts.append(_("not applicable"))
    elif "level" in value:
        parts.append(_("no level") if value["level"] is None else _("level {level}", level=value["level"]))
    if "target" in value:
        parts.append(_("target {target}", target=value["target"]))
    for key in ("rationale", "evidence"):
        if value.get(key):
            text = str(value[key])
            shown = text[:40] + ("..." if len(text) > 40 else "")
            parts.append(
                _("rationale '{text}'", text=shown) if key == "rationale" else _("evidence '{text}'", text=shown)
            )
    return ", ".join(parts)


def _wanted(
    answers: Mapping[str, Answer], mode: AnswersMode, problems: list[Problem]
) -> list[tuple[AnswerEntity, str, dict[str, Any]]]:
    """(entity, indicator id, new value) for every record the file sets; texts checked as the use cases do."""
    wanted: list[tuple[AnswerEntity, str, dict[str, Any]]] = []
    for indicator_id, answer in answers.items():
        where = _at_indicator(indicator_id)
        says_something = answer.level is not None or answer.not_applicable or bool(answer.evidence)
        field, limit = ("rationale", MAX_RATIONALE_CHARS) if mode == "consensus" else ("evidence", MAX_EVIDENCE_CHARS)
        try:
            text = check_text(answer.evidence, field, limit)
        except ValidationFailed as exc:
            problems.extend(exc.located(where))
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
        require_coordinate(actor, facts, N_("import consensus levels into this round"))
    else:
        require_rate(actor, facts)
    services.require_editable(round_)
    questionnaire = questionnaire_of(round_.questionnaire_version)
    problems = [
        Problem(
            _at_indicator(indicator_id),
            _(
                "no indicator '{indicator}' in {questionnaire} {version}",
                indicator=indicator_id,
                questionnaire=questionnaire.id,
                version=questionnaire.version,
            ),
        )
        for indicator_id in answers
        if not questionnaire.has_indicator(indicator_id)
    ]
    for indicator_id, answer in answers.items():
        for what, value in (("level", answer.level), ("target", answer.target)):
            if value is not None and value not in questionnaire.scale:
                problems.append(
                    Problem(_at_indicator(indicator_id, what), _("{value} is not on the scale", value=value))
                )
    wanted = _wanted(answers, mode, problems)
    if problems:
        raise ImportFailed(_("nothing was imported"), tuple(problems))
    return actor, round_, wanted


def plan_answers_import(
    services: Services, actor_id: int, round_id: int, answers: Mapping[str, Answer], mode: AnswersMode
) -> AnswersPlan:
    """What :func:`import_answers` would change now (checked the same way; writes nothing)."""
    with services.db.reading() as session:
        actor, _round, wanted = _open_for_answers(services, session, actor_id, round_id, answers, mode, writing=False)
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
        raise ValidationFailed("other plan", (Problem("", _("the confirmed plan is for another round or mode")),))
    stale = ImportFailed(
        _("the round changed while the import was being written; nothing was imported: read it again"),
        (Problem("", _("someone saved an answer of this round at the same moment; nothing was imported")),),
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
                    # English keeps its "value(s)"; other languages give their plural forms
                    _n(
                        "{n} recorded value(s) changed since the import was planned; nothing was imported",
                        "{n} recorded value(s) changed since the import was planned; nothing was imported",
                        len(found),
                    )
                    if based_on is not None
                    else _n(
                        "{n} recorded value(s) would be overwritten; nothing was imported: "
                        "look at them and confirm to overwrite",
                        "{n} recorded value(s) would be overwritten; nothing was imported: "
                        "look at them and confirm to overwrite",
                        len(found),
                    )
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
    where = _at_indicator(change.indicator_id, change.entity)
    read = 0 if based_on is None else based_on.version_read(change.entity, change.indicator_id)
    if change.version == read:
        return None
    if based_on is None:
        return Problem(
            where, _("would overwrite {old} with {new}", old=describe_value(change.old), new=describe_value(change.new))
        )
    return Problem(where, _("changed since the import was planned: now {old}", old=describe_value(change.old)))


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
