"""The report context of a round in the database: one snapshot read by the services, then the pure build.

No transaction is opened here: ``Services.report_inputs`` reads everything the
report rests on, the peers' medians included, in one read-only unit of work
(and applies the permission rules).
"""

from __future__ import annotations

import datetime as dt

from b1mg_maturity.report.context import MIN_PEERS, ReportContext, report_context_of
from b1mg_maturity.scoring import Aggregation
from b1mg_maturity.services import Services


def context_for_round(
    services: Services,
    actor_id: int,
    round_id: int,
    *,
    min_group_size: int,
    aggregation: Aggregation = Aggregation.MEAN,
    with_benchmark: bool = True,
    generated_on: dt.date | None = None,
) -> ReportContext:
    """The report context of a round, as ``actor_id`` may see it (what the Results page and the PDF show).

    Refused with :class:`~b1mg_maturity.errors.PermissionDenied` unless the user
    may open the round (a viewer may, once it is submitted or published).
    ``min_group_size`` is the installation's setting, passed in by the caller (the
    app or the command line); the benchmark needs at least :data:`MIN_PEERS` peers
    whatever it says.
    """
    min_peers = max(MIN_PEERS, min_group_size)
    inputs = services.report_inputs(  # the permission check first; the peers in the same snapshot
        actor_id, round_id, aggregation=aggregation, peer_group_size=min_peers if with_benchmark else None
    )
    return report_context_of(inputs, benchmark=inputs.peers, min_peers=min_peers, generated_on=generated_on)
