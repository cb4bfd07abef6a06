"""Assessment rounds: opening, experts, and the status workflow."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b1mg_maturity import audit, i18n
from b1mg_maturity.consensus import effective_answers
from b1mg_maturity.domain import EDITABLE_STATUSES, RATING_ROLES, GlobalRole, RoundPeriod, RoundStatus, round_name
from b1mg_maturity.errors import InvalidState, NotFound, Problem, ValidationFailed
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.notify import MailKind, app_link, invitation_mail, status_mail
from b1mg_maturity.permissions import (
    PUBLISH,
    RATING_STATUSES,
    REOPEN,
    START_REVIEW,
    SUBMIT,
    Actor,
    RoundFacts,
    StatusMove,
    can_read_round,
    require_admin,
    require_coordinate,
    require_coordinator,
    require_read,
)
from b1mg_maturity.services.mail_language import by_language, mail_language
from b1mg_maturity.services.questionnaires import QuestionnaireUseCases, questionnaire_of
from b1mg_maturity.services.round_periods import check_free_label, check_period, name_taken
from b1mg_maturity.services.views import RoundView, UserView, round_view
from b1mg_maturity.storage.models import (
    AssessmentRound,
    AuditEntry,
    Consensus,
    Membership,
    QuestionnaireVersion,
    Rating,
    RoundExpert,
    Target,
    User,
    utcnow,
)
from b1mg_maturity.text_rules import MAX_LABEL_CHARS, clean_line, clean_text


class RoundUseCases(QuestionnaireUseCases):
    def open_round(
        self,
        actor_id: int,
        health_system_code: str,
        label: str,
        round_date: dt.date,
        *,
        period: RoundPeriod | None = None,
        questionnaire_version_id: int | None = None,
        copy_from_round_id: int | None = None,
    ) -> RoundView:
        """Open a round.  With a ``period``, ``label`` is the optional free label and the round's name is
        composed from both (:func:`~b1mg_maturity.domain.round_name`: "Round 2026 H1 - Spring check").
        Without one (scripts, tests), ``label`` is the whole name and the period is the year of the date,
        as for the rounds opened before periods existed."""
        if period is None:
            label = clean_line(label, "label")
            if not label or len(label) > MAX_LABEL_CHARS:
                raise ValidationFailed(
                    "bad label",
                    (Problem("label", _("give the round a name of 1-{limit} characters", limit=MAX_LABEL_CHARS)),),
                )
            period, free_label, name = RoundPeriod(round_date.year), "", label
        else:
            period, free_label = check_period(period), check_free_label(label)
            name = round_name(period, free_label)
        qv_id = questionnaire_version_id or self.bundled_questionnaire_id()
        with self.writing_as(actor_id) as (session, actor):
            system = self.system_by_code(session, health_system_code)
            require_coordinator(actor, system.id, N_("open rounds for this health system"))
            if session.get(QuestionnaireVersion, qv_id) is None:
                raise NotFound(_("No questionnaire version {id}.", id=qv_id))
            taken = session.scalars(
                select(AssessmentRound).where(
                    AssessmentRound.health_system_id == system.id, AssessmentRound.label == name
                )
            ).first()
            if taken is not None:
                raise ValidationFailed("label taken", (name_taken(system.code, name, free_label),))
            round_ = AssessmentRound(
                health_system_id=system.id,
                questionnaire_version_id=qv_id,
                label=name,
                period_year=period.year,
                period_half=period.half,
                free_label=free_label,
                round_date=round_date,
                created_by=actor.user_ref,
            )
            session.add(round_)
            session.flush()
            audit.record(
                session,
                actor,
                "open",
                "round",
                f"{system.code}/{name}",
                new={
                    "label": name,
                    "period": period.text,
                    "free_label": free_label,
                    "date": round_date.isoformat(),
                    "questionnaire_version_id": qv_id,
                },
                health_system_id=system.id,
                round_id=round_.id,
            )
            if copy_from_round_id is not None:
                self._copy_answers(session, actor, copy_from_round_id, round_)
            session.refresh(round_)
            return round_view(round_)

    def _copy_answers(self, session: Session, actor: Actor, source_id: int, round_: AssessmentRound) -> None:
        """Start from the previous round: its consensus (or experts' median) becomes this round's consensus."""
        source, facts = self.load_round(session, source_id)
        require_coordinate(actor, facts, N_("copy from that round"))
        if source.health_system_id != round_.health_system_id:
            raise ValidationFailed("other system", (Problem("copy_from", _("copy only from the same health system")),))
        if source.questionnaire_version_id != round_.questionnaire_version_id:
            raise ValidationFailed(
                "other questionnaire",
                (
                    Problem(
                        "copy_from", _("that round used another questionnaire version; its answers cannot be copied")
                    ),
                ),
            )
        questionnaire = questionnaire_of(source.questionnaire_version)
        answers, _basis = effective_answers(
            questionnaire,
            session.scalars(select(Rating).where(Rating.round_id == source.id)),
            session.scalars(select(Consensus).where(Consensus.round_id == source.id)),
            session.scalars(select(Target).where(Target.round_id == source.id)),
        )
        for indicator_id, answer in answers.items():
            if answer.level is not None or answer.not_applicable:
                session.add(
                    Consensus(
                        round_id=round_.id,
                        indicator_id=indicator_id,
                        level=answer.level,
                        not_applicable=answer.not_applicable,
                        rationale=answer.evidence,
                        updated_by=actor.user_ref,
                    )
                )
            if answer.target is not None:
                session.add(
                    Target(
                        round_id=round_.id, indicator_id=indicator_id, target=answer.target, updated_by=actor.user_ref
                    )
                )
        audit.record(
            session,
            actor,
            "copy_answers",
            "round",
            str(round_.id),
            new={"from_round_id": source.id, "indicators": len(answers)},
            health_system_id=round_.health_system_id,
            round_id=round_.id,
        )

    def get_round(self, actor_id: int, round_id: int) -> RoundView:
        with self.reading_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return round_view(round_)

    def list_rounds(self, actor_id: int) -> list[RoundView]:
        """Every round this user may open, newest first."""
        with self.reading_as(actor_id) as (session, actor):
            rounds = session.scalars(
                select(AssessmentRound).order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
            ).all()
            experts: dict[int, set[int]] = {}
            for round_id, user_id in session.execute(select(RoundExpert.round_id, RoundExpert.user_id)):
                experts.setdefault(round_id, set()).add(user_id)
            return [
                round_view(r)
                for r in rounds
                if can_read_round(
                    actor, RoundFacts(r.id, r.health_system_id, r.status, frozenset(experts.get(r.id, set())))
                )
            ]

    def rounds_to_rate(self, actor_id: int) -> list[RoundView]:
        """Open rounds this user was invited to rate, in health systems where they still hold a rating role."""
        with self.reading_as(actor_id) as (session, actor):
            rating_in = [system_id for system_id, roles in actor.roles.items() if roles & RATING_ROLES]
            rounds = session.scalars(
                select(AssessmentRound)
                .join(RoundExpert, RoundExpert.round_id == AssessmentRound.id)
                .where(RoundExpert.user_id == actor.user_id, AssessmentRound.status.in_(EDITABLE_STATUSES))
                .where(AssessmentRound.health_system_id.in_(rating_in))
                .order_by(AssessmentRound.round_date.desc(), AssessmentRound.id.desc())
            )
            return [round_view(r) for r in rounds]

    def last_changes(self, actor_id: int) -> dict[int, dt.datetime]:
        """When each round the user may open was last changed (from the audit trail)."""
        readable = {r.id for r in self.list_rounds(actor_id)}
        with self.db.reading() as session:
            rows = session.execute(
                select(AuditEntry.round_id, func.max(AuditEntry.at))
                .where(AuditEntry.round_id.in_(readable))
                .group_by(AuditEntry.round_id)
            ).all()
            return {round_id: at for round_id, at in rows if round_id is not None}

    def invitable_experts(self, actor_id: int, health_system_code: str) -> list[UserView]:
        """The experts (and coordinators) of a health system, for its coordinator to invite."""
        with self.reading_as(actor_id) as (session, actor):
            system = self.system_by_code(session, health_system_code)
            require_coordinator(actor, system.id, N_("invite experts of this health system"))
            users = session.scalars(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.health_system_id == system.id,
                    Membership.role.in_(RATING_ROLES),
                    User.is_active.is_(True),
                )
                .order_by(User.username)
                .distinct()
            )
            return [UserView(u.id, u.username, u.display_name, u.email, u.global_role, ()) for u in users]

    def invite_expert(self, actor_id: int, round_id: int, username: str) -> None:
        with self.writing_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, lock="share")  # no invitation lands after submit
            require_coordinate(actor, facts, N_("invite experts to this round"))
            if round_.status not in RATING_STATUSES:  # review closes the experts' part: an invitee could not rate
                raise InvalidState(_("Experts are invited while the round is a draft; this one is already in review."))
            user = self.user_by_name(session, username)
            member_roles = {m.role for m in user.memberships if m.health_system_id == round_.health_system_id}
            if not member_roles & RATING_ROLES:
                raise ValidationFailed(
                    "not an expert",
                    (
                        Problem(
                            "username",
                            _(
                                "'{username}' is not an expert of {system}; give them the expert role first",
                                username=user.username,
                                system=round_.health_system.code,
                            ),
                        ),
                    ),
                )
            if user.id not in facts.expert_ids:
                session.add(RoundExpert(round_id=round_.id, user_id=user.id, invited_by=actor.user_ref))
                audit.record(
                    session,
                    actor,
                    "invite",
                    "round_expert",
                    f"{round_.id}/{user.username}",
                    new={"expert": user.username},
                    health_system_id=round_.health_system_id,
                    round_id=round_.id,
                )
                link = app_link(self.settings.public_url, "rate", round=round_.id)
                with i18n.language(mail_language(user.language)):
                    mail = invitation_mail(
                        (user.email,) if user.email else (),
                        round_.health_system.name,
                        round_.label,
                        self.display_name_of(session, actor),
                        link,
                    )
                self.queue_mail(session, mail, health_system_id=round_.health_system_id, round_id=round_.id)

    @staticmethod
    def display_name_of(session: Session, actor: Actor) -> str:
        """How a mail names the person who acts (the command-line operator: "An administrator")."""
        user = session.get(User, actor.user_id) if actor.user_ref is not None else None
        return user.display_name or user.username if user is not None else _("An administrator")

    def uninvite_expert(self, actor_id: int, round_id: int, username: str) -> int:
        """Take an invitation back (draft or in review); returns how many of the expert's ratings went with it.

        The ratings leave the round (its results no longer count them), but each
        one's last value is written to the audit trail first, so it stays readable.
        """
        with self.writing_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, lock=True)
            require_coordinate(actor, facts, N_("uninvite experts from this round"))
            self.require_editable(round_)
            user = self.user_by_name(session, username)
            invitation = session.scalars(
                select(RoundExpert).where(RoundExpert.round_id == round_id, RoundExpert.user_id == user.id)
            ).first()
            if invitation is None:
                raise ValidationFailed(
                    "not invited",
                    (Problem("username", _("'{username}' is not invited to this round", username=user.username)),),
                )
            ratings = session.scalars(
                select(Rating)
                .where(Rating.round_id == round_id, Rating.expert_id == user.id)
                .order_by(Rating.indicator_id)
            ).all()
            for rating in ratings:
                audit.record(
                    session,
                    actor,
                    "remove_rating",
                    "rating",
                    f"{round_id}/{rating.indicator_id}/{user.username}",
                    old={
                        "level": rating.level,
                        "not_applicable": rating.not_applicable,
                        "evidence": rating.evidence,
                        "links": json.loads(rating.links or "[]"),
                        "expert": user.username,
                    },
                    new={"reason": "expert uninvited"},
                    health_system_id=round_.health_system_id,
                    round_id=round_id,
                )
                session.delete(rating)
            audit.record(
                session,
                actor,
                "uninvite",
                "round_expert",
                f"{round_id}/{user.username}",
                old={"expert": user.username, "finished": invitation.finished_at is not None},
                new={"ratings_removed": len(ratings)},
                health_system_id=round_.health_system_id,
                round_id=round_id,
            )
            session.delete(invitation)
            return len(ratings)

    def experts_of(self, actor_id: int, round_id: int) -> list[str]:
        with self.reading_as(actor_id) as (session, actor):
            _round, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return sorted(
                session.scalars(
                    select(User.username)
                    .join(RoundExpert, RoundExpert.user_id == User.id)
                    .where(RoundExpert.round_id == round_id)
                )
            )

    def _change_status(self, actor_id: int, round_id: int, move: StatusMove, *, reason: str = "") -> RoundView:
        to = move.to
        with self.writing_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id, lock=True)
            if move.admin_only:
                require_admin(actor, N_("move rounds to {status}"), status=to.label.lower())
            else:
                require_coordinate(actor, facts, N_("move this round to {status}"), status=to.label.lower())
            if round_.status not in move.allowed_from:
                raise InvalidState(
                    _(
                        "A round that is {status} cannot move to {to}.",
                        status=RoundStatus.label_of(round_.status).lower(),
                        to=to.label.lower(),
                    )
                )
            old = round_.status
            now = utcnow()
            round_.status = to
            round_.version += 1
            round_.updated_at = now
            if to == RoundStatus.SUBMITTED:
                round_.submitted_at = now
            if to == RoundStatus.PUBLISHED:
                round_.published_at = now
            audit.record(
                session,
                actor,
                f"status_{to}",
                "round",
                str(round_.id),
                old={"status": old},
                new={"status": to, **({"reason": reason} if reason else {})},
                health_system_id=round_.health_system_id,
                round_id=round_.id,
            )
            self._queue_status_mail(session, round_, move)
            session.flush()
            return round_view(round_)

    def _queue_status_mail(self, session: Session, round_: AssessmentRound, move: StatusMove) -> None:
        """Tell those concerned that the round moved on: its experts (review), the administrators, who
        publish (submitted), and the health system's members (published).  Reopening sends nothing."""
        kinds = {START_REVIEW: MailKind.IN_REVIEW, SUBMIT: MailKind.SUBMITTED, PUBLISH: MailKind.PUBLISHED}
        kind = kinds.get(move)
        if kind is None:
            return
        addresses = (
            select(User.email, User.language)
            .where(User.is_active.is_(True), User.email.is_not(None))
            .order_by(User.email)
        )
        if kind == MailKind.IN_REVIEW:
            addresses = addresses.join(RoundExpert, RoundExpert.user_id == User.id).where(
                RoundExpert.round_id == round_.id
            )
        elif kind == MailKind.SUBMITTED:
            addresses = addresses.where(User.global_role == GlobalRole.ADMIN)
        else:
            addresses = addresses.where(
                User.id.in_(select(Membership.user_id).where(Membership.health_system_id == round_.health_system_id))
            )
        link = app_link(self.settings.public_url, "results", round=round_.id)
        # Nobody with an address: the mail is still kept, to be shown and copied (in the sender's language).
        groups = by_language(session.execute(addresses.distinct()).all()) or {i18n.current(): ()}
        for language, to in groups.items():
            with i18n.language(language):
                mail = status_mail(kind, to, round_.health_system.name, round_.label, link)
            self.queue_mail(session, mail, health_system_id=round_.health_system_id, round_id=round_.id)

    def start_review(self, actor_id: int, round_id: int) -> RoundView:
        return self._change_status(actor_id, round_id, START_REVIEW)

    def submit(self, actor_id: int, round_id: int) -> RoundView:
        return self._change_status(actor_id, round_id, SUBMIT)

    def publish(self, actor_id: int, round_id: int) -> RoundView:
        return self._change_status(actor_id, round_id, PUBLISH)

    def reopen(self, actor_id: int, round_id: int, reason: str) -> RoundView:
        reason = clean_text(reason, "reason", 2_000)
        if not reason.strip():
            raise ValidationFailed("reason needed", (Problem("reason", _("say why the round is reopened")),))
        return self._change_status(actor_id, round_id, REOPEN, reason=reason)
