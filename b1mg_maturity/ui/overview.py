"""The programme at a glance (analysts and administrators): health systems assessed, rounds, coverage,
overall maturity levels.  Numbers come from :func:`b1mg_maturity.services.comparison.programme_overview`."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.charts import describe
from b1mg_maturity.charts import distributions as dc
from b1mg_maturity.comparison import overview as ov
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.i18n import _, _n
from b1mg_maturity.interchange.table_export import table_csv, table_xlsx
from b1mg_maturity.services.comparison import programme_overview
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt
from b1mg_maturity.ui.widgets import decimal_column, decimals


def render() -> None:
    user = current_user()
    if user is None:
        st.warning(_("Sign in to see the programme overview."), icon=":material/login:")
        return
    st.title(_("Programme overview"))
    services = app_services()
    overview = attempt(lambda: programme_overview(services, user.id))
    if overview is None:
        return

    columns = st.columns(4 if overview.in_progress else 3)
    columns[0].metric(_("Health systems registered"), overview.systems_registered)
    share = (
        _(
            "{share} of registered",
            share=i18n.percent(overview.systems_assessed / overview.systems_registered),
        )
        if overview.systems_registered
        else None
    )
    columns[1].metric(
        _("Health systems assessed"),
        overview.systems_assessed,
        help=_("With at least one published round."),
        delta=share,
        delta_color="off",
        delta_arrow="off",
    )
    columns[2].metric(_("Published rounds"), overview.published_rounds)
    if overview.in_progress:
        waiting = sum(overview.in_progress.values())
        detail = ", ".join(
            _("{status} {count}", status=RoundStatus.label_of(k), count=i18n.integer(v))
            for k, v in sorted(overview.in_progress.items())
        )
        columns[3].metric(
            _("Rounds in progress"), waiting, help=detail, delta=detail, delta_color="off", delta_arrow="off"
        )

    table = overview.per_round
    if table.empty:
        st.info(_("No round has been published yet."), icon=":material/info:")
        return
    st.subheader(_("Overall maturity level per period"))
    counted = table.loc[table[ov.WITHHELD] == ""]  # a period too small for figures would be an empty bar
    if counted.empty:
        st.caption(
            _n(
                "No period has {n} or more health systems yet: see the table below.",
                "No period has {n} or more health systems yet: see the table below.",
                overview.min_group_size,
            )
        )
    else:
        fig = dc.band_distribution(counted, level_labels=overview.level_labels)
        st.plotly_chart(fig, key="overview_levels", theme=None, config={"displaylogo": False}, alt=describe(fig))
        if len(counted) < len(table):
            st.caption(
                _n(
                    "Periods with fewer than {n} health system are left out of the chart: the table below counts them.",
                    "Periods with fewer than {n} health systems are left out of the chart: "
                    "the table below counts them.",
                    overview.min_group_size,
                )
            )
    st.subheader(_("Per period"))
    st.caption(" ".join(overview.notes))
    words = ov.column_words(overview.level_labels)
    shown = table.rename(columns=words)
    st.dataframe(
        decimals(shown, {words[ov.MEDIAN_SCORE]: 2}),
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config={
            words[ov.ROUND]: st.column_config.TextColumn(help=_("The period: a year, or one half of it")),
            words[ov.SHARE]: st.column_config.NumberColumn(format="%d%%"),
            words[ov.MEDIAN_COVERAGE]: st.column_config.NumberColumn(
                format="%d%%", help=_("Median share of applicable indicators answered")
            ),
            words[ov.MEDIAN_SCORE]: decimal_column(),
            **{
                words.get(ov.level_column(level), ov.level_column(level)): st.column_config.NumberColumn(
                    format="%d",
                    help=_("Health systems whose overall level is {level} · {label}", level=level, label=label),
                )
                for level, label in overview.level_labels.items()
            },
        },
    )
    buttons = st.container(horizontal=True)
    buttons.download_button(
        _("Download CSV"),
        table_csv(shown),
        file_name="b1mg-programme-overview.csv",
        mime="text/csv",
        key="overview_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    buttons.download_button(
        _("Download XLSX"),
        table_xlsx(shown, "overview"),
        file_name="b1mg-programme-overview.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="overview_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
