"""The Compare page's address: query parameters read into :class:`~b1mg_maturity.comparison.Filters`
and written back from them, so that a link reproduces a view.  No streamlit here (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from b1mg_maturity.comparison.filters import GROUP_KINDS, OVERALL, ROUNDS_MODES, VIEWS, Filters


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


def filters_from_query(params: Mapping[str, str]) -> Filters:
    """Read the address leniently: what is not understood is left at its default."""
    rounds = params.get("rounds", "latest")
    group = params.get("group", "all")
    view = params.get("view", "radar")
    return Filters(
        view=view if view in VIEWS else "radar",
        rounds=next((mode for mode in ROUNDS_MODES if mode == rounds), "latest"),
        label=(params.get("label") or None),
        date_from=_date(params.get("from")),
        date_to=_date(params.get("to")),
        questionnaire=params.get("q") or None,
        pillar=params.get("pillar") or None,
        group=next((kind for kind in GROUP_KINDS if kind == group), "all"),
        members=_split(params.get("members")),
        region=(params.get("region") or "").strip().upper()[:16],
        systems=_split(params.get("systems")),
        domain=params.get("domain") or None,
        item=params.get("item") or OVERALL,
        sort=params.get("sort") or "name",
    )


def filters_to_query(filters: Filters) -> dict[str, str]:
    """The address parameters that differ from the defaults."""
    query: dict[str, str] = {}
    default = Filters()
    if filters.view != default.view:
        query["view"] = filters.view
    if filters.rounds != "latest":
        query["rounds"] = filters.rounds
    if filters.rounds == "label" and filters.label:
        query["label"] = filters.label
    if filters.rounds == "dates":
        if filters.date_from:
            query["from"] = filters.date_from.isoformat()
        if filters.date_to:
            query["to"] = filters.date_to.isoformat()
    if filters.questionnaire:
        query["q"] = filters.questionnaire
    if filters.pillar:
        query["pillar"] = filters.pillar
    if filters.group != "all":
        query["group"] = filters.group
    if filters.group == "list" and filters.members:
        query["members"] = ",".join(filters.members)
    if filters.group == "region" and filters.region:
        query["region"] = filters.region
    if filters.systems:
        query["systems"] = ",".join(filters.systems)
    if filters.domain:
        query["domain"] = filters.domain
    if filters.item != OVERALL:
        query["item"] = filters.item
    if filters.sort != "name":
        query["sort"] = filters.sort
    return query
