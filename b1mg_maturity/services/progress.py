"""A round's progress: experts finishing their part, the coordinator's view of who is where, what comes next.

The words a user reads about progress ("3 domains left in Round 2026 of XA")
are made here, once, from counts the database gives, in the language of the
work at hand (:mod:`b1mg_maturity.i18n`); the pages only show them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b1mg_maturity import audit, i18n
from b1mg_maturity.consensus import is_recorded
from b1mg_maturity.domain import RATING_ROLES, RoundStatus, SystemRole
from b1mg_maturity.errors import InvalidState, Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _, _n, _p
from b1mg_maturity.notify import app_link, reminder_mail
from b1mg_maturity.permissions import (
    Actor,
    Page,
    RoundFacts,
    is_rating_expert,
    may_rate,
    require_coordinate,
    require_own_part,
    require_read,
)
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.services.mail_language import mail_language
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.rounds import RoundUseCases
from b1mg_maturity.services.views import round_name
from b1mg_maturity.storage.models import AssessmentRound, Consensus, Rating, RoundExpert, User, utcnow

# --- words ------------------------------------------------------------------------------------


def count_of(number: int, noun: str, plural: str | None = None) -> str:
    """``1 domain``, ``2 domains`` (``plural`` for nouns that do not take an s): English only, for logs and
    tests; a text for people counts with ``i18n._n``."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _indicators(number: int) -> str:
    return _n("{n} indicator", "{n} indicators", number)


# --- an expert's own part ---------------------------------------------------------------------


@dataclass(frozen=True)
class DomainLeft:
    """A domain where the expert left indicators unanswered (neither a level nor "not applicable")."""

    domain_id: str
    title: str
    indicator_ids: tuple[str, ...]


@dataclass(frozen=True)
class MyPart:
    """One expert's part of one round: what is answered, what is left, and whether they marked it finished."""

    round_id: int
    answered: int
    total: int  # the questionnaire's indicators (49 for the bundled MLM)
    left: tuple[DomainLeft, ...]  # domains with unanswered indicators, in questionnaire order
    finished_at: dt.datetime | None
    status: str  # the round's status
    may_rate: bool
    may_finish: bool
    may_reopen: bool

    @property
    def unanswered(self) -> int:
        return self.total - self.answered

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def closed(self) -> bool:
        """The round has left draft: the experts' part is over, finished or not."""
        return self.status != RoundStatus.DRAFT

    @property
    def summary(self) -> str:
        """Where the expert stands, in words."""
        if self.closed:
            return _("The round has gone to consensus review: your part is closed.")
        if self.finished:
            return _("You marked your part finished: the coordinator takes it from here.")
        if not self.left:
            return _n(
                "All {n} indicator answered: mark your part finished when you are ready.",
                "All {n} indicators answered: mark your part finished when you are ready.",
                self.total,
            )
        return _n(
            "{n} indicator of {total} answered; {domains} left.",
            "{n} indicators of {total} answered; {domains} left.",
            self.answered,
            total=self.total,
            domains=_n("{n} domain", "{n} domains", len(self.left)),
        )


def _my_part(
    questionnaire: Questionnaire, round_: AssessmentRound, facts: RoundFacts, actor: Actor, recorded: set[str]
) -> MyPart:
    left = []
    for domain in questionnaire.domains:
        missing = tuple(ind.id for ind in domain.indicators if ind.id not in recorded)
        if missing:
            left.append(DomainLeft(domain.id, domain.title, missing))
    invited = is_rating_expert(actor, facts)
    finished = actor.user_id in facts.finished_ids
    draft = facts.status == RoundStatus.DRAFT
    return MyPart(
        round_id=round_.id,
        answered=sum(1 for ind in questionnaire.indicators if ind.id in recorded),
        total=len(questionnaire.indicators),
        left=tuple(left),
        finished_at=None,
        status=facts.status,
        may_rate=may_rate(actor, facts),
        may_finish=invited and draft and not finished,
        may_reopen=invited and draft and finished,
    )


def _recorded_by(session: Session, round_id: int, expert_id: int) -> set[str]:
    """The indicators an expert answered in a round (a level or "not applicable")."""
    return set(
        session.scalars(
            select(Rating.indicator_id).where(
                Rating.round_id == round_id,
                Rating.expert_id == expert_id,
                (Rating.level.is_not(None)) | Rating.not_applicable.is_(True),
            )
        )
    )


# --- the coordinator's view -------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertProgress:
    """One invited expert's progress in a round."""

    username: str
    display_name: str
    has_email: bool
    answered: int
    total: int
    finished_at: dt.datetime | None
    last_activity: dt.datetime | None  # their latest rating change in this round

    @property
    def started(self) -> bool:
        return self.answered > 0 or self.finished_at is not None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def state(self) -> str:
        if self.finished:
            return _("Finished")
        return _p("an expert's state", "Rating") if self.started else _("Not started")


@dataclass(frozen=True)
class RoundProgress:
    """Every invited expert's progress in a round, for its coordinator."""

    round_id: int
    status: str
    total: int  # indicators in the questionnaire
    experts: tuple[ExpertProgress, ...]  # by username

    @property
    def to_remind(self) -> tuple[ExpertProgress, ...]:
        """Experts who have not finished, while the round is a draft (afterwards their part is closed)."""
        if self.status != RoundStatus.DRAFT:
            return ()
        return tuple(e for e in self.experts if not e.finished)

    @property
    def not_started(self) -> int:
        return sum(1 for e in self.experts if not e.started)

    @property
    def unfinished(self) -> int:
        return sum(1 for e in self.experts if not e.finished)


def _experts_progress(session: Session, round_id: int, total: int) -> tuple[ExpertProgress, ...]:
    answered = func.count(Rating.id).filter((Rating.level.is_not(None)) | Rating.not_applicable.is_(True))
    counts = {
        expert_id: (done, last)
        for expert_id, done, last in session.execute(
            select(Rating.expert_id, answered, func.max(Rating.updated_at))
            .where(Rating.round_id == round_id)
            .group_by(Rating.expert_id)
        )
    }
    rows = session.execute(
        select(User.id, User.username, User.display_name, User.email, RoundExpert.finished_at)
        .join(RoundExpert, RoundExpert.user_id == User.id)
        .where(RoundExpert.round_id == round_id)
        .order_by(User.username)
    )
    return tuple(
        ExpertProgress(
            username,
            display_name or username,
            bool(email),
            counts.get(user_id, (0, None))[0],
            total,
            finished_at,
            counts.get(user_id, (0, None))[1],
        )
        for user_id, username, display_name, email, finished_at in rows
    )


# --- what the submit confirmation says --------------------------------------------------------


@dataclass(frozen=True)
class OpenIndicator:
    indicator_id: str
    statement: str
    experts_with_a_level: int  # how many experts gave it a level
    experts_not_applicable: int  # how many said "not applicable"


@dataclass(frozen=True)
class SubmitCheck:
    """What a round's result would rest on if it were submitted now."""

    total: int
    without_consensus: tuple[OpenIndicator, ...]  # in questionnaire order

    @property
    def agreed(self) -> int:
        return self.total - len(self.without_consensus)

    @property
    def single_expert(self) -> tuple[OpenIndicator, ...]:
        """Indicators without consensus that exactly one expert rated: their result is that one expert's level."""
        return tuple(i for i in self.without_consensus if i.experts_with_a_level == 1)

    @property
    def unrated(self) -> tuple[OpenIndicator, ...]:
        """Indicators without consensus and without any expert's level: no result at all."""
        return tuple(i for i in self.without_consensus if i.experts_with_a_level == 0 and i.experts_not_applicable == 0)

    @property
    def summary(self) -> str:
        if not self.without_consensus:
            return _n(
                "Every one of the {n} indicator has a consensus.",
                "Every one of the {n} indicators has a consensus.",
                self.total,
            )
        words = [
            _n(
                "{n} indicator of {total} has no consensus: their result will be the experts' median.",
                "{n} indicators of {total} have no consensus: their result will be the experts' median.",
                len(self.without_consensus),
                total=self.total,
            )
        ]
        if self.single_expert:
            words.append(
                _n(
                    "{n} indicator of them rests on a single expert's level (only one expert rated it).",
                    "{n} indicators of them rest on a single expert's level (only one expert rated it).",
                    len(self.single_expert),
                )
            )
        if self.unrated:
            words.append(
                _n(
                    "{n} indicator has no level at all and will count as not answered.",
                    "{n} indicators have no level at all and will count as not answered.",
                    len(self.unrated),
                )
            )
        return " ".join(words)


def submit_check(
    questionnaire: Questionnaire, ratings: Iterable[tuple[str, int | None, bool]], agreed: Iterable[str]
) -> SubmitCheck:
    """Pure: from the experts' ratings (indicator id, level, not applicable) and the indicators with a
    recorded consensus."""
    levels: dict[str, int] = {}
    not_applicable: dict[str, int] = {}
    for indicator_id, level, na in ratings:
        if level is not None:
            levels[indicator_id] = levels.get(indicator_id, 0) + 1
        elif na:
            not_applicable[indicator_id] = not_applicable.get(indicator_id, 0) + 1
    done = set(agreed)
    return SubmitCheck(
        total=len(questionnaire.indicators),
        without_consensus=tuple(
            OpenIndicator(ind.id, ind.statement, levels.get(ind.id, 0), not_applicable.get(ind.id, 0))
            for ind in questionnaire.indicators
            if ind.id not in done
        ),
    )


# --- what to do next --------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """One thing the user could do now, in words, with the page where it is done."""

    text: str
    page: Page
    round_id: int | None = None
    link_label: str = ""


def _round_name(round_: AssessmentRound) -> str:
    return _("{round} of {health_system}", round=round_name(round_), health_system=round_.health_system.code)


def _coordinator_step(round_: AssessmentRound, progress: RoundProgress, agreed: int) -> NextStep:
    """Where the round stands for its coordinator: clauses (each a message of its own) after the round's name."""
    open_ = progress.total - agreed
    parts = []
    if round_.status == RoundStatus.DRAFT:
        if not progress.experts:
            parts.append(_("no expert invited yet"))
        else:
            if progress.not_started:
                parts.append(_n("{n} expert has not started", "{n} experts have not started", progress.not_started))
            rating = progress.unfinished - progress.not_started
            if rating:
                parts.append(_n("{n} expert still rating", "{n} experts still rating", rating))
    if open_:
        parts.append(_n("{n} indicator has no consensus", "{n} indicators have no consensus", open_))
    else:
        parts.append(_("consensus complete"))
    if round_.status == RoundStatus.DRAFT:
        ready = progress.experts and not progress.unfinished
        parts.append(_("ready for review") if ready else _("start the review when the experts are done"))
    else:
        parts.append(_("ready to submit") if not open_ else _("in review: agree the rest, then submit"))
    text = _("{round}: {steps}.", round=_round_name(round_), steps=_("; ").join(parts))
    return NextStep(text, Page.CONSENSUS, round_.id, _("Open the consensus"))


class ProgressUseCases(RoundUseCases):
    def my_part(self, actor_id: int, round_id: int) -> MyPart:
        """The acting expert's part of a round: answered, left by domain, finished or not."""
        with self.reading_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, with_questionnaire=True)
            require_read(actor, facts)
            return self._part_of(session, round_, facts, actor)

    def _part_of(self, session: Session, round_: AssessmentRound, facts: RoundFacts, actor: Actor) -> MyPart:
        questionnaire = questionnaire_of(round_.questionnaire_version)
        part = _my_part(questionnaire, round_, facts, actor, _recorded_by(session, round_.id, actor.user_id))
        finished_at = session.scalar(
            select(RoundExpert.finished_at).where(
                RoundExpert.round_id == round_.id, RoundExpert.user_id == actor.user_id
            )
        )
        return dataclasses.replace(part, finished_at=finished_at)

    def finish_my_part(self, actor_id: int, round_id: int) -> MyPart:
        """The expert marks their part finished (unanswered indicators stay unanswered; the page checked first)."""
        return self._mark_part(actor_id, round_id, finish=True)

    def reopen_my_part(self, actor_id: int, round_id: int) -> MyPart:
        """The expert takes their part back to change it, while the round is still a draft."""
        return self._mark_part(actor_id, round_id, finish=False)

    def _mark_part(self, actor_id: int, round_id: int, *, finish: bool) -> MyPart:
        what = N_("mark your part of this round finished") if finish else N_("reopen your part of this round")
        with self.writing_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, lock="share", with_questionnaire=True)
            require_own_part(actor, facts, what)
            invitation = session.scalars(
                select(RoundExpert).where(RoundExpert.round_id == round_id, RoundExpert.user_id == actor.user_id)
            ).one()
            if finish and invitation.finished_at is not None:
                raise InvalidState(_("Your part of this round is already marked finished."))
            if not finish and invitation.finished_at is None:
                raise InvalidState(_("Your part of this round is open already."))
            before = self._part_of(session, round_, facts, actor)
            invitation.finished_at = utcnow() if finish else None
            audit.record(
                session,
                actor,
                "finish_part" if finish else "reopen_part",
                "round_expert",
                f"{round_id}/{actor.username}",
                old={"finished": not finish},
                new={"finished": finish, **({"unanswered": before.unanswered} if finish else {})},
                health_system_id=round_.health_system_id,
                round_id=round_id,
            )
            session.flush()
            facts = self.load_round(session, round_id, with_questionnaire=True)[1]
            return self._part_of(session, round_, facts, actor)

    def round_progress(self, actor_id: int, round_id: int) -> RoundProgress:
        """Every invited expert's progress (answered of all indicators, finished, last activity): coordinators."""
        with self.reading_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, with_questionnaire=True)
            require_coordinate(actor, facts, N_("see the experts' progress in this round"))
            total = len(questionnaire_of(round_.questionnaire_version).indicators)
            return RoundProgress(round_id, round_.status, total, _experts_progress(session, round_id, total))

    def send_reminders(self, actor_id: int, round_id: int, usernames: Sequence[str]) -> int:
        """Queue a reminder mail to each named expert who has not finished (a draft round); returns how many.

        One mail per expert, so that each says how many indicators that expert left.
        """
        with self.writing_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, lock="share", with_questionnaire=True)
            require_coordinate(actor, facts, N_("send reminders in this round"))
            if round_.status != RoundStatus.DRAFT:
                raise InvalidState(
                    _(
                        "This round is {status}: the experts' part is closed, so there is nothing to remind them of.",
                        status=RoundStatus.label_of(round_.status).lower(),
                    )
                )
            total = len(questionnaire_of(round_.questionnaire_version).indicators)
            progress = {e.username: e for e in _experts_progress(session, round_id, total)}
            wanted = sorted({name.strip().lower() for name in usernames})
            problems = [
                Problem("experts", _("'{name}' is not invited to this round", name=name))
                for name in wanted
                if name not in progress
            ] + [
                Problem("experts", _("'{name}' has finished already", name=name))
                for name in wanted
                if name in progress and progress[name].finished
            ]
            if problems or not wanted:
                raise ValidationFailed(
                    "no reminder", tuple(problems) or (Problem("experts", _("choose whom to remind")),)
                )
            coordinator = self.display_name_of(session, actor)
            link = app_link(self.settings.public_url, "rate", round=round_id)
            readers = {
                name: (address, language)
                for name, address, language in session.execute(
                    select(User.username, User.email, User.language).where(User.username.in_(wanted))
                ).all()
            }
            for name in wanted:
                expert = progress[name]
                address, language = readers.get(name, (None, None))
                to = (address,) if address else ()
                with i18n.language(mail_language(language)):
                    mail = reminder_mail(
                        to, round_.health_system.name, round_.label, coordinator, expert.total - expert.answered, link
                    )
                self.queue_mail(session, mail, health_system_id=round_.health_system_id, round_id=round_id)
                audit.record(
                    session,
                    actor,
                    "remind",
                    "round_expert",
                    f"{round_id}/{name}",
                    new={"unanswered": expert.total - expert.answered, "mailed": bool(to)},
                    health_system_id=round_.health_system_id,
                    round_id=round_id,
                )
            return len(wanted)

    def submit_check(self, actor_id: int, round_id: int) -> SubmitCheck:
        """What the round's result would rest on if it were submitted now (the submit confirmation)."""
        with self.reading_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, with_questionnaire=True)
            require_coordinate(actor, facts, N_("submit this round"))
            return self._submit_check(session, round_)

    @staticmethod
    def _submit_check(session: Session, round_: AssessmentRound) -> SubmitCheck:
        questionnaire = questionnaire_of(round_.questionnaire_version)
        ratings = session.execute(
            select(Rating.indicator_id, Rating.level, Rating.not_applicable).where(Rating.round_id == round_.id)
        )
        agreed = [
            c.indicator_id
            for c in session.scalars(select(Consensus).where(Consensus.round_id == round_.id))
            if is_recorded(c)
        ]
        return submit_check(questionnaire, ((i, level, bool(na)) for i, level, na in ratings), agreed)

    def next_steps(self, actor_id: int) -> list[NextStep]:
        """What the user could do next, in words, each with the page where it is done (My assessments)."""
        with self.reading_as(actor_id) as (session, actor):
            steps: list[NextStep] = []
            rounds = session.scalars(
                select(AssessmentRound)
                .where(AssessmentRound.status.in_((RoundStatus.DRAFT, RoundStatus.IN_REVIEW, RoundStatus.SUBMITTED)))
                .order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
            ).all()
            for round_ in rounds:
                if round_.status == RoundStatus.SUBMITTED:
                    continue
                roles = actor.roles.get(round_.health_system_id, frozenset())
                if roles & RATING_ROLES:
                    step = self._expert_step(session, actor, round_)
                    if step is not None:
                        steps.append(step)
            for round_ in rounds:
                held = actor.roles.get(round_.health_system_id, frozenset())
                if round_.status != RoundStatus.SUBMITTED and SystemRole.COORDINATOR in held:
                    total = len(questionnaire_of(round_.questionnaire_version).indicators)
                    progress = RoundProgress(
                        round_.id, round_.status, total, _experts_progress(session, round_.id, total)
                    )
                    steps.append(_coordinator_step(round_, progress, self._submit_check(session, round_).agreed))
            if actor.is_admin:
                waiting = sum(1 for r in rounds if r.status == RoundStatus.SUBMITTED)
                if waiting:
                    steps.append(
                        NextStep(
                            _n("{n} round waiting to be published.", "{n} rounds waiting to be published.", waiting),
                            Page.ADMIN,
                            None,
                            _("Publish in Administration"),
                        )
                    )
            return steps

    def _expert_step(self, session: Session, actor: Actor, round_: AssessmentRound) -> NextStep | None:
        facts = self.load_round(session, round_.id)[1]
        if not is_rating_expert(actor, facts) or round_.status != RoundStatus.DRAFT:
            return None
        part = self._part_of(session, round_, facts, actor)
        name = _round_name(round_)
        if part.finished:
            return NextStep(
                _("{round}: your part is finished; the coordinator takes it from here.", round=name),
                Page.RATE,
                round_.id,
                _("Open Rate"),
            )
        if not part.left:
            text = _("{round}: every indicator answered; mark your part finished.", round=name)
        else:
            text = _n(
                "{n} domain left for you in {round} ({indicators} you have not rated yet).",
                "{n} domains left for you in {round} ({indicators} you have not rated yet).",
                len(part.left),
                round=name,
                indicators=_indicators(part.total - part.answered),
            )
        return NextStep(text, Page.RATE, round_.id, _("Continue rating"))
