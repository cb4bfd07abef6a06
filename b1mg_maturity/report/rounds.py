"""The report context of a round in the database: one snapshot read by the services, then the pure build.

No transaction is opened here: ``Services.report_inputs`` reads everything the
report rests on in one read-only unit of work (and applies the permission
rules); the peers' medians come from the comparison use case.
"""

from __future__ import annotations

import datetime as dt

from b1mg_maturity.report.context import MIN_PEERS, ReportContext, report_context_of
from b1mg_maturity.report.inputs import PeerMedians
from b1mg_maturity.scoring import Aggregation
from b1mg_maturity.services import Services
from b1mg_maturity.services.comparison import peer_domain_medians


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
    inputs = services.report_inputs(actor_id, round_id, aggregation=aggregation)  # the permission check first
    min_peers = max(MIN_PEERS, min_group_size)
    benchmark = None
    if with_benchmark:
        # A read of its own: the comparison use case does not take the caller's session (yet).
        peers = peer_domain_medians(services, actor_id, round_id, min_group_size=min_peers)
        if peers is not None:
            benchmark = PeerMedians(dict(peers.medians), peers.count, peers.label, tuple(peers.withheld))
    return report_context_of(inputs, benchmark=benchmark, min_peers=min_peers, generated_on=generated_on)
