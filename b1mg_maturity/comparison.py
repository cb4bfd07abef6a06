"""Comparing health systems: use cases over the database, with permission checks and the privacy threshold.

Who sees what
-------------
* Analysts and administrators read every published round, by name.
* Everyone else (coordinators, experts, viewers) sees the rounds of their own
  health system that they may open, against **anonymous aggregates** of the
  other health systems: median, quartiles, highest and lowest, and the number
  of health systems behind them.  No other health system is ever named, and
  no single other system's value is shown (no points, no rows).
* A statistic describing fewer than ``min_group_size`` health systems
  (setting ``B1MG_MIN_GROUP_SIZE``, default 3) is not shown at all: every
  value of it is withheld with the reason, never a part of it.  For the
  anonymous view the count is of the *other* health systems, so one's own
  value never helps to single out a peer's.
* Only published rounds count in any comparison.
* No statistic of others can be computed by differencing two views: the
  anonymous view describes one fixed group per questionnaire version, chosen
  by the data and never by the user: the latest published round of every
  other health system.  Any second group a member could choose would overlap
  it, and subtracting the two would single a round out: a date range slid one
  day at a time showed which round entered and its score, and a round label's
  group minus the latest rounds' group does the same.  So round labels, date
  ranges and the per-round medians of the trends are for analysts and
  administrators, who see every health system by name anyway; members still
  see all of their own rounds.

Every table the compare page shows, and every CSV/XLSX download of it, comes
from :class:`Comparison`, so a download never reveals more than the page.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import statistics
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from b1mg_maturity import benchmark as bm
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.interchange.spreadsheet_safety import neutralise
from b1mg_maturity.permissions import Actor, RoundFacts, can_read_round
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import ScoreCard, score
from b1mg_maturity.services import Services, effective_answers, questionnaire_of
from b1mg_maturity.settings import get_settings
from b1mg_maturity.storage.models import (
    AssessmentRound,
    Consensus,
    HealthSystem,
    QuestionnaireVersion,
    Rating,
    RoundExpert,
    Target,
)

PUBLISHED = "published"
MAX_OVERLAY = 6


def _threshold(min_group_size: int | None) -> int:
    return get_settings().min_group_size if min_group_size is None else min_group_size


# --- loading and scoring published rounds ------------------------------------------------------


@dataclass(frozen=True)
class ScoredRound:
    """One round's scorecard with what a benchmark needs to know about it."""

    meta: bm.RoundMeta
    card: ScoreCard
    health_system_id: int
    questionnaire: Questionnaire


class _CardCache:
    """Scorecards of published rounds, keyed so that any change to a round misses the cache.

    A published round is locked (nothing can be rated, agreed or targeted), and
    reopening it bumps its ``version``; the key also holds the database URL and
    the round's creation time, so a re-created database never hits an old entry.
    """

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], ScoreCard] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> ScoreCard | None:
        with self._lock:
            card = self._items.get(key)
            if card is not None:
                self._items.move_to_end(key)
            return card

    def put(self, key: tuple[Any, ...], card: ScoreCard) -> None:
        with self._lock:
            self._items[key] = card
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cards = _CardCache()


def _cache_key(services: Services, round_: AssessmentRound) -> tuple[Any, ...]:
    return (
        services.db.url,
        round_.id,
        round_.version,
        round_.status,
        round_.created_at.isoformat() if round_.created_at else "",
        round_.updated_at.isoformat() if round_.updated_at else "",
    )


def _meta(round_: AssessmentRound) -> bm.RoundMeta:
    qv = round_.questionnaire_version
    return bm.RoundMeta(
        round_id=round_.id,
        system_code=round_.health_system.code,
        system_name=round_.health_system.name,
        label=round_.label,
        date=round_.round_date,
        questionnaire_id=qv.questionnaire_id,
        questionnaire_version=qv.version,
        status=round_.status,
    )


def _score_rounds(services: Services, session: Session, rounds: Sequence[AssessmentRound]) -> list[ScoredRound]:
    """Scorecards of ``rounds`` (no permission check here: callers decide what leaves this module)."""
    result: dict[int, ScoredRound] = {}
    missing: list[AssessmentRound] = []
    for round_ in rounds:
        card = _cards.get(_cache_key(services, round_))
        if card is None:
            missing.append(round_)
        else:
            q = questionnaire_of(round_.questionnaire_version)
            result[round_.id] = ScoredRound(_meta(round_), card, round_.health_system_id, q)
    if missing:
        ids = [r.id for r in missing]
        ratings: dict[int, list[Rating]] = {}
        consensus: dict[int, list[Consensus]] = {}
        targets: dict[int, list[Target]] = {}
        for chunk in _chunks(ids, 500):
            for rating in session.scalars(select(Rating).where(Rating.round_id.in_(chunk))):
                ratings.setdefault(rating.round_id, []).append(rating)
            for agreed in session.scalars(select(Consensus).where(Consensus.round_id.in_(chunk))):
                consensus.setdefault(agreed.round_id, []).append(agreed)
            for target in session.scalars(select(Target).where(Target.round_id.in_(chunk))):
                targets.setdefault(target.round_id, []).append(target)
        for round_ in missing:
            q = questionnaire_of(round_.questionnaire_version)
            answers, _ = effective_answers(
                q, ratings.get(round_.id, []), consensus.get(round_.id, []), targets.get(round_.id, [])
            )
            card = score(q, answers)
            if round_.status == PUBLISHED:
                _cards.put(_cache_key(services, round_), card)
            result[round_.id] = ScoredRound(_meta(round_), card, round_.health_system_id, q)
    return [result[r.id] for r in rounds]


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _published_rounds(session: Session, questionnaire_id: str | None = None) -> list[AssessmentRound]:
    query = (
        select(AssessmentRound)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == AssessmentRound.questionnaire_version_id)
        .join(HealthSystem, HealthSystem.id == AssessmentRound.health_system_id)
        .where(AssessmentRound.status == PUBLISHED)
        .order_by(HealthSystem.code, AssessmentRound.round_date, AssessmentRound.id)
    )
    if questionnaire_id is not None:
        query = query.where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
    return list(session.scalars(query))


def _experts_by_round(session: Session, round_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    experts: dict[int, set[int]] = {}
    for chunk in _chunks(list(round_ids), 500):
        for round_id, user_id in session.execute(
            select(RoundExpert.round_id, RoundExpert.user_id).where(RoundExpert.round_id.in_(chunk))
        ):
            experts.setdefault(round_id, set()).add(user_id)
    return {k: frozenset(v) for k, v in experts.items()}


def sees_names(actor: Actor) -> bool:
    """Only analysts and administrators see other health systems by name."""
    return actor.is_admin or actor.is_analyst


def published_scorecards(
    services: Services, actor_id: int, *, questionnaire_id: str | None = None
) -> list[ScoredRound]:
    """The published rounds this user may open, scored: every one for analysts and admins,
    their own health systems' for everyone else.  Input for :mod:`b1mg_maturity.benchmark`."""
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        rounds = _published_rounds(session, questionnaire_id)
        if not sees_names(actor):
            experts = _experts_by_round(session, [r.id for r in rounds])
            rounds = [
                r
                for r in rounds
                if can_read_round(actor, RoundFacts(r.id, r.health_system_id, r.status, experts.get(r.id, frozenset())))
            ]
        return _score_rounds(services, session, rounds)


# --- peer benchmark for one round (results page, report) ----------------------------------------


@dataclass(frozen=True)
class PeerBenchmark:
    """The median per domain of other health systems' latest published rounds (never naming them)."""

    medians: Mapping[str, float]  # domain id -> median; a domain scored by too few peers is left out
    count: int  # other health systems behind the medians
    label: str
    withheld: tuple[str, ...] = ()  # domain ids left out because too few peers scored them


def _latest_per_system(rounds: Iterable[AssessmentRound]) -> list[AssessmentRound]:
    latest: dict[int, AssessmentRound] = {}
    for round_ in rounds:
        best = latest.get(round_.health_system_id)
        if best is None or (round_.round_date, round_.id) > (best.round_date, best.id):
            latest[round_.health_system_id] = round_
    return list(latest.values())


def peer_domain_medians(
    services: Services, actor_id: int, round_id: int, *, min_group_size: int | None = None
) -> PeerBenchmark | None:
    """For the round's health system: the median per domain of the latest published round of every
    *other* health system that used the same questionnaire id.

    The user must be allowed to open the round.  None unless at least
    ``min_group_size`` other health systems qualify; a domain scored by fewer
    than that many is left out (listed in ``withheld``).
    """
    threshold = _threshold(min_group_size)
    own = services.get_round(actor_id, round_id)  # checks that the user may open the round
    with services.db.reading() as session:
        candidates = [
            r for r in _published_rounds(session, own.questionnaire_id) if r.health_system_id != own.health_system.id
        ]
        peers = _score_rounds(services, session, _latest_per_system(candidates))
    if len(peers) < threshold:
        return None
    questionnaire = services.questionnaire_for_round(actor_id, round_id)
    medians: dict[str, float] = {}
    withheld: list[str] = []
    for domain in questionnaire.domains:
        values = [
            group.score
            for peer in peers
            for group in peer.card.domains
            if group.id == domain.id and group.score is not None
        ]
        if len(values) >= threshold:
            medians[domain.id] = float(statistics.median(values))
        else:
            withheld.append(domain.id)
    label = f"Median of {len(peers)} other health systems"
    return PeerBenchmark(medians, len(peers), label, tuple(withheld))


# --- the compare page's filters (its state lives in the address) ---------------------------------

RoundsMode = Literal["latest", "label", "dates"]
GroupKind = Literal["all", "list", "region"]
VIEWS = ("radar", "heatmap", "indicators", "distribution", "trends", "gaps")
SORTS = ("name", "overall")  # or a domain id
OVERALL = "overall"


def _split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    seen: dict[str, None] = {}
    for part in text.split(","):
        code = part.strip().upper()
        if code and len(code) <= 16:
            seen[code] = None
    return tuple(seen)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """What the compare page shows.  Round-trips through the address (``?view=...&rounds=...``)."""

    view: str = "radar"
    rounds: RoundsMode = "latest"
    label: str | None = None  # with rounds="label"
    date_from: dt.date | None = None  # with rounds="dates"
    date_to: dt.date | None = None
    questionnaire: str | None = None  # "id@version"; None: the one most health systems used
    pillar: str | None = None
    group: GroupKind = "all"
    members: tuple[str, ...] = ()  # group="list": health system codes
    region: str = ""  # group="region": a code prefix such as "ES-" or "DE"
    systems: tuple[str, ...] = ()  # overlaid and highlighted health systems; the first is the focus
    domain: str | None = None  # the domain of the indicator heatmap
    item: str = OVERALL  # the trend shown: "overall" or a domain id
    sort: str = "name"  # heatmap order: name, overall, or a domain id (highest first)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Filters:
        """Read the address leniently: what is not understood is left at its default."""
        rounds = params.get("rounds", "latest")
        group = params.get("group", "all")
        view = params.get("view", "radar")
        return cls(
            view=view if view in VIEWS else "radar",
            rounds=rounds if rounds in ("latest", "label", "dates") else "latest",  # type: ignore[arg-type]
            label=(params.get("label") or None),
            date_from=_date(params.get("from")),
            date_to=_date(params.get("to")),
            questionnaire=params.get("q") or None,
            pillar=params.get("pillar") or None,
            group=group if group in ("all", "list", "region") else "all",  # type: ignore[arg-type]
            members=_split(params.get("members")),
            region=(params.get("region") or "").strip().upper()[:16],
            systems=_split(params.get("systems")),
            domain=params.get("domain") or None,
            item=params.get("item") or OVERALL,
            sort=params.get("sort") or "name",
        )

    def to_query(self) -> dict[str, str]:
        """The address parameters that differ from the defaults."""
        query: dict[str, str] = {}
        default = Filters()
        if self.view != default.view:
            query["view"] = self.view
        if self.rounds != "latest":
            query["rounds"] = self.rounds
        if self.rounds == "label" and self.label:
            query["label"] = self.label
        if self.rounds == "dates":
            if self.date_from:
                query["from"] = self.date_from.isoformat()
            if self.date_to:
                query["to"] = self.date_to.isoformat()
        if self.questionnaire:
            query["q"] = self.questionnaire
        if self.pillar:
            query["pillar"] = self.pillar
        if self.group != "all":
            query["group"] = self.group
        if self.group == "list" and self.members:
            query["members"] = ",".join(self.members)
        if self.group == "region" and self.region:
            query["region"] = self.region
        if self.systems:
            query["systems"] = ",".join(self.systems)
        if self.domain:
            query["domain"] = self.domain
        if self.item != OVERALL:
            query["item"] = self.item
        if self.sort != "name":
            query["sort"] = self.sort
        return query


# --- the comparison --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionnaireChoice:
    key: str  # "id@version"
    questionnaire_id: str
    version: str
    title: str
    systems: int  # health systems with a published round of this version


@dataclass(frozen=True)
class SystemChoice:
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} · {self.name}"


@dataclass(frozen=True)
class Comparison:
    """Everything the compare page shows, already cut to what this user may see.

    Every table is what its chart draws, and what its download contains.
    """

    filters: Filters  # as applied (unknown or forbidden choices removed)
    named: bool  # whether other health systems appear by name
    questionnaire: Questionnaire | None  # the version compared (None: nothing published yet)
    questionnaires: tuple[QuestionnaireChoice, ...]
    round_labels: tuple[str, ...]
    date_bounds: tuple[dt.date, dt.date] | None
    systems: tuple[SystemChoice, ...]  # the health systems that may be selected
    all_systems: tuple[SystemChoice, ...]  # named view: every system with a published round of the version
    selected: tuple[SystemChoice, ...]  # overlaid / highlighted, the first one is the focus
    group_size: int  # health systems behind the statistics
    statistic_label: str  # e.g. "Median of 13 other health systems"
    min_group_size: int
    notes: tuple[str, ...]
    radar: pd.DataFrame = field(default_factory=pd.DataFrame)
    heatmap: pd.DataFrame = field(default_factory=pd.DataFrame)
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    indicator_notes: Mapping[str, str] = field(default_factory=dict)  # indicator id -> statement
    distribution: pd.DataFrame = field(default_factory=pd.DataFrame)
    points: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per named system and domain
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def focus(self) -> SystemChoice | None:
        return self.selected[0] if self.selected else None

    @property
    def statistics_withheld(self) -> bool:
        return self.group_size < self.min_group_size

    def table(self, view: str) -> pd.DataFrame:
        """The table behind a view (the indicator heatmap's is ``indicators``; the distribution's
        individual values, for analysts only, are ``points``)."""
        tables = {
            "radar": self.radar,
            "heatmap": self.heatmap,
            "indicators": self.indicators,
            "distribution": self.distribution,
            "points": self.points,
            "trends": self.trends,
            "gaps": self.gaps,
        }
        return tables[view]


def domain_label(questionnaire: Questionnaire, domain_id: str) -> str:
    for domain in questionnaire.domains:
        if domain.id == domain_id:
            return f"{domain.code} · {domain.name}" if domain.code else domain.name
    return domain_id


def _most_used_version(rounds: Sequence[AssessmentRound]) -> str | None:
    systems: dict[str, set[int]] = {}
    newest: dict[str, dt.date] = {}
    for round_ in rounds:
        qv = round_.questionnaire_version
        key = f"{qv.questionnaire_id}@{qv.version}"
        systems.setdefault(key, set()).add(round_.health_system_id)
        newest[key] = max(newest.get(key, round_.round_date), round_.round_date)
    if not systems:
        return None
    return max(systems, key=lambda k: (len(systems[k]), newest[k]))


def _in_group(code: str, filters: Filters) -> bool:
    if filters.group == "list":
        return code in filters.members
    if filters.group == "region":
        return code.startswith(filters.region) if filters.region else True
    return True


def _round_selected(round_: AssessmentRound, filters: Filters) -> bool:
    if filters.rounds == "label":
        return round_.label == filters.label
    if filters.rounds == "dates":
        if filters.date_from and round_.round_date < filters.date_from:
            return False
        return not (filters.date_to and round_.round_date > filters.date_to)
    return True


def compare(
    services: Services, actor_id: int, filters: Filters | None = None, *, min_group_size: int | None = None
) -> Comparison:
    """The comparison this user may see for ``filters`` (see the module docstring for the rules)."""
    filters = filters or Filters()
    threshold = _threshold(min_group_size)
    notes: list[str] = ["Only published rounds count."]
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        named = sees_names(actor)
        published = _published_rounds(session)
        own_codes: set[str] = set()
        readable_own: set[int] = set()
        if not named:
            codes = dict(session.execute(select(HealthSystem.id, HealthSystem.code)).all())
            own_codes = {codes[system_id] for system_id in actor.roles if system_id in codes}
            experts = _experts_by_round(session, [r.id for r in published if r.health_system.code in own_codes])
            readable_own = {
                r.id
                for r in published
                if r.health_system.code in own_codes
                and can_read_round(
                    actor, RoundFacts(r.id, r.health_system_id, r.status, experts.get(r.id, frozenset()))
                )
            }
            # the anonymous view: fixed group "all", the own systems selected, names of others never leave here
            filters = replace(filters, group="all", members=(), region="")
            if filters.rounds != "latest":  # a group the user chooses would make statistics subtractable
                notes.append(
                    "Choosing a round or a date range is for analysts: figures of other health systems always "
                    "describe each one's latest published round, so that no two views can be subtracted."
                )
                filters = replace(filters, rounds="latest", label=None, date_from=None, date_to=None)

        versions: dict[str, QuestionnaireChoice] = {}
        for round_ in published:
            qv = round_.questionnaire_version
            key = f"{qv.questionnaire_id}@{qv.version}"
            seen = versions.get(key)
            count = len({r.health_system_id for r in published if r.questionnaire_version_id == qv.id})
            if seen is None:
                versions[key] = QuestionnaireChoice(key, qv.questionnaire_id, qv.version, qv.title, count)
        chosen_key = filters.questionnaire if filters.questionnaire in versions else _most_used_version(published)
        if filters.questionnaire and filters.questionnaire not in versions:
            notes.append(f"No published round uses questionnaire {filters.questionnaire}; showing {chosen_key}.")
        filters = replace(filters, questionnaire=chosen_key)
        choices = tuple(sorted(versions.values(), key=lambda c: (-c.systems, c.key)))
        if chosen_key is None:
            notes.append("No round has been published yet: there is nothing to compare.")
            return Comparison(filters, named, None, choices, (), None, (), (), (), 0, "", threshold, tuple(notes))
        chosen = versions[chosen_key]
        in_version = [
            r
            for r in published
            if r.questionnaire_version.version == chosen.version
            and r.questionnaire_version.questionnaire_id == chosen.questionnaire_id
        ]
        same_id = [r for r in published if r.questionnaire_version.questionnaire_id == chosen.questionnaire_id]

        grouping = filters

        def visible(round_: AssessmentRound) -> bool:
            if named:
                return _in_group(round_.health_system.code, grouping)
            return round_.health_system.code not in own_codes or round_.id in readable_own

        everyone = {r.health_system.code: r.health_system.name for r in in_version} if named else {}
        questionnaire = questionnaire_of(in_version[0].questionnaire_version)
        in_version = [r for r in in_version if visible(r)]
        same_id = [r for r in same_id if visible(r)]
        # round labels and dates are free text and facts of other systems: the anonymous view offers its own only
        offered = in_version if named else [r for r in in_version if r.id in readable_own]
        labels = _labels_by_date(offered)
        if filters.rounds == "label" and filters.label not in labels:
            if filters.label:
                notes.append(f"No published round is labelled '{filters.label}'; showing each system's latest.")
            filters = replace(filters, rounds="latest", label=None)
        bounds = (min(r.round_date for r in offered), max(r.round_date for r in offered)) if offered else None
        if filters.rounds == "dates" and bounds is not None:  # an open end is the first or last round
            filters = replace(filters, date_from=filters.date_from or bounds[0], date_to=filters.date_to or bounds[1])
        selection = [r for r in in_version if _round_selected(r, filters)]
        trend_rounds = [r for r in same_id if filters.rounds != "dates" or _round_selected(r, filters)]
        scored = _score_rounds(services, session, _unique([*selection, *trend_rounds]))

    by_id = {s.meta.round_id: s for s in scored}
    selection_frame = bm.scores_frame((by_id[r.id].meta, by_id[r.id].card) for r in selection)
    trend_frame = bm.scores_frame((by_id[r.id].meta, by_id[r.id].card) for r in trend_rounds)
    exclude = own_codes if not named else set()
    latest = bm.snapshot(selection_frame)
    stats = bm.statistics(latest, min_group_size=threshold, exclude_systems=exclude)
    ranked = bm.positions(latest, stats, exclude_systems=exclude)
    snapshot_systems = {
        code: name for code, name in latest[["system_code", "system_name"]].drop_duplicates().itertuples(index=False)
    }
    group_size = len([c for c in snapshot_systems if c not in exclude])

    if named:
        available = tuple(SystemChoice(c, n) for c, n in sorted(snapshot_systems.items()))
    else:
        available = tuple(SystemChoice(c, n) for c, n in sorted(snapshot_systems.items()) if c in own_codes)
        if not available:
            notes.append("Your health system has no published round in this selection; the aggregates are shown alone.")
    allowed = {s.code: s for s in available}
    wanted = [allowed[c] for c in filters.systems if c in allowed]
    dropped = [c for c in filters.systems if c not in allowed]
    if dropped and named:
        notes.append(f"Not in this selection: {', '.join(dropped)}.")
    if not wanted:
        wanted = list(available[: 3 if named else MAX_OVERLAY])
    if len(wanted) > MAX_OVERLAY:
        notes.append(f"At most {MAX_OVERLAY} health systems are overlaid; the first {MAX_OVERLAY} are shown.")
        wanted = wanted[:MAX_OVERLAY]
    selected = tuple(wanted)
    filters = replace(filters, systems=tuple(s.code for s in selected))

    domains = [d for d in questionnaire.domains if filters.pillar is None or d.pillar == filters.pillar]
    if filters.pillar and not domains:
        notes.append(f"The questionnaire has no pillar '{filters.pillar}'; showing all domains.")
        filters = replace(filters, pillar=None)
        domains = list(questionnaire.domains)
    domain_ids = [d.id for d in domains]
    if filters.domain not in domain_ids:
        filters = replace(filters, domain=domain_ids[0])
    if filters.item != OVERALL and filters.item not in domain_ids:
        filters = replace(filters, item=OVERALL)
    if filters.sort not in (*SORTS, *domain_ids):
        filters = replace(filters, sort="name")

    others = "other health systems" if not named else "health systems"
    statistic_label = f"Median of {group_size} {others}"
    if group_size < threshold:
        statistic_label = f"Median (withheld: fewer than {threshold} {others})"
        notes.append(
            f"Statistics are withheld: {group_size if named else 'too few'} {others} in this selection, "
            f"fewer than the {threshold} needed."
        )
    builder = _Tables(questionnaire, domains, filters, ranked, stats, trend_frame, selected, named, exclude, threshold)
    if named and filters.group != "all":
        notes.append(f"Group: {group_size} health systems ({_group_text(filters)}).")
    notes.extend(builder.trend_notes())
    return Comparison(
        filters=filters,
        named=named,
        questionnaire=questionnaire,
        questionnaires=choices,
        round_labels=tuple(labels),
        date_bounds=bounds,
        systems=available,
        all_systems=tuple(SystemChoice(c, n) for c, n in sorted(everyone.items())),
        selected=selected,
        group_size=group_size,
        statistic_label=statistic_label,
        min_group_size=threshold,
        notes=tuple(notes),
        radar=builder.radar(statistic_label),
        heatmap=builder.heatmap(),
        indicators=builder.indicator_heatmap(),
        indicator_notes={i.id: i.statement for d in domains if d.id == filters.domain for i in d.indicators},
        distribution=builder.distribution(),
        points=builder.points(),
        trends=builder.trends(),
        gaps=builder.gaps(),
    )


def _group_text(filters: Filters) -> str:
    if filters.group == "list":
        return "list " + ", ".join(filters.members)
    if filters.group == "region":
        return f"codes starting with {filters.region}"
    return "all"


def _unique(rounds: Iterable[AssessmentRound]) -> list[AssessmentRound]:
    seen: dict[int, AssessmentRound] = {}
    for round_ in rounds:
        seen.setdefault(round_.id, round_)
    return list(seen.values())


def _labels_by_date(rounds: Sequence[AssessmentRound]) -> list[str]:
    dates: dict[str, list[dt.date]] = {}
    for round_ in rounds:
        dates.setdefault(round_.label, []).append(round_.round_date)
    return sorted(dates, key=lambda label: (sorted(dates[label])[len(dates[label]) // 2], label))


SYSTEM = "Health system"
ITEM = "Item"
DECIMALS = 2


class _Tables:
    """Builds the page's tables from benchmark frames; knows nothing of permissions beyond ``named``/``exclude``."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        domains: Sequence[Any],
        filters: Filters,
        ranked: pd.DataFrame,
        stats: pd.DataFrame,
        trend_frame: pd.DataFrame,
        selected: Sequence[SystemChoice],
        named: bool,
        exclude: set[str],
        threshold: int,
    ) -> None:
        self.q = questionnaire
        self.domains = list(domains)
        self.filters = filters
        self.stats = stats
        self.trend_frame = trend_frame
        self.selected = list(selected)
        self.named = named
        self.exclude = exclude
        self.threshold = threshold
        self._changes: pd.DataFrame | None = None
        if filters.pillar:
            self.summary: tuple[str, str, str] = ("pillar", filters.pillar, self.q.pillar(filters.pillar).name)
        else:
            self.summary = ("overall", bm.OVERALL_ID, "Overall")
        # only the rows this user may see: every system when named, else the own ones
        visible = ranked if named else ranked.loc[ranked["system_code"].isin(list(exclude))]
        self.rows = visible.loc[visible["questionnaire_id"] == questionnaire.id]
        # plain dictionaries: the tables look values up one at a time, which pandas indexing makes slow
        self.records: dict[tuple[str, str, str], Mapping[Hashable, Any]] = {
            (r["system_code"], r["kind"], r["item_id"]): r for r in self.rows.to_dict("records")
        }
        self.stat_rows: dict[tuple[str, str], Mapping[Hashable, Any]] = {
            (r["kind"], r["item_id"]): r for r in stats.to_dict("records")
        }
        names = self.rows[["system_code", "system_name"]].drop_duplicates()
        self.systems = [SystemChoice(c, n) for c, n in sorted(names.itertuples(index=False, name=None))]

    # -- helpers --

    def selected_changes(self) -> pd.DataFrame:
        """Changes between rounds of the selected health systems (computed once)."""
        if self._changes is None:
            codes = [s.code for s in self.selected]
            self._changes = bm.changes(self.trend_frame.loc[self.trend_frame["system_code"].isin(codes)])
        return self._changes

    def items(self) -> list[tuple[str, str, str]]:
        """(kind, id, label) of the summary (overall or pillar) and the domains in view."""
        return [self.summary, *(("domain", d.id, domain_label(self.q, d.id)) for d in self.domains)]

    def score(self, code: str, kind: str, item: str) -> float:
        return _field(self.records.get((code, kind, item)), "score")

    def stat(self, kind: str, item: str, column: str) -> float:
        return _field(self.stat_rows.get((kind, item)), column)

    def withheld(self, kind: str, item: str) -> str:
        row = self.stat_rows.get((kind, item))
        return bm.withheld_reason(self.threshold) if row is None else str(row["withheld"])

    def ordered_systems(self) -> list[SystemChoice]:
        sort = self.filters.sort
        if sort == "name":
            return list(self.systems)
        kind, item = (self.summary[0], self.summary[1]) if sort == "overall" else ("domain", sort)
        return sorted(
            self.systems,
            key=lambda s: (math.isnan(self.score(s.code, kind, item)), -_nan0(self.score(s.code, kind, item)), s.code),
        )

    # -- tables --

    def radar(self, statistic_label: str) -> pd.DataFrame:
        data: dict[str, list[Any]] = {"Domain": [domain_label(self.q, d.id) for d in self.domains]}
        for system in self.selected:
            data[system.label] = [_round(self.score(system.code, "domain", d.id)) for d in self.domains]
        if not all(self.withheld("domain", d.id) for d in self.domains):
            data[statistic_label] = [_round(self.stat("domain", d.id, "median")) for d in self.domains]
        return pd.DataFrame(data)

    def heatmap(self) -> pd.DataFrame:
        items = self.items()
        rows: list[dict[str, Any]] = []
        for system in self.ordered_systems():
            rows.append(
                {SYSTEM: system.label} | {label: _round(self.score(system.code, k, i)) for k, i, label in items}
            )
        for column, name in (("median", "Median"), ("highest", "Highest")):
            values = {label: _round(self.stat(k, i, column)) for k, i, label in items}
            if any(not math.isnan(v) for v in values.values()):
                rows.append({SYSTEM: f"{name} ({self._group_words()})"} | values)
        return pd.DataFrame(rows, columns=[SYSTEM, *(label for _, _, label in items)])

    def _group_words(self) -> str:
        size = self.stat(self.summary[0], self.summary[1], "systems")
        count = "" if math.isnan(size) else f"{int(size)} "
        return f"{count}{'other ' if not self.named else ''}health systems"

    def indicator_heatmap(self) -> pd.DataFrame:
        domain = next((d for d in self.domains if d.id == self.filters.domain), self.domains[0])
        ids = [i.id for i in domain.indicators]
        rows: list[dict[str, Any]] = []
        for system in self.ordered_systems():
            row: dict[str, Any] = {SYSTEM: system.label}
            for indicator_id in ids:
                key = (system.code, "indicator", indicator_id)
                record = self.records.get(key)
                if record is None:
                    row[indicator_id] = None
                elif bool(record["not_applicable"]):
                    row[indicator_id] = "NA"
                else:
                    value = record["score"]
                    row[indicator_id] = None if pd.isna(value) else int(value)
            rows.append(row)
        median = {i: _round(self.stat("indicator", i, "median")) for i in ids}
        if any(not math.isnan(v) for v in median.values()):
            rows.append({SYSTEM: f"Median ({self._group_words()})"} | median)
        return pd.DataFrame(rows, columns=[SYSTEM, *ids])

    def distribution(self) -> pd.DataFrame:
        focus = self.selected[0] if self.selected else None
        rows = []
        for kind, item, label in self.items():
            withheld = self.withheld(kind, item)
            row: dict[str, Any] = {ITEM: label}
            for column, name in (
                ("systems", "Health systems"),
                ("lowest", "Lowest"),
                ("q1", "Lower quartile"),
                ("median", "Median"),
                ("q3", "Upper quartile"),
                ("highest", "Highest"),
            ):
                value = self.stat(kind, item, column)
                row[name] = (None if math.isnan(value) else int(value)) if column == "systems" else _round(value)
            row["Withheld"] = withheld
            if focus is not None:
                row[focus.label] = _round(self.score(focus.code, kind, item))
                row["Rank"] = _rank_text(self.records.get((focus.code, kind, item)))
            rows.append(row)
        table = pd.DataFrame(rows)
        table["Health systems"] = table["Health systems"].astype("Int64")
        return table

    def points(self) -> pd.DataFrame:
        if not self.named:
            return pd.DataFrame(columns=[ITEM, SYSTEM, "Score"])
        rows = [
            {ITEM: label, SYSTEM: system.label, "Score": _round(self.score(system.code, kind, item))}
            for kind, item, label in self.items()
            for system in self.systems
        ]
        return pd.DataFrame(rows, columns=[ITEM, SYSTEM, "Score"])

    def trends(self) -> pd.DataFrame:
        columns = [
            SYSTEM,
            "Round",
            "Date",
            "Questionnaire version",
            "Score",
            "Change",
            "Versions differ",
            "Health systems",
        ]
        frame = self.trend_frame
        if frame.empty:
            return pd.DataFrame(columns=columns)
        kind, item = (
            (self.summary[0], self.summary[1]) if self.filters.item == OVERALL else ("domain", self.filters.item)
        )
        codes = [s.code for s in self.selected]
        mine = frame.loc[frame["system_code"].isin(codes) & (frame["kind"] == kind) & (frame["item_id"] == item)]
        changes = self.selected_changes()
        changes = changes.loc[(changes["kind"] == kind) & (changes["item_id"] == item)].set_index("round_id")
        label_of = {s.code: s.label for s in self.selected}
        rows: list[dict[str, Any]] = []
        delta = changes["change"].to_dict() if not changes.empty else {}
        differs = changes["versions_differ"].to_dict() if not changes.empty else {}
        for record in mine.sort_values(["system_code", "round_date", "round_id"]).to_dict("records"):
            change = delta.get(record["round_id"], math.nan)
            differ = bool(differs.get(record["round_id"], False))
            rows.append(
                {
                    SYSTEM: label_of[str(record["system_code"])],
                    "Round": record["round_label"],
                    "Date": record["round_date"].date(),
                    "Questionnaire version": record["questionnaire_version"],
                    "Score": _round(_field(record, "score")),
                    "Change": _round(float(change)),
                    "Versions differ": differ,
                    "Health systems": None,
                }
            )
        if self.named:  # the per-round medians; the anonymous view has none (its groups would overlap, see top)
            rows.extend(self._round_medians(frame, kind, item))
        table = pd.DataFrame(rows, columns=columns)
        table["Health systems"] = table["Health systems"].astype("Int64")
        return table.sort_values(["Date", SYSTEM], kind="stable").reset_index(drop=True)

    def _round_medians(self, frame: pd.DataFrame, kind: str, item: str) -> list[dict[str, Any]]:
        labelled = frame.drop_duplicates(["round_label", "system_code", "kind", "item_id"], keep="last")
        by_round = bm.statistics(
            labelled.loc[(labelled["kind"] == kind) & (labelled["item_id"] == item)],
            min_group_size=self.threshold,
            by=["round_label"],
            exclude_systems=self.exclude,
        )
        date_of = frame.drop_duplicates("round_id").groupby("round_label")["round_date"].median().to_dict()
        return [
            {
                SYSTEM: "Median",
                "Round": stat["round_label"],
                "Date": date_of[stat["round_label"]].date(),
                "Questionnaire version": "",
                "Score": _round(_field(stat, "median")),
                "Change": math.nan,
                "Versions differ": False,
                "Health systems": int(stat["systems"]),
            }
            for stat in by_round.to_dict("records")
            if not stat["withheld"]
        ]

    def trend_notes(self) -> list[str]:
        frame = self.trend_frame
        if frame.empty:
            return []
        mine = frame.loc[frame["system_code"].isin([s.code for s in self.selected])]
        notes = bm.questionnaire_switches(mine)
        if not mine.empty and bool(self.selected_changes()["versions_differ"].any()):
            notes.append("Some changes compare different versions of the questionnaire (marked in the trend table).")
        return notes

    def gaps(self) -> pd.DataFrame:
        columns = [
            SYSTEM,
            ITEM,
            "Score",
            "Rank",
            "Target",
            "To target",
            "Median",
            "To median",
            "Highest",
            "To highest",
            "Withheld",
        ]
        rows = []
        for system in self.selected:
            for kind, item, label in self.items():
                key = (system.code, kind, item)
                value = partial(_field, self.records.get(key))
                rows.append(
                    {
                        SYSTEM: system.label,
                        ITEM: label,
                        "Score": _round(value("score")),
                        "Target": _round(value("target")),
                        "To target": _round(value("to_target")),
                        "Median": _round(self.stat(kind, item, "median")),
                        "To median": _round(value("to_median")),
                        "Highest": _round(self.stat(kind, item, "highest")),
                        "To highest": _round(value("to_highest")),
                        "Rank": _rank_text(self.records.get(key)),
                        "Withheld": self.withheld(kind, item),
                    }
                )
        return pd.DataFrame(rows, columns=columns)


def _field(record: Mapping[Hashable, Any] | None, name: str) -> float:
    """A number from a record; NaN where the record or the value is missing."""
    if record is None:
        return math.nan
    value = record.get(name)
    return math.nan if value is None or pd.isna(value) else float(value)


def _nan0(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def _round(value: float) -> float:
    return math.nan if value is None or math.isnan(value) else round(value, DECIMALS)


def _rank_text(record: Mapping[Hashable, Any] | None) -> str:
    if record is None or pd.isna(record.get("rank")) or pd.isna(record.get("of")):
        return ""
    return f"{int(record['rank'])} of {int(record['of'])}"


# --- downloads: CSV and XLSX of any table, safe to open in a spreadsheet -----------------------


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so spreadsheet programs read the accents); formulas neutralised."""
    return _safe(frame).to_csv(index=False).encode("utf-8-sig")


def table_xlsx(frame: pd.DataFrame, sheet: str = "table") -> bytes:
    """An XLSX workbook with one sheet; text that a spreadsheet would run as a formula is neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _safe(frame).to_excel(writer, index=False, sheet_name=sheet[:31] or "table")
    return buffer.getvalue()


# --- the programme overview (analysts and administrators) ------------------------------------------


@dataclass(frozen=True)
class Overview:
    systems_registered: int
    systems_assessed: int  # with at least one published round
    published_rounds: int
    in_progress: Mapping[str, int]  # status -> rounds (administrators only; empty for analysts)
    per_round: pd.DataFrame  # one row per round label
    min_group_size: int
    notes: tuple[str, ...]
    level_labels: Mapping[int, str] = field(default_factory=dict)  # of the questionnaire most rounds used


STATUS_NAMES = {"draft": "Draft", "in_review": "In review", "submitted": "Submitted"}


def programme_overview(services: Services, actor_id: int, *, min_group_size: int | None = None) -> Overview:
    """How far the programme has come: systems assessed, per round, coverage, overall levels.

    Analysts and administrators only.  Scores count published rounds only;
    administrators also see how many rounds are still in progress.
    """
    threshold = _threshold(min_group_size)
    with services.db.reading() as session:
        actor = services.load_actor(session, actor_id)
        if not sees_names(actor):
            raise PermissionDenied("You may not see the programme overview (analysts and administrators only).")
        registered = len(list(session.scalars(select(HealthSystem.id))))
        published = _published_rounds(session)
        scored = _score_rounds(services, session, published)
        progress: dict[tuple[str, str], int] = {}
        if actor.is_admin:
            for label, status in session.execute(
                select(AssessmentRound.label, AssessmentRound.status).where(AssessmentRound.status != PUBLISHED)
            ):
                progress[(label, status)] = progress.get((label, status), 0) + 1

    rows: list[dict[str, Any]] = []
    by_label: dict[str, list[ScoredRound]] = {}
    for round_ in scored:
        by_label.setdefault(round_.meta.label, []).append(round_)
    labels = sorted(
        set(by_label) | {label for label, _ in progress},
        key=lambda lb: (min((r.meta.date for r in by_label.get(lb, [])), default=dt.date.max), lb),
    )
    for label in labels:
        rounds = by_label.get(label, [])
        systems = len({r.meta.system_code for r in rounds})
        row: dict[str, Any] = {
            "Round": label,
            "Health systems assessed": systems,
            "Share of registered systems": round(100 * systems / registered, 1) if registered else math.nan,
        }
        small = systems < threshold
        overall = [r.card.overall.score for r in rounds if r.card.overall.score is not None]
        coverage = [r.card.overall.coverage.ratio for r in rounds]
        row["Median coverage (%)"] = math.nan if small else round(100 * statistics.median(coverage), 1)
        row["Median overall score"] = math.nan if small or not overall else round(statistics.median(overall), DECIMALS)
        bands = [r.card.overall.band for r in rounds if r.card.overall.band is not None]
        for level in range(1, 6):
            row[f"Level {level}"] = None if small else sum(1 for b in bands if b == level)
        row["Withheld"] = bm.withheld_reason(threshold) if small else ""
        if progress:
            for status, name in STATUS_NAMES.items():
                row[name] = progress.get((label, status), 0)
        rows.append(row)
    table = pd.DataFrame(rows)
    for level in range(1, 6):
        if f"Level {level}" in table.columns:
            table[f"Level {level}"] = table[f"Level {level}"].astype("Int64")
    in_progress: dict[str, int] = {}
    for (_, status), count in progress.items():
        in_progress[status] = in_progress.get(status, 0) + count
    notes = [
        "Only published rounds count in scores, coverage and levels.",
        "Coverage is the share of applicable indicators answered (overall, per round).",
        "A level is the highest fully reached: the overall score rounded down.",
    ]
    if any(table["Withheld"] != "") if not table.empty else False:
        notes.append(f"Rounds with fewer than {threshold} health systems show counts only.")
    return Overview(
        systems_registered=registered,
        systems_assessed=len({r.meta.system_code for r in scored}),
        published_rounds=len(scored),
        in_progress=in_progress,
        per_round=table,
        min_group_size=threshold,
        notes=tuple(notes),
        level_labels=_level_labels(scored),
    )


def _level_labels(scored: Sequence[ScoredRound]) -> dict[int, str]:
    if not scored:
        return {}
    counts: dict[str, int] = {}
    for round_ in scored:
        counts[round_.questionnaire.content_hash] = counts.get(round_.questionnaire.content_hash, 0) + 1
    common = max(counts, key=lambda h: counts[h])
    questionnaire = next(r.questionnaire for r in scored if r.questionnaire.content_hash == common)
    return {level.level: level.label for level in questionnaire.levels}
