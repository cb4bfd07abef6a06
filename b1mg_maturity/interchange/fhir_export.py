"""FHIR export: the questionnaire as a FHIR ``Questionnaire``, a round as a ``QuestionnaireResponse``.

FHIR release: the resources are built and validated with the **R4B** (4.3.0)
model classes of ``fhir.resources`` (``fhir.resources.R4B``).  The installed
``fhir.resources`` 8.x has R5 as its default models and ships R4B and STU3,
but no R4 (4.0.1) models; ``Questionnaire`` and ``QuestionnaireResponse``
are wire-compatible between R4 and R4B, so R4 consumers read the output as is.

Shape of the ``Questionnaire``: one ``group`` item per domain (linkId = domain
id), a nested ``group`` per subdomain, and per indicator a ``choice`` item
(linkId = indicator id) whose options are the levels (system
``urn:b1mg-maturity:level``, codes ``"1"``..``"5"``) plus ``"NA"`` (not
applicable).  Each indicator item has two children: ``{id}.evidence``
(``text``) and ``{id}.target`` (``choice`` over the levels).

The ``QuestionnaireResponse`` carries a round's consensus: the level (or NA)
per indicator, its rationale as the evidence and the target.  It follows the
questionnaire's nesting, so the evidence and the target sit under the
indicator's answer (FHIR nests a question's children under its answer): an
indicator without a consensus answer is left out, target included.  The health
system appears as display-only references; no database ids or usernames leave.

The round document's plan becomes a ``Bundle`` (type ``collection``) of
``Task`` resources, one per action, validated with the same R4B classes (``Task``
is the same in R4 and R4B).  ``description`` is the action's title;
``status`` maps ours (proposed ``draft``, planned ``requested``, in progress
``in-progress``, done ``completed``, dropped ``cancelled`` with the reason as
``statusReason``); ``intent`` is ``proposal`` for a proposed action, else
``plan``; ``restriction.period`` runs from the start to the due date (when the
plan seeks it done), ``executionPeriod.end`` is the day it was done; each
indicator aimed at is an ``input`` (type: the indicator, system
``urn:b1mg-maturity:indicator``; value: the level, system
``urn:b1mg-maturity:level``); the description and notes are ``note``s.  The
owner appears by name only (never an account), the health system as ``for``.
Each entry's ``fullUrl`` is a UUID derived from the health system, the round
and the action's place, so that the same document always gives the same bundle.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaire import QuestionnaireItem, QuestionnaireItemAnswerOption
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.task import Task, TaskInput, TaskRestriction

from b1mg_maturity.domain import CLOSED_STATUSES, ActionStatus
from b1mg_maturity.errors import B1mgError, Problem
from b1mg_maturity.i18n import _
from b1mg_maturity.interchange.round_document import ConsensusEntry, PlanEntry, RoundDocument
from b1mg_maturity.questionnaire import Domain, Indicator, Questionnaire, Subdomain
from b1mg_maturity.scoring import NOT_APPLICABLE

FHIR_RELEASE = "4.3.0"  # R4B
QUESTIONNAIRE_SYSTEM = "urn:b1mg-maturity:questionnaire"
LEVEL_SYSTEM = "urn:b1mg-maturity:level"
INDICATOR_SYSTEM = "urn:b1mg-maturity:indicator"
TASK_STATUS = {
    ActionStatus.PROPOSED: "draft",
    ActionStatus.PLANNED: "requested",
    ActionStatus.IN_PROGRESS: "in-progress",
    ActionStatus.DONE: "completed",
    ActionStatus.DROPPED: "cancelled",
}


def questionnaire_url(q: Questionnaire) -> str:
    return f"{QUESTIONNAIRE_SYSTEM}:{q.id}"


def questionnaire_canonical(q: Questionnaire) -> str:
    """The versioned canonical reference (``url|version``) a response points to."""
    return f"{questionnaire_url(q)}|{q.version}"


def fhir_json(resource: dict[str, Any]) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False)


# --- Questionnaire --------------------------------------------------------------------------------


def questionnaire_to_fhir(q: Questionnaire) -> dict[str, Any]:
    resource = FhirQuestionnaire(
        url=questionnaire_url(q),
        identifier=[Identifier(system=QUESTIONNAIRE_SYSTEM, value=q.id)],
        version=q.version,
        title=q.title,
        language=q.language,
        status="active",
        item=[_domain_item(q, domain) for domain in q.domains],
    )
    return _dump(resource)


def _domain_item(q: Questionnaire, domain: Domain) -> QuestionnaireItem:
    return QuestionnaireItem(
        linkId=domain.id,
        text=domain.title,
        type="group",
        item=[_subdomain_item(q, sub) for sub in domain.subdomains],
    )


def _subdomain_item(q: Questionnaire, sub: Subdomain) -> QuestionnaireItem:
    return QuestionnaireItem(
        linkId=sub.id,
        text=sub.name,
        type="group",
        item=[_indicator_item(q, ind) for ind in sub.indicators],
    )


def _indicator_item(q: Questionnaire, ind: Indicator) -> QuestionnaireItem:
    levels = [_level_coding(q, ind, level) for level in q.scale]
    targets = [_level_coding(q, None, level) for level in q.scale]
    return QuestionnaireItem(
        linkId=ind.id,
        text=ind.statement,
        type="choice",
        answerOption=[QuestionnaireItemAnswerOption(valueCoding=c) for c in [*levels, _na_coding()]],
        item=[
            QuestionnaireItem(linkId=f"{ind.id}.evidence", text="Evidence and rationale", type="text"),
            QuestionnaireItem(
                linkId=f"{ind.id}.target",
                text="Target level",
                type="choice",
                answerOption=[QuestionnaireItemAnswerOption(valueCoding=c) for c in targets],
            ),
        ],
    )


def _level_coding(q: Questionnaire, ind: Indicator | None, level: int) -> Coding:
    """``N · label: description`` for an indicator's level; ``N · label`` for a bare scale level."""
    display = f"{level} · {q.level_label(level)}"
    described = ind.levels.get(level) if ind is not None else None
    return Coding(system=LEVEL_SYSTEM, code=str(level), display=f"{display}: {described}" if described else display)


def _na_coding() -> Coding:
    return Coding(system=LEVEL_SYSTEM, code=NOT_APPLICABLE, display=f"{NOT_APPLICABLE} · Not applicable")


# --- QuestionnaireResponse ------------------------------------------------------------------------


def round_to_fhir_response(doc: RoundDocument, q: Questionnaire) -> dict[str, Any]:
    """The round's consensus as a ``QuestionnaireResponse`` to ``q`` (the questionnaire it was rated against)."""
    if doc.questionnaire.content_hash != q.content_hash:
        raise B1mgError(
            "the round was rated against another questionnaire",
            (
                Problem(
                    _("round document"),
                    _(
                        "rated against '{questionnaire}' version {version} (content {content}), "
                        "not '{expected}' version {expected_version} (content {expected_content})",
                        questionnaire=doc.questionnaire.id,
                        version=doc.questionnaire.version,
                        content=doc.questionnaire.content_hash[:12],
                        expected=q.id,
                        expected_version=q.version,
                        expected_content=q.content_hash[:12],
                    ),
                ),
            ),
        )
    consensus = {entry.indicator_id: entry for entry in doc.consensus}
    targets = {entry.indicator_id: entry.target for entry in doc.targets}
    health_system = Reference(display=f"{doc.health_system.name} ({doc.health_system.code})")

    def answered_indicators(sub: Subdomain) -> list[QuestionnaireResponseItem]:
        items = (_indicator_answer(q, ind, consensus.get(ind.id), targets.get(ind.id)) for ind in sub.indicators)
        return [item for item in items if item is not None]

    domain_items = []
    for domain in q.domains:
        sub_items = [
            QuestionnaireResponseItem(linkId=sub.id, text=sub.name, item=children)
            for sub in domain.subdomains
            if (children := answered_indicators(sub))
        ]
        if sub_items:
            domain_items.append(QuestionnaireResponseItem(linkId=domain.id, text=domain.title, item=sub_items))

    resource = QuestionnaireResponse(
        questionnaire=questionnaire_canonical(q),
        status="completed" if doc.round.status in CLOSED_STATUSES else "in-progress",
        authored=_aware(doc.exported_at),
        language=q.language,
        subject=health_system,
        source=health_system,
        item=domain_items or None,
    )
    return _dump(resource)


def _indicator_answer(
    q: Questionnaire, ind: Indicator, entry: ConsensusEntry | None, target: int | None
) -> QuestionnaireResponseItem | None:
    if entry is None or (entry.level is None and not entry.not_applicable):
        return None
    coding = _na_coding() if entry.level is None else _level_coding(q, ind, entry.level)
    children = []
    if entry.rationale.strip():
        children.append(
            QuestionnaireResponseItem(
                linkId=f"{ind.id}.evidence",
                answer=[QuestionnaireResponseItemAnswer(valueString=entry.rationale)],
            )
        )
    if target is not None:
        children.append(
            QuestionnaireResponseItem(
                linkId=f"{ind.id}.target",
                answer=[QuestionnaireResponseItemAnswer(valueCoding=_level_coding(q, None, target))],
            )
        )
    return QuestionnaireResponseItem(
        linkId=ind.id,
        text=ind.statement,
        answer=[QuestionnaireResponseItemAnswer(valueCoding=coding, item=children or None)],
    )


# --- the plan as Tasks -----------------------------------------------------------------------------


def plan_to_fhir_bundle(doc: RoundDocument) -> dict[str, Any]:
    """The plan in the round document as a ``Bundle`` of ``Task`` resources (a bundle without entries: no plan)."""
    problems = [
        Problem(
            _("plan, action {number}", number=number),
            _("'{status}' is not a status of an action", status=entry.status),
        )
        for number, entry in enumerate(doc.plan, start=1)
        if entry.status not in TASK_STATUS
    ]
    if problems:
        raise B1mgError("the plan has actions of unknown status", tuple(problems))
    health_system = Reference(display=f"{doc.health_system.name} ({doc.health_system.code})")
    entries = [
        BundleEntry(
            fullUrl=_task_urn(doc, number),
            resource=_task(entry, health_system),
        )
        for number, entry in enumerate(doc.plan, start=1)
    ]
    bundle = Bundle(type="collection", timestamp=_aware(doc.exported_at), entry=entries or None)
    return _dump(bundle)


def _task_urn(doc: RoundDocument, number: int) -> str:
    key = f"{QUESTIONNAIRE_SYSTEM}:{doc.health_system.code}/{doc.round.label}/{doc.round.round_date}/action/{number}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def _task(entry: PlanEntry, health_system: Reference) -> Task:
    status = ActionStatus(entry.status)
    notes = [Annotation(text=text) for text in (entry.description, entry.notes) if text.strip()]
    period = Period(start=entry.start, end=entry.due) if entry.start or entry.due else None
    done = status == ActionStatus.DONE and entry.done_on is not None
    return Task(
        status=TASK_STATUS[status],
        statusReason=CodeableConcept(text=entry.drop_reason)
        if status == ActionStatus.DROPPED and entry.drop_reason.strip()
        else None,
        intent="proposal" if status == ActionStatus.PROPOSED else "plan",
        description=entry.title,
        for_fhir=health_system,
        owner=Reference(display=entry.owner_name) if entry.owner_name.strip() else None,
        restriction=TaskRestriction(period=period) if period is not None else None,
        executionPeriod=Period(end=entry.done_on) if done else None,
        input=[
            TaskInput(
                type=CodeableConcept(coding=[Coding(system=INDICATOR_SYSTEM, code=aim.indicator_id)]),
                valueCoding=Coding(system=LEVEL_SYSTEM, code=str(aim.level)),
            )
            for aim in entry.aims
        ]
        or None,
        note=notes or None,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    """FHIR date-times with a time need a zone; a naive time is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _dump(resource: FhirQuestionnaire | QuestionnaireResponse | Bundle) -> dict[str, Any]:
    dumped: dict[str, Any] = resource.model_dump(mode="json", exclude_none=True)
    return dumped
