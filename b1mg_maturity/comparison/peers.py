"""The peers' median per domain beside one round (Results page radar, PDF report).  Pure.

The peers are the other health systems that published a round of the same
questionnaire id, each counting with one round chosen for the period of the
round they are compared with (:func:`choose_peer_rounds`):

* its latest published round of the same period year (a round without a period
  has its date's year; the half of a year does not matter);
* if it has none of that year, its latest published round of an earlier year;
* a health system whose published rounds are all of later years is not a peer.

So rounds published for later years never change an earlier round's benchmark.
The choice depends on the compared round's year only, never on its exact date:
a coordinator who opens draft rounds dated a day apart must not get medians over
groups that differ by one health system (the differencing attack the comparison
package closes, see :mod:`b1mg_maturity.comparison`).
The medians then go through the one benchmark pipeline
(:func:`b1mg_maturity.benchmark.ranked_snapshot`): the group-size threshold and
the per-domain withholding are the same as everywhere.  No peer is ever named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from b1mg_maturity import benchmark as bm
from b1mg_maturity.comparison.rounds import ScoredRound, scores_frame
from b1mg_maturity.domain import RoundPeriod, RoundStatus
from b1mg_maturity.i18n import _n
from b1mg_maturity.questionnaire import Questionnaire


@dataclass(frozen=True)
class ChosenRound:
    """One peer's round behind the medians, never named: when it was, and its overall score."""

    date: dt.date
    period_text: str  # "2026", "2026 H1"
    overall: float | None
    same_period: bool  # of the compared round's year; else the latest earlier one


@dataclass(frozen=True)
class PeerBenchmark:
    """The median per domain of other health systems' rounds of one period (never naming them)."""

    medians: Mapping[str, float]  # domain id -> median; a domain scored by too few peers is left out
    count: int  # other health systems behind the medians
    label: str
    withheld: tuple[str, ...] = ()  # domain ids left out because too few peers scored them
    rounds: tuple[ChosenRound, ...] = ()  # one per peer, oldest first
    year: int | None = None  # the period year the rounds were chosen for


def _order(round_: ScoredRound) -> tuple[dt.date, int]:
    return round_.meta.date, round_.meta.round_id


def choose_peer_rounds(
    rounds: Sequence[ScoredRound], questionnaire_id: str, period: RoundPeriod
) -> list[tuple[ScoredRound, bool]]:
    """Per health system, the one round that counts for a round of ``period``, and
    whether it is of the same year (see the module docstring).  Only published rounds of
    ``questionnaire_id`` are candidates; "latest" is by date, then round id.  Oldest first."""
    by_system: dict[int, list[ScoredRound]] = {}
    for round_ in rounds:
        if round_.meta.status == RoundStatus.PUBLISHED.value and round_.meta.questionnaire_id == questionnaire_id:
            by_system.setdefault(round_.health_system_id, []).append(round_)
    chosen: list[tuple[ScoredRound, bool]] = []
    for candidates in by_system.values():
        same = [r for r in candidates if r.meta.period.year == period.year]
        if same:
            chosen.append((max(same, key=_order), True))
            continue
        earlier = [r for r in candidates if r.meta.period.year < period.year]
        if earlier:
            chosen.append((max(earlier, key=_order), False))
    return sorted(chosen, key=lambda pair: _order(pair[0]))


def peer_medians(
    peers: Sequence[ScoredRound],
    questionnaire: Questionnaire,
    threshold: int,
    *,
    period: RoundPeriod,
) -> PeerBenchmark | None:
    """The median per domain of ``questionnaire`` over the peers' rounds chosen for a round of
    ``period`` (:func:`choose_peer_rounds`).

    None unless at least ``threshold`` health systems are peers; a domain scored
    by fewer than that many is left out (listed in ``withheld``).
    """
    chosen = choose_peer_rounds(peers, questionnaire.id, period)
    if len(chosen) < threshold:
        return None
    frame, _ = bm.only_published(scores_frame(r for r, _ in chosen))
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
    facts = tuple(ChosenRound(r.meta.date, r.meta.period.text, r.card.overall.score, same) for r, same in chosen)
    name = _n("Median of {n} other health system", "Median of {n} other health systems", count)
    return PeerBenchmark(medians, count, name, withheld, facts, period.year)
