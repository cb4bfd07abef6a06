"""Questionnaire versions: registered once, never changed."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b1mg_maturity import audit
from b1mg_maturity.errors import Problem, QuestionnaireError, ValidationFailed
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.permissions import Actor, require_admin, require_read
from b1mg_maturity.questionnaire import BUNDLED_MLM, Questionnaire, load_questionnaire
from b1mg_maturity.questionnaire.translation import localized
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.views import QuestionnaireVersionView
from b1mg_maturity.storage.models import AssessmentRound, QuestionnaireVersion


@lru_cache(maxsize=32)
def _parse_questionnaire(yaml_text: str, name: str = "<registered questionnaire>") -> Questionnaire:
    return load_questionnaire(yaml_text.encode("utf-8"), name=name)


_by_hash: dict[str, Questionnaire] = {}


def questionnaire_of(version: QuestionnaireVersion) -> Questionnaire:
    """The parsed questionnaire of a registered version.

    Registered versions never change (the content hash is unique), so the parse
    is kept per hash and the deferred YAML text is only fetched the first time.
    """
    return questionnaire_by_hash(version.content_hash, lambda: version.yaml_text)


def questionnaire_by_hash(content_hash: str, yaml_text: Callable[[], str]) -> Questionnaire:
    """The questionnaire with this content hash, in the language of the work at hand where a translation gives
    it (ids, levels and weights are the same in every language); ``yaml_text`` is called only when this
    process has not parsed it."""
    cached = _by_hash.get(content_hash)
    if cached is None:
        cached = _by_hash[content_hash] = _parse_questionnaire(yaml_text())
    return localized(cached)


def _title(row: QuestionnaireVersion) -> str:
    """A registered version's title in the reader's language where a translation gives it (else as stored)."""
    try:
        return questionnaire_by_hash(row.content_hash, lambda: row.yaml_text).title
    except QuestionnaireError:  # a version registered under older rules: its stored title
        return row.title


class QuestionnaireUseCases(UseCases):
    def register_questionnaire(self, actor_id: int | None, yaml_text: str, name: str = "questionnaire.yaml") -> int:
        """Store a questionnaire version (validated); returns its id.  Same content -> same id."""
        questionnaire = _parse_questionnaire(yaml_text, name)
        with self.db.transaction() as session:
            actor = None if actor_id is None else self.load_actor(session, actor_id)
            if actor is not None:
                require_admin(actor, N_("add questionnaire versions"))
            return self.register(session, actor, questionnaire, yaml_text)

    @staticmethod
    def register(session: Session, actor: Actor | None, q: Questionnaire, yaml_text: str) -> int:
        existing = session.scalars(
            select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == q.content_hash)
        ).first()
        if existing is not None:
            if existing.yaml_text != yaml_text:
                # The same content (its hash) in a newer file: only what the hash leaves out (guidance links,
                # comments) differs, so rounds read the same; the stored text takes the newer links.
                existing.yaml_text = yaml_text
                audit.record(
                    session,
                    actor,
                    "refresh_text",
                    "questionnaire",
                    f"{q.id} {q.version}",
                    new={"content_hash": q.content_hash},
                )
            return existing.id
        same_label = session.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.questionnaire_id == q.id, QuestionnaireVersion.version == q.version
            )
        ).first()
        if same_label is not None:
            raise ValidationFailed(
                "version exists with other content",
                (
                    Problem(
                        "version",
                        _(
                            "{questionnaire} {version} is registered with other content; raise the version",
                            questionnaire=q.id,
                            version=q.version,
                        ),
                    ),
                ),
            )
        row = QuestionnaireVersion(
            questionnaire_id=q.id, version=q.version, content_hash=q.content_hash, title=q.title, yaml_text=yaml_text
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, "register", "questionnaire", f"{q.id} {q.version}", new={"content_hash": q.content_hash}
        )
        return row.id

    def bundled_questionnaire_id(self) -> int:
        """The bundled MLM's registered version (registered on first use)."""
        return self.register_questionnaire(None, BUNDLED_MLM.read_text(encoding="utf-8"))

    def questionnaire_for_round(self, actor_id: int, round_id: int) -> Questionnaire:
        with self.reading_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return questionnaire_of(round_.questionnaire_version)

    def list_questionnaire_versions(self, actor_id: int) -> list[QuestionnaireVersionView]:
        """Every registered questionnaire version, newest first, with how many rounds use it (admin only)."""
        with self.reading_as(actor_id) as (session, actor):
            require_admin(actor, N_("list questionnaire versions"))
            used = dict(
                session.execute(
                    select(AssessmentRound.questionnaire_version_id, func.count()).group_by(
                        AssessmentRound.questionnaire_version_id
                    )
                ).all()
            )
            rows = session.scalars(
                select(QuestionnaireVersion).order_by(
                    QuestionnaireVersion.created_at.desc(), QuestionnaireVersion.id.desc()
                )
            )
            return [
                QuestionnaireVersionView(
                    row.id,
                    row.questionnaire_id,
                    row.version,
                    _title(row),
                    row.content_hash,
                    row.created_at,
                    int(used.get(row.id, 0)),
                )
                for row in rows
            ]
