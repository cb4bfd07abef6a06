"""A round's progress: experts finishing their part, the coordinator's view of who is where, what comes next."""

from __future__ import annotations

from b1mg_maturity.services.rounds import RoundUseCases


class ProgressUseCases(RoundUseCases):
    pass
