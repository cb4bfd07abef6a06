"""The report context of a round in the database: one snapshot read by the services, then the pure build.

No transaction is opened here: ``Services.report_inputs`` reads everything the
report rests on, the peers' medians included, in one read-only unit of work
(and applies the permission rules).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.report.context import MIN_PEERS, ReportContext, report_context_of
from b1mg_maturity.report.inputs import IndicatorNotes, ReportInputs
from b1mg_maturity.scoring import Aggregation

if TYPE_CHECKING:
    from b1mg_maturity.services import RoundView, Services


def _min_coverage(services: Services, given: float | None) -> float:
    """The coverage threshold of a report: the one given, else the installation's setting."""
    return services.settings.report_min_coverage if given is None else given


def context_for_round(
    services: Services,
    actor_id: int,
    round_id: int,
    *,
    min_group_size: int,
    aggregation: Aggregation = Aggregation.MEAN,
    with_benchmark: bool = True,
    generated_on: dt.date | None = None,
    min_coverage: float | None = None,
) -> ReportContext:
    """The report context of a round, as ``actor_id`` may see it (what the Results page and the PDF show).

    Refused with :class:`~b1mg_maturity.errors.PermissionDenied` unless the user
    may open the round (a viewer may, once it is submitted or published).
    ``min_group_size`` is the installation's setting, passed in by the caller (the
    app or the command line); the benchmark needs at least :data:`MIN_PEERS` peers
    whatever it says.  ``generated_on``: see :func:`report_date`.  ``min_coverage``: below it the report
    is a partial assessment; None: the installation's setting ``report_min_coverage`` (``services.settings``).
    """
    min_peers = max(MIN_PEERS, min_group_size)
    inputs = services.report_inputs(  # the permission check first; the peers in the same snapshot
        actor_id, round_id, aggregation=aggregation, peer_group_size=min_peers if with_benchmark else None
    )
    return report_context_of(
        inputs,
        benchmark=inputs.peers,
        min_peers=min_peers,
        generated_on=generated_on,
        min_coverage=_min_coverage(services, min_coverage),
    )


def report_date(view: RoundView) -> dt.date | None:
    """The date a round's report says it was made: a published round's is the day it was published.

    A published round cannot change without being reopened (a status change), so
    its last change is its publication, and its report is the same every day
    after: dated by the publication, the PDF made when it was published stays
    valid in the cache (its key holds the date), instead of going stale at
    midnight.  Any other round's report is dated the day it is made (None: today).
    """
    if view.status != RoundStatus.PUBLISHED:
        return None
    return view.updated_at.date()


def without_evidence(inputs: ReportInputs) -> ReportInputs:
    """The inputs as a user who may not read every expert's ratings (a viewer) has them: the agreed
    rationale only, none of the experts' evidence or links (see ``services.report_inputs``)."""
    notes = {iid: IndicatorNotes(rationale=n.rationale) for iid, n in inputs.notes.items() if n.rationale}
    return dataclasses.replace(inputs, notes=notes, evidence_included=False)


def published_contexts(
    services: Services,
    actor_id: int,
    view: RoundView,
    *,
    min_group_size: int,
    min_coverage: float | None = None,
) -> tuple[ReportContext, ReportContext]:
    """The two reports a published round is read in, read in one snapshot by the administrator who published it:
    the coordinators' and administrators' copy (with the experts' evidence) and everyone else's (a viewer's)."""
    min_peers = max(MIN_PEERS, min_group_size)
    inputs = services.report_inputs(actor_id, view.id, peer_group_size=min_peers)
    generated_on = report_date(view)
    coverage = _min_coverage(services, min_coverage)
    return tuple(  # type: ignore[return-value]
        report_context_of(
            copy, benchmark=inputs.peers, min_peers=min_peers, generated_on=generated_on, min_coverage=coverage
        )
        for copy in (inputs, without_evidence(inputs))
    )
