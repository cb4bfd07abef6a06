"""The Compare page's tables: typed, with stable column ids, and an explicit flag on aggregate rows.  Pure.

Each :class:`Table` keys its columns by a stable id (``"system"``, ``"median"``,
a domain or indicator id, a health system's code); the words people read are the
columns' labels, used only when the table is shown or downloaded
(:meth:`Table.frame`).  A row (or a column, in the radar) that is a statistic of
a group rather than a health system says so in ``is_aggregate``: charts never
guess it from the text, so a health system named "Median ..." is drawn as a
health system.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

import pandas as pd

from b1mg_maturity import benchmark as bm
from b1mg_maturity.comparison.filters import OVERALL, Filters, SystemChoice
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.questionnaire import Domain, Questionnaire

DECIMALS = 2
AGGREGATE = "is_aggregate"  # the flag column of Table.data

# stable column ids
SYSTEM, ITEM, DOMAIN, FOCUS = "system", "item", "domain", "focus"
SYSTEM_LABEL, ITEM_LABEL = N_("Health system"), N_("Item")


@dataclass(frozen=True)
class Column:
    id: str  # stable: what code looks columns up by
    text: str  # what people read (table header, download, legend): data, or a message when ``message``
    aggregate: bool = False  # a statistic of a group (the radar's median column)
    message: bool = False  # ``text`` is a catalogue message (marked with N_), translated when read

    @property
    def label(self) -> str:
        return _(self.text) if self.message else self.text


def _named(column_id: str, text: str) -> Column:
    """A column whose header is a catalogue message (``text`` marked with N_)."""
    return Column(column_id, text, message=True)


@dataclass(frozen=True, eq=False)
class Table:
    """Rows under stable column ids, the boolean :data:`AGGREGATE` column saying which rows are statistics."""

    columns: tuple[Column, ...]
    data: pd.DataFrame

    @classmethod
    def of(
        cls,
        columns: Sequence[Column],
        rows: Sequence[Mapping[str, Any]],
        aggregate: Sequence[bool] | None = None,
        *,
        integers: Sequence[str] = (),
    ) -> Table:
        """A table of ``rows`` (dicts by column id); ``integers`` are nullable integer columns."""
        data = pd.DataFrame(list(rows), columns=[c.id for c in columns])
        for column_id in integers:
            data[column_id] = data[column_id].astype("Int64")
        data[AGGREGATE] = list(aggregate) if aggregate is not None else [False] * len(data)
        return cls(tuple(columns), data)

    @property
    def empty(self) -> bool:
        return self.data.empty

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.columns]

    @property
    def is_aggregate(self) -> list[bool]:
        return [bool(v) for v in self.data[AGGREGATE]]

    def has(self, column_id: str) -> bool:
        return any(c.id == column_id for c in self.columns)

    def column(self, column_id: str) -> Column:
        return next(c for c in self.columns if c.id == column_id)

    def values(self, column_id: str) -> list[Any]:
        return self.data[column_id].tolist()

    @cached_property
    def _frame(self) -> pd.DataFrame:
        frame = self.data.drop(columns=[AGGREGATE])
        frame.columns = pd.Index([c.label for c in self.columns])
        return frame

    def frame(self) -> pd.DataFrame:
        """The table as people see and download it: labels as headers, without the flag (a copy)."""
        return self._frame.copy()


def domain_label(questionnaire: Questionnaire, domain_id: str) -> str:
    """``"I · Governance and strategy"`` (the name alone for a domain without a code)."""
    for domain in questionnaire.domains:
        if domain.id == domain_id:
            return f"{domain.code} · {domain.name}" if domain.code else domain.name
    return domain_id


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
    return _("{rank} of {total}", rank=int(record["rank"]), total=int(record["of"]))


DISTRIBUTION_STATS = (
    _named("systems", N_("Health systems")),
    _named("lowest", N_("Lowest")),
    _named("q1", N_("Lower quartile")),
    _named("median", N_("Median")),
    _named("q3", N_("Upper quartile")),
    _named("highest", N_("Highest")),
)
TREND_COLUMNS = (
    _named(SYSTEM, SYSTEM_LABEL),
    _named("round", N_("Round")),  # the period's name ("Round 2026 H1"): trends group rounds by period
    _named("label", N_("Round name")),  # the round's own name, free label included (empty for a median)
    _named("date", N_("Date")),
    _named("version", N_("Questionnaire version")),
    _named("score", N_("Score")),
    _named("change", N_("Change")),
    _named("versions_differ", N_("Versions differ")),
    _named("systems", N_("Health systems")),
)
GAP_COLUMNS = (
    _named(SYSTEM, SYSTEM_LABEL),
    _named(ITEM, ITEM_LABEL),
    _named("score", N_("Score")),
    _named("rank", N_("Rank")),
    _named("target", N_("Target")),
    _named("to_target", N_("To target")),
    _named("median", N_("Median")),
    _named("to_median", N_("To median")),
    _named("highest", N_("Highest")),
    _named("to_highest", N_("To highest")),
    _named("withheld", N_("Withheld")),
)
POINT_COLUMNS = (_named(ITEM, ITEM_LABEL), _named(SYSTEM, SYSTEM_LABEL), _named("score", N_("Score")))


class TableBuilder:
    """Builds the page's tables from benchmark frames; knows nothing of permissions beyond ``named``/``exclude``."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        domains: Sequence[Domain],
        filters: Filters,
        ranked: pd.DataFrame,
        stats: pd.DataFrame,
        trend_frame: pd.DataFrame,
        selected: Sequence[SystemChoice],
        named: bool,
        exclude: set[str],
        threshold: int,
        *,
        round_names: Mapping[int, str] | None = None,
        measure: bm.Measure | None = None,
    ) -> None:
        """``measure``: a pair of rounds' changes over the indicators rated in both (see :func:`bm.changes`)."""
        self.q = questionnaire
        self.domains = list(domains)
        self.filters = filters
        self.stats = stats
        self.trend_frame = trend_frame
        self.selected = list(selected)
        self.named = named
        self.exclude = exclude
        self.threshold = threshold
        self.round_names = round_names or {}
        self.measure = measure
        self._changes: pd.DataFrame | None = None
        if filters.pillar:
            self.summary: tuple[str, str, str] = ("pillar", filters.pillar, self.q.pillar(filters.pillar).name)
        else:
            self.summary = ("overall", bm.OVERALL_ID, _("Overall"))
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
            selected = self.trend_frame.loc[self.trend_frame["system_code"].isin(codes)]
            self._changes = bm.changes(selected, measure=self.measure)
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

    def _group_words(self) -> str:
        size = self.stat(self.summary[0], self.summary[1], "systems")
        if math.isnan(size):
            return _("health systems") if self.named else _("other health systems")
        if self.named:
            return _n("{n} health system", "{n} health systems", int(size))
        return _n("{n} other health system", "{n} other health systems", int(size))

    # -- tables --

    def radar(self, statistic_label: str) -> Table:
        columns = [_named(DOMAIN, N_("Domain")), *(Column(s.code, s.label) for s in self.selected)]
        rows: list[dict[str, Any]] = [
            {DOMAIN: domain_label(self.q, d.id)}
            | {s.code: _round(self.score(s.code, "domain", d.id)) for s in self.selected}
            for d in self.domains
        ]
        if not all(self.withheld("domain", d.id) for d in self.domains):
            columns.append(Column("median", statistic_label, aggregate=True))
            for row, d in zip(rows, self.domains, strict=True):
                row["median"] = _round(self.stat("domain", d.id, "median"))
        return Table.of(columns, rows)

    def heatmap(self) -> Table:
        items = self.items()
        columns = [_named(SYSTEM, SYSTEM_LABEL), *(Column(i, label) for _kind, i, label in items)]
        rows: list[dict[str, Any]] = []
        aggregate: list[bool] = []
        for system in self.ordered_systems():
            rows.append({SYSTEM: system.label} | {i: _round(self.score(system.code, k, i)) for k, i, _label in items})
            aggregate.append(False)
        for column, name in (("median", N_("Median ({group})")), ("highest", N_("Highest ({group})"))):
            values = {i: _round(self.stat(k, i, column)) for k, i, _label in items}
            if any(not math.isnan(v) for v in values.values()):
                rows.append({SYSTEM: _(name, group=self._group_words())} | values)
                aggregate.append(True)
        return Table.of(columns, rows, aggregate)

    def indicator_heatmap(self) -> Table:
        domain = next((d for d in self.domains if d.id == self.filters.domain), self.domains[0])
        ids = [i.id for i in domain.indicators]
        rows: list[dict[str, Any]] = []
        aggregate: list[bool] = []
        for system in self.ordered_systems():
            row: dict[str, Any] = {SYSTEM: system.label}
            for indicator_id in ids:
                record = self.records.get((system.code, "indicator", indicator_id))
                if record is None:
                    row[indicator_id] = None
                elif bool(record["not_applicable"]):
                    row[indicator_id] = "NA"
                else:
                    value = record["score"]
                    row[indicator_id] = None if pd.isna(value) else int(value)
            rows.append(row)
            aggregate.append(False)
        median = {i: _round(self.stat("indicator", i, "median")) for i in ids}
        if any(not math.isnan(v) for v in median.values()):
            rows.append({SYSTEM: _("Median ({group})", group=self._group_words())} | median)
            aggregate.append(True)
        return Table.of([_named(SYSTEM, SYSTEM_LABEL), *(Column(i, i) for i in ids)], rows, aggregate)

    def distribution(self) -> Table:
        focus = self.selected[0] if self.selected else None
        columns = [_named(ITEM, ITEM_LABEL), *DISTRIBUTION_STATS, _named("withheld", N_("Withheld"))]
        if focus is not None:
            columns += [Column(FOCUS, focus.label), _named("rank", N_("Rank"))]
        rows = []
        for kind, item, label in self.items():
            row: dict[str, Any] = {ITEM: label}
            for column in DISTRIBUTION_STATS:
                value = self.stat(kind, item, column.id)
                row[column.id] = (
                    (None if math.isnan(value) else int(value)) if column.id == "systems" else _round(value)
                )
            row["withheld"] = self.withheld(kind, item)
            if focus is not None:
                row[FOCUS] = _round(self.score(focus.code, kind, item))
                row["rank"] = _rank_text(self.records.get((focus.code, kind, item)))
            rows.append(row)
        return Table.of(columns, rows, integers=["systems"])

    def points(self) -> Table:
        if not self.named:
            return Table.of(POINT_COLUMNS, [])
        rows = [
            {ITEM: label, SYSTEM: system.label, "score": _round(self.score(system.code, kind, item))}
            for kind, item, label in self.items()
            for system in self.systems
        ]
        return Table.of(POINT_COLUMNS, rows)

    def _trend_item(self) -> tuple[str, str]:
        if self.filters.item == OVERALL:
            return self.summary[0], self.summary[1]
        return "domain", self.filters.item

    def trends(self) -> Table:
        frame = self.trend_frame
        if frame.empty:
            return Table.of(TREND_COLUMNS, [])
        kind, item = self._trend_item()
        codes = [s.code for s in self.selected]
        mine = frame.loc[frame["system_code"].isin(codes) & (frame["kind"] == kind) & (frame["item_id"] == item)]
        changes = self.selected_changes()
        changes = changes.loc[(changes["kind"] == kind) & (changes["item_id"] == item)].set_index("round_id")
        label_of = {s.code: s.label for s in self.selected}
        rows: list[dict[str, Any]] = []
        delta = changes["change"].to_dict() if not changes.empty else {}
        differs = changes["versions_differ"].to_dict() if not changes.empty else {}
        for record in mine.sort_values(["system_code", "round_date", "round_id"]).to_dict("records"):
            rows.append(
                {
                    SYSTEM: label_of[str(record["system_code"])],
                    "round": record["round_label"],
                    "label": self.round_names.get(int(record["round_id"]), record["round_label"]),
                    "date": record["round_date"].date(),
                    "version": record["questionnaire_version"],
                    "score": _round(_field(record, "score")),
                    "change": _round(float(delta.get(record["round_id"], math.nan))),
                    "versions_differ": bool(differs.get(record["round_id"], False)),
                    "systems": None,
                }
            )
        aggregate = [False] * len(rows)
        if self.named:  # the per-round medians; the anonymous view has none (its groups would overlap)
            medians = self._round_medians(frame, kind, item)
            rows.extend(medians)
            aggregate.extend([True] * len(medians))
        table = Table.of(TREND_COLUMNS, rows, aggregate, integers=["systems"])
        data = table.data.sort_values(["date", SYSTEM], kind="stable").reset_index(drop=True)
        return Table(table.columns, data)

    def _round_medians(self, frame: pd.DataFrame, kind: str, item: str) -> list[dict[str, Any]]:
        by_round = bm.round_statistics(
            frame.loc[(frame["kind"] == kind) & (frame["item_id"] == item)],
            min_group_size=self.threshold,
            exclude_systems=self.exclude,
        )
        date_of = frame.drop_duplicates("round_id").groupby("round_label")["round_date"].median().to_dict()
        return [
            {
                SYSTEM: _("Median"),
                "round": stat["round_label"],
                "label": "",
                "date": date_of[stat["round_label"]].date(),
                "version": "",
                "score": _round(_field(stat, "median")),
                "change": math.nan,
                "versions_differ": False,
                "systems": int(stat["systems"]),
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
            notes.append(_("Some changes compare different versions of the questionnaire (marked in the trend table)."))
        return notes

    def gaps(self) -> Table:
        rows = []
        for system in self.selected:
            for kind, item, label in self.items():
                record = self.records.get((system.code, kind, item))
                value = partial(_field, record)
                rows.append(
                    {
                        SYSTEM: system.label,
                        ITEM: label,
                        "score": _round(value("score")),
                        "target": _round(value("target")),
                        "to_target": _round(value("to_target")),
                        "median": _round(self.stat(kind, item, "median")),
                        "to_median": _round(value("to_median")),
                        "highest": _round(self.stat(kind, item, "highest")),
                        "to_highest": _round(value("to_highest")),
                        "rank": _rank_text(record),
                        "withheld": self.withheld(kind, item),
                    }
                )
        return Table.of(GAP_COLUMNS, rows)
