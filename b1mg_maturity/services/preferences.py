"""A person's own preferences: the language of the app, the PDF and the e-mails they receive."""

from __future__ import annotations

from b1mg_maturity import audit, i18n
from b1mg_maturity.errors import Problem, ValidationFailed
from b1mg_maturity.i18n import _
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.storage.models import User


class PreferenceUseCases(UseCases):
    def set_language(self, actor_id: int, language: str | None) -> None:
        """Choose one's language (None: follow the browser); audited like every change."""
        if language is not None and language not in i18n.LANGUAGES:
            shipped = ", ".join(i18n.LANGUAGES)
            raise ValidationFailed(
                "unknown language",
                (
                    Problem(
                        "language",
                        _(
                            "'{language}' is not one of the languages offered: {shipped}",
                            language=language,
                            shipped=shipped,
                        ),
                    ),
                ),
            )
        with self.writing_as(actor_id) as (session, actor):
            user = session.get(User, actor.user_id)
            assert user is not None  # the actor was just loaded
            if user.language == language:
                return
            audit.record(session, actor, "set_language", "user", user.username, old=user.language, new=language)
            user.language = language
