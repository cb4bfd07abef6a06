"""A round's results: effective answers, scores, progress, and what its report rests on."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from b1mg_maturity.consensus import effective_answers
from b1mg_maturity.domain import Basis
from b1mg_maturity.permissions import require_read
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.inputs import PeerMedians, PeerRound, ReportInputs
from b1mg_maturity.scoring import Aggregation, Answer, score
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.report_inputs import read_report_inputs
from b1mg_maturity.services.views import RoundScores
from b1mg_maturity.storage.models import Consensus, Rating, Target


class ResultUseCases(UseCases):
    def round_answers(self, actor_id: int, round_id: int) -> tuple[Questionnaire, dict[str, Answer], dict[str, Basis]]:
        """The round's effective answers (consensus, else experts' median) with targets."""
        with self.reading_as(actor_id) as (session, actor):
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            questionnaire = questionnaire_of(round_.questionnaire_version)
            answers, basis = effective_answers(
                questionnaire,
                session.scalars(select(Rating).where(Rating.round_id == round_id)),
                session.scalars(select(Consensus).where(Consensus.round_id == round_id)),
                session.scalars(select(Target).where(Target.round_id == round_id)),
            )
            return questionnaire, answers, basis

    def round_scores(self, actor_id: int, round_id: int, aggregation: Aggregation = Aggregation.MEAN) -> RoundScores:
        questionnaire, answers, basis = self.round_answers(actor_id, round_id)
        return RoundScores(score(questionnaire, answers, aggregation), basis)

    def progress(self, actor_id: int, round_id: int) -> dict[str, tuple[int, int]]:
        """Per domain: (indicators with a level or NA, indicators in the domain)."""
        questionnaire, answers, _ = self.round_answers(actor_id, round_id)
        result = {}
        for domain in questionnaire.domains:
            done = sum(
                1
                for ind in domain.indicators
                if ind.id in answers and (answers[ind.id].answered or answers[ind.id].not_applicable)
            )
            result[domain.id] = (done, len(domain.indicators))
        return result

    def report_inputs(
        self,
        actor_id: int,
        round_id: int,
        *,
        aggregation: Aggregation = Aggregation.MEAN,
        peer_group_size: int | None = None,
    ) -> ReportInputs:
        """What the round's report (and the Results page) rests on, read in one read-only snapshot.

        Refused with :class:`~b1mg_maturity.errors.PermissionDenied` unless the user
        may open the round (a viewer may, once it is submitted or published).  The
        experts' own evidence is included when the user may read every expert's
        ratings (coordinator, admin); the agreed rationale always; experts' names never.
        With ``peer_group_size``, the peers' medians (at least that many other
        health systems per domain) are read in the same snapshot.
        """
        with self.db.reading() as session:
            actor = self.load_actor(session, actor_id)
            round_, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            inputs = read_report_inputs(session, actor, round_, facts, aggregation)
            if peer_group_size is None:
                return inputs
            # Imported here: the comparison pipeline brings pandas, which signing in does not need.
            from b1mg_maturity.services.comparison import read_peer_medians

            peers = read_peer_medians(self, session, round_, peer_group_size)
            if peers is None:
                return inputs
            rounds = tuple(PeerRound(r.date, r.period_text, r.overall, r.same_period) for r in peers.rounds)
            found = PeerMedians(  # no label: the report names the medians in its reader's words
                dict(peers.medians), peers.count, "", tuple(peers.withheld), rounds, peers.year
            )
            return dataclasses.replace(inputs, peers=found)
