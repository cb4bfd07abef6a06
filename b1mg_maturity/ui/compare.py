"""Compare health systems and rounds.  The page only draws: what may be seen, and every number, comes
from :func:`b1mg_maturity.services.comparison.compare`; the figures from :mod:`b1mg_maturity.charts.comparison`.

The view lives in the address (``?view=heatmap&rounds=label&label=Round+2025...``: ``label`` is a
period's name, which groups rounds whatever their free labels), so a link
reproduces it.  Widget values win over the address within a session; the address is rewritten
after every run from the filters as applied.

Anyone can craft an address, so nothing from it (nor from a questionnaire file or a round label)
is ever rendered as markdown: notes, titles and help texts pass through ``escape_markdown``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from b1mg_maturity.charts import comparison as cc
from b1mg_maturity.charts import describe
from b1mg_maturity.charts import distributions as dc
from b1mg_maturity.comparison import MAX_OVERLAY, OVERALL, Comparison, Filters, domain_label
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.interchange.table_export import table_csv, table_xlsx
from b1mg_maturity.services.comparison import compare
from b1mg_maturity.ui.compare_address import filters_from_query, filters_to_query
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.widgets import decimal_column, decimals

VIEW_NAMES = {
    "radar": N_("Radar"),
    "heatmap": N_("Heatmap"),
    "indicators": N_("Indicators"),
    "distribution": N_("Distribution"),
    "trends": N_("Trends"),
    "gaps": N_("Gaps"),
}
ROUND_MODES = {"latest": N_("Latest published"), "label": N_("One period"), "dates": N_("Date range")}
GROUPS = {"all": N_("All"), "list": N_("A list"), "region": N_("Code prefix")}
PREFIX = "cmp_"
KEYS = {
    "view": "cmp_view",
    "rounds": "cmp_rounds",
    "label": "cmp_label",
    "dates": "cmp_dates",
    "questionnaire": "cmp_q",
    "pillar": "cmp_pillar",
    "group": "cmp_group",
    "members": "cmp_members",
    "region": "cmp_region",
    "systems": "cmp_systems",
    "domain": "cmp_domain",
    "item": "cmp_item",
    "sort": "cmp_sort",
}
ALL_PILLARS = ""


def _wanted(address: Filters) -> Filters:
    """The address, overridden by the widgets' current values (after the first run of a session)."""
    state = st.session_state
    changes: dict[str, Any] = {}
    for name, key in KEYS.items():
        if key not in state:
            continue
        value = state[key]
        if name == "dates":
            if isinstance(value, tuple | list) and len(value) == 2:
                changes["date_from"], changes["date_to"] = value
        elif name in ("members", "systems"):
            changes[name] = tuple(value or ())
        elif name == "pillar":
            changes[name] = value or None
        elif name == "region":
            changes[name] = str(value or "").strip().upper()
        elif value is not None:
            changes[name] = value
    return replace(address, **changes)


def _put(key: str, value: Any) -> str:
    """Set a widget's value (as applied) before drawing it, so it never holds a value it cannot show."""
    st.session_state[key] = value
    return key


def render() -> None:
    user = current_user()
    if user is None:
        st.warning(_("Sign in to compare health systems."), icon=":material/login:")
        return
    st.title(_("Compare health systems"))
    address = filters_from_query(st.query_params.to_dict())
    services = app_services()
    result = attempt(lambda: compare(services, user.id, _wanted(address)))
    if result is None:
        return
    _intro(result)
    if result.questionnaire is None:
        for note in result.notes:
            st.info(escape_markdown(note), icon=":material/info:")
        return
    _filters(result)
    view = result.filters.view
    st.segmented_control(
        _("View"),
        list(VIEW_NAMES),
        format_func=lambda view: _(VIEW_NAMES[view]),
        key=_put(KEYS["view"], view),
        required=True,
    )
    _notes(result)
    VIEWS[view](result)
    st.query_params.from_dict(filters_to_query(result.filters))


def _intro(result: Comparison) -> None:
    if result.named:
        st.caption(
            _n(
                "You see every published round by name. Statistics need at least {n} health system; "
                "smaller groups show none.",
                "You see every published round by name. Statistics need at least {n} health systems; "
                "smaller groups show none.",
                result.min_group_size,
            )
        )
    else:
        st.caption(
            _n(
                "You see your own health system against anonymous figures of the other health systems "
                "(at least {n} of them, or no figure at all). Other health systems are never named.",
                "You see your own health system against anonymous figures of the other health systems "
                "(at least {n} of them, or no figure at all). Other health systems are never named.",
                result.min_group_size,
            )
        )


def _filters(result: Comparison) -> None:
    f = result.filters
    assert result.questionnaire is not None
    with st.container(border=True):
        # two per row: four side by side leave each too narrow to read on a laptop screen
        first = st.columns(2)
        first[0].selectbox(
            _("Rounds"),
            [mode for mode in ROUND_MODES if result.named or mode == "latest"],  # see comparison: differencing
            format_func=lambda mode: _(ROUND_MODES[mode]),
            key=_put(KEYS["rounds"], f.rounds),
        )
        with first[1]:
            if f.rounds == "label":
                st.selectbox(
                    _("Period"),
                    list(result.round_labels),
                    key=_put(KEYS["label"], f.label),
                    help=_(
                        "Every round of the period counts, whatever its free label; a health system with "
                        "several rounds in it counts with its latest."
                    ),
                )
            elif f.rounds == "dates" and result.date_bounds is not None:
                low, high = result.date_bounds
                start, end = f.date_from or low, f.date_to or high
                st.date_input(
                    _("Round dates"),
                    min_value=min(low, start),
                    max_value=max(high, end),
                    key=_put(KEYS["dates"], (start, end)),
                    format="YYYY-MM-DD",
                )
            else:
                st.text_input(
                    _("Round"), _("Each health system's latest published round"), disabled=True, key="cmp_latest_hint"
                )
        choices = {c.key: c for c in result.questionnaires}
        second = st.columns(2)
        second[0].selectbox(
            _("Questionnaire version"),
            list(choices),
            format_func=lambda k: f"{choices[k].questionnaire_id} {choices[k].version}",
            key=_put(KEYS["questionnaire"], f.questionnaire),
            help=_(
                "Health systems with a published round: {versions}",
                versions=escape_markdown(
                    ", ".join(f"{c.questionnaire_id} {c.version}: {c.systems}" for c in choices.values())
                ),
            ),
        )
        pillars = {ALL_PILLARS: _("All pillars")} | {p.id: p.name for p in result.questionnaire.pillars}
        second[1].selectbox(
            _("Pillar"),
            list(pillars),
            format_func=pillars.__getitem__,
            key=_put(KEYS["pillar"], f.pillar or ALL_PILLARS),
        )
        if result.named:
            _group_filters(result)
        elif len(result.systems) > 1:
            labels = {s.code: s.label for s in result.systems}
            st.multiselect(
                _("Your health systems"),
                list(labels),
                format_func=labels.__getitem__,
                key=_put(KEYS["systems"], list(f.systems)),
                max_selections=MAX_OVERLAY,
            )


def _group_filters(result: Comparison) -> None:
    f = result.filters
    third = st.columns([1, 2])
    third[0].selectbox(
        _("Group of health systems"),
        list(GROUPS),
        format_func=lambda group: _(GROUPS[group]),
        key=_put(KEYS["group"], f.group),
        help=_(
            "The statistics (median, quartiles, highest) describe this group. "
            "A list or a prefix is kept in the address: bookmark or share the page to keep it."
        ),
    )
    with third[1]:
        everyone = {s.code: s.label for s in result.all_systems}
        if f.group == "list":
            st.multiselect(
                _("Health systems in the group"),
                list(everyone),
                format_func=everyone.__getitem__,
                key=_put(KEYS["members"], [c for c in f.members if c in everyone]),
                placeholder=_("Choose health systems"),
            )
        elif f.group == "region":
            st.text_input(
                _("Code prefix"),
                key=_put(KEYS["region"], f.region),
                placeholder=_("e.g. ES- (the regions of Spain) or X"),
                max_chars=16,
            )
        else:
            st.text_input(
                _("Group"),
                _n("All {n} health system", "All {n} health systems", len(result.all_systems)),
                disabled=True,
                key="cmp_all_hint",
            )
    labels = {s.code: s.label for s in result.systems}
    st.multiselect(
        _("Health systems to show (up to {limit}; the first is highlighted)", limit=MAX_OVERLAY),
        list(labels),
        format_func=labels.__getitem__,
        key=_put(KEYS["systems"], [c for c in f.systems if c in labels]),
        max_selections=MAX_OVERLAY,
        placeholder=_("Choose health systems"),
    )


def _notes(result: Comparison) -> None:
    for note in result.notes:
        if result.withheld_note and note == result.withheld_note:
            st.warning(escape_markdown(note), icon=":material/visibility_off:")
        else:
            st.caption(escape_markdown(note))


def _chart(fig: Any, key: str) -> None:
    # theme=None: the figure's own colours and fonts, the same as in the PDF report
    st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False}, alt=describe(fig))


def _table(title: str, table: pd.DataFrame, name: str, *, caption: str = "", dash: str = "") -> None:
    """The table behind a chart, with CSV and XLSX downloads of exactly it (an empty cell there).  On screen
    a missing value is a dash, and ``dash`` says what it means."""
    st.markdown(f"**{escape_markdown(title)}**")
    if caption or dash:
        st.caption(" ".join(text for text in (caption, _("A dash: {meaning}.", meaning=dash) if dash else "") if text))
    floats = [str(c) for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    numbers = {column: decimal_column() for column in floats}
    # on screen, leave out columns with nothing in them (the downloads keep every column)
    shown = [str(c) for c in table.columns if not (table[c].isna() | (table[c].astype(str) == "")).all()]
    height = min(36 * (len(table) + 1) + 4, 760)
    st.dataframe(
        decimals(table, dict.fromkeys(floats, 2)),
        hide_index=True,
        width="stretch",
        column_config=numbers,
        column_order=shown,
        height=height,
        placeholder="—",
    )
    buttons = st.container(horizontal=True)  # side by side, wrapping on narrow screens
    stem = f"b1mg-compare-{name}"
    buttons.download_button(
        _("Download CSV"),
        table_csv(table),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{PREFIX}csv_{name}",
        on_click="ignore",
        icon=":material/download:",
    )
    buttons.download_button(
        _("Download XLSX"),
        table_xlsx(table, name),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{PREFIX}xlsx_{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def _levels(result: Comparison) -> dict[int, str]:
    assert result.questionnaire is not None
    return {level.level: level.label for level in result.questionnaire.levels}


def _scale(result: Comparison) -> tuple[int, ...]:
    assert result.questionnaire is not None
    return result.questionnaire.scale


def _sort_picker(result: Comparison) -> None:
    assert result.questionnaire is not None
    options = {"name": _("Code"), "overall": _("Overall score (highest first)")} | {
        d.id: _("{domain} (highest first)", domain=domain_label(result.questionnaire, d.id)) for d in _domains(result)
    }
    st.selectbox(
        _("Order health systems by"),
        list(options),
        format_func=options.__getitem__,
        key=_put(KEYS["sort"], result.filters.sort),
    )


def _highlight(result: Comparison) -> list[str]:
    return [s.label for s in result.selected]


def _domains(result: Comparison) -> list[Any]:
    assert result.questionnaire is not None
    pillar = result.filters.pillar
    return [d for d in result.questionnaire.domains if pillar is None or d.pillar == pillar]


# --- the views ------------------------------------------------------------------------------------


def _radar(result: Comparison) -> None:
    if len(result.tables["radar"].columns) <= 1:
        st.info(_("Choose health systems to show, or widen the group."), icon=":material/info:")
        return
    _chart(cc.radar_overlay(result.tables["radar"], scale=_scale(result)), "cmp_fig_radar")
    _table(_("Domain scores"), result.radar, "radar", dash=_("nothing rated in that domain"))


def _heatmap(result: Comparison) -> None:
    if len(result.systems) > 1:
        _sort_picker(result)
    if result.tables["heatmap"].empty:
        st.info(_("Nothing to show for this selection."), icon=":material/info:")
        return
    _chart(
        cc.score_heatmap(result.tables["heatmap"], level_labels=_levels(result), highlight=_highlight(result)),
        "cmp_fig_heatmap",
    )
    _table(
        _("Scores per health system and domain"),
        result.heatmap,
        "heatmap",
        caption=_("Each cell is coloured by the maturity level fully reached (the score rounded down)."),
        dash=_("nothing rated there, or a statistic withheld"),
    )


def _indicators(result: Comparison) -> None:
    assert result.questionnaire is not None
    domains = {d.id: domain_label(result.questionnaire, d.id) for d in _domains(result)}
    left, right = st.columns(2)
    with left:
        st.selectbox(
            _("Domain"), list(domains), format_func=domains.__getitem__, key=_put(KEYS["domain"], result.filters.domain)
        )
    with right:
        if len(result.systems) > 1:
            _sort_picker(result)
    if result.tables["indicators"].empty:
        st.info(_("Nothing to show for this selection."), icon=":material/info:")
        return
    fig = cc.indicator_heatmap(
        result.tables["indicators"],
        level_labels=_levels(result),
        statements=result.indicator_notes,
        highlight=_highlight(result),
    )
    _chart(fig, "cmp_fig_indicators")
    statements = pd.DataFrame(
        {_("Indicator"): list(result.indicator_notes), _("Statement"): list(result.indicator_notes.values())}
    )
    _table(
        _("Levels per health system and indicator"),
        result.indicators,
        "indicators",
        caption=_("NA: not applicable."),
        dash=_("not answered"),
    )
    with st.expander(_("What the indicators say")):
        st.dataframe(statements, hide_index=True, width="stretch", placeholder="—")


def _distribution(result: Comparison) -> None:
    points = result.tables["points"] if result.named else None
    fig = dc.distribution(result.tables["distribution"], points, scale=_scale(result))
    _chart(fig, "cmp_fig_distribution")
    _table(
        _("Distribution per domain"),
        result.distribution,
        "distribution",
        dash=_("withheld (the reason is in the Withheld column) or nothing rated"),
    )
    if result.named and not result.points.empty:
        _table(_("Each health system's score"), result.points, "points")


def _trends(result: Comparison) -> None:
    assert result.questionnaire is not None
    items = {
        OVERALL: _("Overall") if not result.filters.pillar else result.questionnaire.pillar(result.filters.pillar).name
    }
    items |= {d.id: domain_label(result.questionnaire, d.id) for d in _domains(result)}
    st.selectbox(_("Score"), list(items), format_func=items.__getitem__, key=_put(KEYS["item"], result.filters.item))
    if result.tables["trends"].empty:
        st.info(_("No rounds to show for this selection."), icon=":material/info:")
        return
    label = items[result.filters.item]
    _chart(
        dc.trend_lines(result.tables["trends"], item_label=label, scale=_scale(result), systems=_highlight(result)),
        "cmp_fig_trends",
    )
    _table(
        _("{score} across rounds", score=label),
        result.trends,
        "trends",
        caption=_(
            "Round: the period, which groups rounds across health systems; Round name: the round's own "
            "name. Change: since the same health system's previous round of this questionnaire, measured only over "
            "the indicators rated in both rounds. Health systems: how many a median describes."
        ),
        dash=_("no earlier round to compare with, or not a median"),
    )


def _gaps(result: Comparison) -> None:
    if result.gaps.empty:
        st.info(_("Choose a health system to see its gaps."), icon=":material/info:")
        return
    _table(
        _("Distance to target and to the median"),
        result.gaps,
        "gaps",
        caption=_(
            "To target: target score minus score. To median / to highest: score minus the median / the highest. "
            "Rank 1 is the highest score; equal scores share a rank."
        ),
        dash=_("no target set, nothing rated, or a statistic withheld (see Withheld)"),
    )


VIEWS: dict[str, Callable[[Comparison], None]] = {
    "radar": _radar,
    "heatmap": _heatmap,
    "indicators": _indicators,
    "distribution": _distribution,
    "trends": _trends,
    "gaps": _gaps,
}
