"""E-mail through the outbox: written with the action that causes it, delivered after it commits."""

from __future__ import annotations

from b1mg_maturity.services.base import UseCases


class MailUseCases(UseCases):
    pass
