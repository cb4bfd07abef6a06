"""The programme at a glance (analysts and administrators): health systems assessed, rounds, coverage,
overall maturity levels.  Numbers come from :func:`b1mg_maturity.services.comparison.programme_overview`."""

from __future__ import annotations

import streamlit as st

from b1mg_maturity.charts import describe
from b1mg_maturity.charts import distributions as dc
from b1mg_maturity.comparison.overview import level_column
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.interchange.table_export import table_csv, table_xlsx
from b1mg_maturity.services.comparison import programme_overview
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt


def render() -> None:
    user = current_user()
    if user is None:
        st.warning("Sign in to see the programme overview.", icon=":material/login:")
        return
    st.title("Programme overview")
    services = app_services()
    overview = attempt(lambda: programme_overview(services, user.id))
    if overview is None:
        return

    columns = st.columns(4 if overview.in_progress else 3)
    columns[0].metric("Health systems registered", overview.systems_registered)
    share = (
        f"{100 * overview.systems_assessed / overview.systems_registered:.0f}% of registered"
        if overview.systems_registered
        else None
    )
    columns[1].metric(
        "Health systems assessed",
        overview.systems_assessed,
        help="With at least one published round.",
        delta=share,
        delta_color="off",
        delta_arrow="off",
    )
    columns[2].metric("Published rounds", overview.published_rounds)
    if overview.in_progress:
        waiting = sum(overview.in_progress.values())
        detail = ", ".join(f"{RoundStatus.label_of(k)} {v}" for k, v in sorted(overview.in_progress.items()))
        columns[3].metric(
            "Rounds in progress", waiting, help=detail, delta=detail, delta_color="off", delta_arrow="off"
        )

    table = overview.per_round
    if table.empty:
        st.info("No round has been published yet.", icon=":material/info:")
        return
    st.subheader("Overall maturity level per period")
    counted = table.loc[table["Withheld"] == ""]  # a period too small for figures would be an empty bar
    if counted.empty:
        st.caption(f"No period has {overview.min_group_size} or more health systems yet: see the table below.")
    else:
        fig = dc.band_distribution(counted, level_labels=overview.level_labels)
        st.plotly_chart(fig, key="overview_levels", theme=None, config={"displaylogo": False}, alt=describe(fig))
        if len(counted) < len(table):
            st.caption(
                f"Periods with fewer than {overview.min_group_size} health systems are left out of the chart: "
                "the table below counts them."
            )
    st.subheader("Per period")
    st.caption(" ".join(overview.notes))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config={
            "Round": st.column_config.TextColumn(help="The period: a year, or one half of it"),
            "Share of registered systems": st.column_config.NumberColumn(format="%d%%"),
            "Median coverage": st.column_config.NumberColumn(
                format="%d%%", help="Median share of applicable indicators answered"
            ),
            "Median overall score": st.column_config.NumberColumn(format="%.2f"),
            **{
                level_column(level): st.column_config.NumberColumn(
                    format="%d", help=f"Health systems whose overall level is {level} · {label}"
                )
                for level, label in overview.level_labels.items()
            },
        },
    )
    buttons = st.container(horizontal=True)
    buttons.download_button(
        "Download CSV",
        table_csv(table),
        file_name="b1mg-programme-overview.csv",
        mime="text/csv",
        key="overview_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    buttons.download_button(
        "Download XLSX",
        table_xlsx(table, "overview"),
        file_name="b1mg-programme-overview.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="overview_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
