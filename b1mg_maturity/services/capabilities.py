"""What the pages may offer a user for a round (:func:`b1mg_maturity.permissions.capabilities`), read in one go."""

from __future__ import annotations

from sqlalchemy import select

from b1mg_maturity.permissions import Capabilities, RoundFacts, can_read_round, capabilities, require_read
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.storage.models import AssessmentRound, RoundExpert


class CapabilityUseCases(UseCases):
    def capabilities(self, actor_id: int, round_id: int) -> Capabilities:
        """What a page may offer the user for one round they may open (refused like reading it otherwise)."""
        with self.reading_as(actor_id) as (session, actor):
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            return capabilities(actor, facts)

    def capabilities_by_round(self, actor_id: int) -> dict[int, Capabilities]:
        """The same for every round the user may open, by round id (one read for a list of rounds)."""
        with self.reading_as(actor_id) as (session, actor):
            experts: dict[int, set[int]] = {}
            finished: dict[int, set[int]] = {}
            invitations = select(RoundExpert.round_id, RoundExpert.user_id, RoundExpert.finished_at)
            for round_id, user_id, finished_at in session.execute(invitations):
                experts.setdefault(round_id, set()).add(user_id)
                if finished_at is not None:
                    finished.setdefault(round_id, set()).add(user_id)
            offers: dict[int, Capabilities] = {}
            rows = session.execute(select(AssessmentRound.id, AssessmentRound.health_system_id, AssessmentRound.status))
            for round_id, system_id, status in rows:
                facts = RoundFacts(
                    round_id,
                    system_id,
                    status,
                    frozenset(experts.get(round_id, ())),
                    frozenset(finished.get(round_id, ())),
                )
                if can_read_round(actor, facts):
                    offers[round_id] = capabilities(actor, facts)
            return offers
