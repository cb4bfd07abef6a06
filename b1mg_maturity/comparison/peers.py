"""The peers' median per domain beside one round (Results page radar, PDF report).  Pure.

The peers are the other health systems that published a round of the same
questionnaire id; each counts with its latest published round, through the one
benchmark pipeline (:func:`b1mg_maturity.benchmark.ranked_snapshot`).  None is
ever named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from b1mg_maturity import benchmark as bm
from b1mg_maturity.comparison.rounds import ScoredRound, scores_frame
from b1mg_maturity.questionnaire import Questionnaire


@dataclass(frozen=True)
class PeerBenchmark:
    """The median per domain of other health systems' latest published rounds (never naming them)."""

    medians: Mapping[str, float]  # domain id -> median; a domain scored by too few peers is left out
    count: int  # other health systems behind the medians
    label: str
    withheld: tuple[str, ...] = ()  # domain ids left out because too few peers scored them


def peer_medians(peers: Sequence[ScoredRound], questionnaire: Questionnaire, threshold: int) -> PeerBenchmark | None:
    """The median per domain of ``questionnaire`` over the peers' published rounds (the latest of each).

    None unless at least ``threshold`` health systems are peers; a domain scored
    by fewer than that many is left out (listed in ``withheld``).
    """
    frame, _ = bm.only_published(scores_frame(peers))
    domains = frame.loc[frame["kind"] == "domain"]
    ranked, stats = bm.ranked_snapshot(domains, min_group_size=threshold)
    count = int(ranked["system_code"].nunique())
    if count < threshold:
        return None
    shown = {
        str(row["item_id"]): float(row["median"])
        for row in stats.to_dict("records")
        if row["questionnaire_id"] == questionnaire.id and not row["withheld"]
    }
    medians = {d.id: shown[d.id] for d in questionnaire.domains if d.id in shown}
    withheld = tuple(d.id for d in questionnaire.domains if d.id not in shown)
    return PeerBenchmark(medians, count, f"Median of {count} other health systems", withheld)
