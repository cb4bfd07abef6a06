"""Use cases, one module per aggregate.  Every use case checks permissions itself (the UI is
not the gatekeeper), runs in one unit of work (a transaction, the acting user,
the round's facts), and writes the audit trail in that same transaction.

Concurrent edits: every editable record carries a version counter.  A save
names the version it was based on (0 for "there was none"), or the value of
the one field its author saw; when the record has moved on since, the save is
refused with :class:`~b1mg_maturity.errors.Conflict`, which carries both
values.  Nothing is ever overwritten silently.

Where to look: ``accounts`` (sign-in, sessions, users, roles), ``systems``,
``questionnaires``, ``rounds`` (opening, experts, status workflow),
``answers`` (ratings, consensus, targets), ``results``, ``audit_log``; the
pages and the command line use the :class:`Services` facade that joins them.
"""

from __future__ import annotations

from b1mg_maturity.consensus import effective_answers
from b1mg_maturity.services.accounts import AccountUseCases
from b1mg_maturity.services.answers import AnswerUseCases
from b1mg_maturity.services.audit_log import AuditUseCases
from b1mg_maturity.services.base import OPERATOR_ID
from b1mg_maturity.services.capabilities import CapabilityUseCases
from b1mg_maturity.services.checks import MAX_EVIDENCE_CHARS, MAX_RATIONALE_CHARS, clean_links
from b1mg_maturity.services.mail import MailUseCases
from b1mg_maturity.services.plans import PlanUseCases
from b1mg_maturity.services.preferences import PreferenceUseCases
from b1mg_maturity.services.progress import ProgressUseCases
from b1mg_maturity.services.questionnaires import QuestionnaireUseCases, questionnaire_of
from b1mg_maturity.services.results import ResultUseCases
from b1mg_maturity.services.rounds import RoundUseCases
from b1mg_maturity.services.systems import SystemUseCases
from b1mg_maturity.services.views import (
    AuditView,
    ConsensusView,
    HealthSystemView,
    QuestionnaireVersionView,
    RatingView,
    RoundScores,
    RoundView,
    TargetView,
    UserView,
)


class Services(
    AccountUseCases,
    SystemUseCases,
    ProgressUseCases,
    RoundUseCases,
    QuestionnaireUseCases,
    AnswerUseCases,
    ResultUseCases,
    AuditUseCases,
    CapabilityUseCases,
    MailUseCases,
    PreferenceUseCases,
    PlanUseCases,
):
    """Every use case over one database.  Each public method takes the acting user's id first.

    ``operator=True`` is for the command line only: whoever can run it holds the
    database credentials anyway, so actor id :data:`OPERATOR_ID` acts as an
    administrator (audited as ``operator``).  The web app never enables it.
    """


__all__ = [
    "MAX_EVIDENCE_CHARS",
    "MAX_RATIONALE_CHARS",
    "OPERATOR_ID",
    "AuditView",
    "ConsensusView",
    "HealthSystemView",
    "QuestionnaireVersionView",
    "RatingView",
    "RoundScores",
    "RoundView",
    "Services",
    "TargetView",
    "UserView",
    "clean_links",
    "effective_answers",
    "questionnaire_of",
]
