"""Benchmarks over many rounds' scorecards.  Pure (pandas): no database, no streamlit.

Method
------
* **Only published rounds count.**  :func:`benchmark` leaves every other
  round out and says how many it left out.
* **One value per health system.**  The statistics of a selection use each
  health system's latest round in it (by round date, then round id), per
  questionnaire id; a system therefore counts once however many rounds it has.
* **Statistics** per questionnaire id and item (the overall score, every
  pillar, domain and indicator): the number of health systems with a score,
  the median, highest, lowest, and the quartiles (linear interpolation between
  the two nearest values: the usual definition, numpy's and pandas' default).
  ``NA`` and unanswered indicators have no score and are not counted, nor are
  health systems whose questionnaire version lacks the item.
* **Privacy threshold.**  A statistic of fewer than ``min_group_size`` health
  systems is withheld entirely: count, median, quartiles, highest and lowest
  are all missing and ``withheld`` gives the reason.  Ranks and distances
  within such a group are withheld too.
* **Positions.**  A health system's rank is 1 + the number of health systems in
  the group with a strictly higher score (ties share the better rank: 4, 3, 3,
  2 rank 1, 2, 2, 4); ``of`` is how many are ranked.  Distances are the score
  minus the median and minus the highest (at most 0 within the group); the
  distance to target is the target score minus the score.
* **Changes** pair each round with the same health system's previous round of
  the **same questionnaire id** (by date); rounds of another questionnaire are
  never compared.  Where the two versions differ the change is still given
  (indicator ids are stable) and ``versions_differ`` says so.  The change of a
  group (overall, pillar, domain) is measured only over the indicators rated
  in both rounds when :func:`changes` is given a ``measure`` (the Compare page
  gives one built on :mod:`b1mg_maturity.comparison.changes`); without one it
  is the plain difference of the two scores.
* **Excluded systems** (``exclude_systems``): the anonymous view compares a
  health system with the *others*: its own rounds are left out of the
  statistics and ranked against them (``of`` = others + 1).

One pipeline: :func:`benchmark` is :func:`scores_frame` -> :func:`only_published`
-> :func:`ranked_snapshot` (snapshot, statistics, positions), :func:`round_statistics`
and :func:`changes`.  The Compare page, the peers' medians of the Results page
and the PDF report call these same steps (:mod:`b1mg_maturity.comparison`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.scoring import ScoreCard

KINDS = ("overall", "pillar", "domain", "indicator")
KEY = ["questionnaire_id", "kind", "item_id"]
OVERALL_ID = "overall"
STAT_COLUMNS = ["systems", "median", "highest", "lowest", "q1", "q3"]

ROUND_COLUMNS = [
    "round_id",
    "system_code",
    "system_name",
    "round_label",
    "round_date",
    "questionnaire_id",
    "questionnaire_version",
    "status",
]
ITEM_COLUMNS = ["kind", "item_id", "domain_id", "pillar", "score", "target", "not_applicable"]


@dataclass(frozen=True)
class RoundMeta:
    """What a benchmark needs to know about a round besides its scorecard."""

    round_id: int
    system_code: str
    system_name: str
    label: str
    date: dt.date
    questionnaire_id: str
    questionnaire_version: str
    status: str  # a RoundStatus value


def withheld_reason(min_group_size: int) -> str:
    return _n("fewer than {n} health system", "fewer than {n} health systems", min_group_size)


# --- the long table ---------------------------------------------------------------------------


def _template(card: ScoreCard) -> tuple[tuple[object, ...], ...]:
    """The item columns (kind, item id, domain id, pillar) of a scorecard's rows; the same for every
    scorecard of one questionnaire, so they are built once per structure."""
    pillar_of = {d.domain_id: d.pillar for d in card.indicators}
    kinds = ["overall", *(["pillar"] * len(card.pillars)), *(["domain"] * len(card.domains))]
    kinds += ["indicator"] * len(card.indicators)
    items = [OVERALL_ID, *(g.id for g in card.pillars), *(g.id for g in card.domains)]
    items += [i.indicator_id for i in card.indicators]
    domains = [None, *([None] * len(card.pillars)), *(g.id for g in card.domains)]
    domains += [i.domain_id for i in card.indicators]
    pillars = [None, *(g.id for g in card.pillars), *(pillar_of.get(g.id) for g in card.domains)]
    pillars += [i.pillar for i in card.indicators]
    return tuple(kinds), tuple(items), tuple(domains), tuple(pillars)


def _categorical(values: Sequence[str], repeat: np.ndarray[tuple[int], np.dtype[np.intp]]) -> pd.Categorical:
    """One value per round, repeated for each of the round's rows (a categorical: few distinct values)."""
    categories: dict[str, int] = {}
    codes = np.array([categories.setdefault(v, len(categories)) for v in values], dtype="int64")
    return pd.Categorical.from_codes(codes[repeat], categories=pd.Index(list(categories), dtype="object"))


def scores_frame(rounds: Iterable[tuple[RoundMeta, ScoreCard]]) -> pd.DataFrame:
    """One row per round and item (overall, pillars, domains, indicators): the long table every
    benchmark starts from.  ``score`` and ``target`` are NaN where there is none; text columns are
    categorical (many rows share few values)."""
    templates: dict[tuple[object, ...], int] = {}
    shapes: list[tuple[tuple[object, ...], ...]] = []
    template_of: list[int] = []
    scores: list[float | None] = []
    targets: list[float | None] = []
    not_applicable: list[bool] = []
    metas: list[RoundMeta] = []
    counts: list[int] = []
    for meta, card in rounds:
        signature = (
            card.questionnaire_id,
            card.questionnaire_version,
            tuple(g.id for g in card.pillars),
            tuple(g.id for g in card.domains),
            tuple(i.indicator_id for i in card.indicators),
        )
        index = templates.get(signature)
        if index is None:
            index = templates[signature] = len(shapes)
            shapes.append(_template(card))
        template_of.append(index)
        groups = [card.overall, *card.pillars, *card.domains]
        scores.extend(g.score for g in groups)
        targets.extend(g.target for g in groups)
        scores.extend(i.level for i in card.indicators)
        # an indicator's target score: its target where set (never below its level), else its level
        targets.extend(
            None if i.level is None else (max(i.target, i.level) if i.target is not None else i.level)
            for i in card.indicators
        )
        not_applicable.extend([False] * len(groups))
        not_applicable.extend(i.not_applicable for i in card.indicators)
        metas.append(meta)
        counts.append(len(groups) + len(card.indicators))
    repeat = np.repeat(np.arange(len(metas)), counts)
    frame = pd.DataFrame(
        {
            "round_id": np.array([m.round_id for m in metas], dtype="int64")[repeat],
            "system_code": _categorical([m.system_code for m in metas], repeat),
            "system_name": _categorical([m.system_name for m in metas], repeat),
            "round_label": _categorical([m.label for m in metas], repeat),
            "round_date": pd.to_datetime(pd.Series([m.date for m in metas], dtype="object")).to_numpy(
                dtype="datetime64[ns]"
            )[repeat],
            "questionnaire_id": _categorical([m.questionnaire_id for m in metas], repeat),
            "questionnaire_version": _categorical([m.questionnaire_version for m in metas], repeat),
            "status": _categorical([m.status for m in metas], repeat),
        }
    )
    for position, name in enumerate(("kind", "item_id", "domain_id", "pillar")):
        # codes per structure against one list of categories, then one concatenation (no per-row Python)
        categories: dict[object, int] = {}
        per_shape = [
            np.array([-1 if v is None else categories.setdefault(v, len(categories)) for v in shape[position]])
            for shape in shapes
        ]
        codes = np.concatenate([per_shape[i] for i in template_of]) if template_of else np.array([], dtype=int)
        frame[name] = pd.Categorical.from_codes(codes, categories=pd.Index(list(categories), dtype="object"))
    frame["score"] = np.array(scores, dtype="float64")
    frame["target"] = np.array(targets, dtype="float64")
    frame["not_applicable"] = np.array(not_applicable, dtype="bool")
    return frame[ROUND_COLUMNS + ITEM_COLUMNS]


def only_published(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The published rounds' rows, and how many rounds were left out."""
    published = frame["status"] == RoundStatus.PUBLISHED.value
    left_out = int(frame.loc[~published, "round_id"].nunique())
    return frame.loc[published], left_out


def snapshot(frame: pd.DataFrame) -> pd.DataFrame:
    """Each health system's latest round per questionnaire id (by date, then round id)."""
    if frame.empty:
        return frame
    rounds = frame[["round_id", "system_code", "questionnaire_id", "round_date"]].drop_duplicates("round_id")
    rounds = rounds.sort_values(["round_date", "round_id"])
    latest = rounds.drop_duplicates(["system_code", "questionnaire_id"], keep="last")["round_id"]
    return frame.loc[frame["round_id"].isin(latest)]


# --- statistics -------------------------------------------------------------------------------


def statistics(
    frame: pd.DataFrame,
    *,
    min_group_size: int,
    by: Sequence[str] = (),
    exclude_systems: Collection[str] = (),
) -> pd.DataFrame:
    """Per questionnaire id, item (and the ``by`` columns): systems, median, highest, lowest, q1, q3, withheld.

    ``frame`` must hold at most one round per health system and group (see
    :func:`snapshot`).  Groups under ``min_group_size`` health systems keep
    their row with every statistic missing and the reason in ``withheld``.
    """
    keys = [*by, *KEY]
    members = frame.loc[~frame["system_code"].isin(list(exclude_systems))] if exclude_systems else frame
    if members.empty:
        empty = pd.DataFrame(columns=[*keys, *STAT_COLUMNS, "withheld"])
        return empty.astype({c: "float64" for c in STAT_COLUMNS[1:]} | {"systems": "Int64"})
    duplicated = members.duplicated([*keys, "system_code"])
    if duplicated.any():
        raise ValueError("one round per health system and group: take a snapshot() first")
    grouped = members.groupby(keys, sort=False, dropna=False)["score"]
    table = pd.DataFrame(
        {
            "systems": grouped.count(),
            "median": grouped.median(),
            "highest": grouped.max(),
            "lowest": grouped.min(),
            "q1": grouped.quantile(0.25),
            "q3": grouped.quantile(0.75),
        }
    ).reset_index()
    small = table["systems"] < min_group_size
    table["systems"] = table["systems"].astype("Int64")
    table.loc[small, STAT_COLUMNS[1:]] = np.nan
    table.loc[small, "systems"] = pd.NA
    table["withheld"] = np.where(small, withheld_reason(min_group_size), "")
    return table


def positions(
    frame: pd.DataFrame,
    stats: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    exclude_systems: Collection[str] = (),
) -> pd.DataFrame:
    """``frame`` with each row's rank, ``of``, distance to the median and to the highest, and to its target.

    Rows of ``exclude_systems`` are ranked against the group they are not part of.
    """
    keys = [*by, *KEY]
    out = frame.merge(stats, on=keys, how="left", validate="many_to_one")
    excluded = out["system_code"].isin(list(exclude_systems)) if exclude_systems else pd.Series(False, index=out.index)
    rank = pd.Series(np.nan, index=out.index, dtype="float64")
    members = ~excluded & out["score"].notna()
    if members.any():
        rank[members] = out.loc[members].groupby(keys, sort=False)["score"].rank(method="min", ascending=False)
    outsiders = excluded & out["score"].notna()
    if outsiders.any():
        pool = out.loc[~excluded & out["score"].notna(), [*keys, "score"]]
        probe = out.loc[outsiders, [*keys, "score"]].reset_index()
        pairs = probe.merge(pool, on=keys, how="left", suffixes=("", "_other"))
        higher = (pairs["score_other"] > pairs["score"]).groupby(pairs["index"]).sum()
        rank[higher.index] = higher.to_numpy() + 1.0
    shown = out["withheld"].fillna("") == ""
    known = shown & out["score"].notna()
    out["rank"] = rank.where(known).astype("Int64")
    out["of"] = (out["systems"] + excluded.astype("int64")).where(known).astype("Int64")
    out["to_median"] = (out["score"] - out["median"]).where(known)
    out["to_highest"] = (out["score"] - out["highest"]).where(known)
    out["to_target"] = out["target"] - out["score"]
    return out


# --- the pipeline's steps, shared by every caller ----------------------------------------------


def ranked_snapshot(
    frame: pd.DataFrame, *, min_group_size: int, exclude_systems: Collection[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each health system's latest round (:func:`snapshot`) with its positions, and the statistics."""
    latest = snapshot(frame)
    stats = statistics(latest, min_group_size=min_group_size, exclude_systems=exclude_systems)
    return positions(latest, stats, exclude_systems=exclude_systems), stats


def round_statistics(
    frame: pd.DataFrame, *, min_group_size: int, exclude_systems: Collection[str] = ()
) -> pd.DataFrame:
    """Statistics per round label (for trends): per questionnaire id, each health system's last round
    of that label counts once."""
    labelled = frame.drop_duplicates(["round_label", "system_code", "questionnaire_id", "kind", "item_id"], keep="last")
    return statistics(labelled, min_group_size=min_group_size, by=["round_label"], exclude_systems=exclude_systems)


# --- changes between rounds -------------------------------------------------------------------


Measure = Callable[[int, int], Mapping[tuple[str, str], float | None]]


def changes(frame: pd.DataFrame, *, measure: Measure | None = None) -> pd.DataFrame:
    """Per round and item: the change since the same health system's previous round of the same
    questionnaire id; ``versions_differ`` flags pairs whose questionnaire versions differ.

    ``measure(round_id, previous_round_id)`` gives each pair's change by (kind, item id), measured
    over the indicators rated in both rounds (:func:`b1mg_maturity.comparison.changes.round_changes`,
    which needs the questionnaire this table lacks); an item it leaves out has no change.  Without
    it the change is the plain difference of the two scores, which an indicator rated in one round
    only moves (fine for indicators, misleading for every group).
    """
    rounds = (
        frame[["round_id", "system_code", "questionnaire_id", "questionnaire_version", "round_label", "round_date"]]
        .drop_duplicates("round_id")
        .sort_values(["system_code", "questionnaire_id", "round_date", "round_id"])
    )
    grouped = rounds.groupby(["system_code", "questionnaire_id"], sort=False)
    rounds = rounds.assign(
        previous_round_id=grouped["round_id"].shift(1),
        previous_label=grouped["round_label"].shift(1),
        previous_version=grouped["questionnaire_version"].shift(1),
    )
    rounds = rounds.dropna(subset=["previous_round_id"])
    rounds["previous_round_id"] = rounds["previous_round_id"].astype("int64")
    current = frame.merge(
        rounds[["round_id", "previous_round_id", "previous_label", "previous_version"]], on="round_id", how="inner"
    )
    before = frame[["round_id", "kind", "item_id", "score"]].rename(
        columns={"round_id": "previous_round_id", "score": "previous_score"}
    )
    out = current.merge(before, on=["previous_round_id", "kind", "item_id"], how="left")
    out["change"] = out["score"] - out["previous_score"]
    if measure is not None and not out.empty:
        measured: dict[tuple[int, str, str], float] = {}
        for current_id, previous_id in rounds[["round_id", "previous_round_id"]].itertuples(index=False):
            for (kind, item), value in measure(int(current_id), int(previous_id)).items():
                measured[(int(current_id), kind, item)] = np.nan if value is None else float(value)
        keys = zip(
            out["round_id"].tolist(), out["kind"].astype(str).tolist(), out["item_id"].astype(str).tolist(), strict=True
        )
        out["change"] = np.array([measured.get(key, np.nan) for key in keys], dtype="float64")
    out["versions_differ"] = out["questionnaire_version"] != out["previous_version"]
    return out


def questionnaire_switches(frame: pd.DataFrame) -> list[str]:
    """Sentences naming rounds that follow a round of another questionnaire id (never compared)."""
    rounds = (
        frame[["round_id", "system_code", "questionnaire_id", "round_label", "round_date"]]
        .drop_duplicates("round_id")
        .sort_values(["system_code", "round_date", "round_id"])
    )
    previous = rounds.groupby("system_code", sort=False)["questionnaire_id"].shift(1)
    switched = rounds.loc[previous.notna() & (previous != rounds["questionnaire_id"])]
    return [
        _(
            "{system} {round} uses questionnaire {questionnaire}, unlike the round before it: "
            "changes are only computed between rounds of the same questionnaire.",
            system=row.system_code,
            round=row.round_label,
            questionnaire=row.questionnaire_id,
        )
        for row in switched.itertuples()
    ]


# --- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    """All benchmark tables of one selection of rounds."""

    scores: pd.DataFrame  # snapshot rows (one round per system) with rank, of, to_median, to_highest, to_target
    statistics: pd.DataFrame  # per questionnaire id and item
    changes: pd.DataFrame  # per round and item, against the previous round of the same questionnaire id
    by_round: pd.DataFrame  # statistics per round label (for trends)
    notes: tuple[str, ...]
    min_group_size: int


def benchmark(
    data: pd.DataFrame | Iterable[tuple[RoundMeta, ScoreCard]],
    *,
    min_group_size: int,
    exclude_systems: Collection[str] = (),
    measure: Measure | None = None,
) -> Benchmark:
    """Every benchmark table of the published rounds in ``data`` (see the module docstring)."""
    frame = data if isinstance(data, pd.DataFrame) else scores_frame(data)
    frame, left_out = only_published(frame)
    notes = [_("Only published rounds count.")]
    if left_out:
        notes.append(
            # English keeps its "round(s)" (tests and users know it); other languages give their plural forms
            _n(
                "{n} round(s) not yet published were left out.",
                "{n} round(s) not yet published were left out.",
                left_out,
            )
        )
    ranked, stats = ranked_snapshot(frame, min_group_size=min_group_size, exclude_systems=exclude_systems)
    by_round = round_statistics(frame, min_group_size=min_group_size, exclude_systems=exclude_systems)
    delta = changes(frame, measure=measure)
    if bool(delta["versions_differ"].any()):
        notes.append(_("Some changes compare different versions of a questionnaire (marked in the table)."))
    notes.extend(questionnaire_switches(frame))
    return Benchmark(ranked, stats, delta, by_round, tuple(notes), min_group_size)
