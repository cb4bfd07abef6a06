"""Results: a round's scores, radar chart, gaps and next steps, the table of all indicators, downloads.

Every number comes from ``Services.round_scores`` (the consensus where one is
recorded, else the experts' median); the page shows what the scores are based
on.  Any user who may open the round sees it; the round JSON (with every
expert's own ratings) is offered only to its coordinator and administrators.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from b1mg_maturity.charts import describe, domain_radar
from b1mg_maturity.interchange.answers_file import answers_csv_bytes, answers_xlsx_bytes
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report import pdf_for_round
from b1mg_maturity.scoring import GroupScore, ScoreCard
from b1mg_maturity.services import RoundScores, RoundView, Services, UserView
from b1mg_maturity.transfer import export_round, round_json
from b1mg_maturity.ui.context import app_services, current_user, selected_round_id
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.widgets import band_text, headline_metrics, round_picker, score_text

log = logging.getLogger("b1mg_maturity.ui")

TOP_GAPS = 5
BASIS_LABELS = {"consensus": "Consensus", "experts' median": "Experts' median", "none": "Not rated"}
STATUS_NOTES = {
    "draft": "This round is still a **draft**: the results are provisional and change as the experts rate.",
    "in_review": "This round is **in consensus review**: the results are provisional until it is submitted.",
    "submitted": "This round is **submitted** and locked; an administrator publishes it.",
    "published": "This round is **published**.",
}


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title("Results")
    rounds = attempt(lambda: services.list_rounds(user.id))
    if rounds is None:
        return
    round_ = round_picker(rounds, key="results-round")
    if round_ is None:
        if not rounds and selected_round_id() is None:
            st.info(
                "There are no results you may see yet. Results appear here for the rounds you take part in, "
                "and for your health system's rounds once they are submitted.",
                icon=":material/info:",
            )
        return
    loaded = attempt(
        lambda: (services.questionnaire_for_round(user.id, round_.id), services.round_scores(user.id, round_.id))
    )
    if loaded is None:
        return
    questionnaire, scores = loaded
    card = scores.card
    st.caption(STATUS_NOTES.get(round_.status, "") + f" Scores are based on {scores.summary}.")
    _headline(questionnaire, card)
    if card.overall.score is None:
        st.info("Nothing is rated in this round yet: scores, chart and gaps appear once it is.", icon=":material/info:")
    else:
        _chart_and_groups(services, user.id, round_, questionnaire, card)
        _top_gaps(questionnaire, card)
    _indicator_table(questionnaire, scores)
    _downloads(services, user, round_)


# --- scores ------------------------------------------------------------------------------------


def _headline(questionnaire: Questionnaire, card: ScoreCard) -> None:
    overall = card.overall
    headline_metrics(questionnaire, card)
    cov = overall.coverage
    st.caption(
        f"{cov.answered} of {cov.applicable} applicable indicators answered, {cov.not_applicable} not applicable, "
        f"{cov.unanswered} still open."
    )


def _group_rows(questionnaire: Questionnaire, groups: tuple[GroupScore, ...], name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                name: group.name,
                "Score": group.score,
                "Level": band_text(questionnaire, group),
                "Target": group.target,
                "Gap": group.gap,
                "Coverage": group.coverage.ratio,
                "Answered": f"{group.coverage.answered} of {group.coverage.applicable}",
            }
            for group in groups
        ]
    )


GROUP_COLUMNS = {
    "Score": st.column_config.NumberColumn(format="%.2f"),
    "Level": st.column_config.TextColumn(help="The highest level fully reached: the score rounded down"),
    "Target": st.column_config.NumberColumn(format="%.2f", help="Where no target is set, the current level counts"),
    "Gap": st.column_config.NumberColumn(format="%.2f", help="Target minus score"),
    "Coverage": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
    "Answered": st.column_config.TextColumn(help="Answered of the applicable indicators"),
}


def peer_benchmark(services: Services, user_id: int, round_id: int) -> Any:
    """The peers' median per domain, when ``b1mg_maturity.comparison`` provides it; else None."""
    try:
        comparison = importlib.import_module("b1mg_maturity.comparison.reading")
    except ImportError:
        return None
    medians: Callable[..., Any] | None = getattr(comparison, "peer_domain_medians", None)
    if medians is None:
        return None
    return attempt(lambda: medians(services, user_id, round_id))


def _chart_and_groups(
    services: Services, user_id: int, round_: RoundView, questionnaire: Questionnaire, card: ScoreCard
) -> None:
    chart_col, groups_col = st.columns([5, 3], gap="large")
    with chart_col:
        st.subheader("Domains")
        benchmark = peer_benchmark(services, user_id, round_.id)
        medians: Mapping[str, float] | None = getattr(benchmark, "medians", None) if benchmark is not None else None
        label = str(getattr(benchmark, "label", "Median of peers"))
        fig = domain_radar(card, questionnaire, benchmark=medians, benchmark_label=label)
        st.plotly_chart(fig, theme=None, config={"displaylogo": False}, alt=describe(fig))
        if medians is None:
            st.caption(
                "The median of other health systems appears here once published rounds of enough other health "
                "systems exist."
            )
        else:
            withheld = getattr(benchmark, "withheld", ())
            if withheld:
                names = ", ".join(questionnaire_domain(questionnaire, d) for d in withheld)
                st.caption(f"Too few other health systems scored {escape_markdown(names)}: no median is shown there.")
        with st.expander("Chart as text"):
            st.write(describe(fig))
    with groups_col:
        st.subheader("Pillars")
        for pillar in card.pillars:
            cov = pillar.coverage
            target = f" · target {pillar.target:.2f}" if pillar.target is not None else ""
            st.metric(
                pillar.name,
                score_text(pillar.score),
                delta=f"{band_text(questionnaire, pillar)}{target} · {cov.answered}/{cov.applicable} answered",
                delta_color="off",
                delta_arrow="off",
                border=True,
                help=f"Score: the {card.aggregation.value} of the pillar's domain scores. Below it: its maturity "
                "level (the score rounded down), its target, and how many applicable indicators are answered.",
            )
    st.subheader("Domain scores")
    st.dataframe(
        _group_rows(questionnaire, card.domains, "Domain"),
        hide_index=True,
        placeholder="—",
        column_config={"Domain": st.column_config.TextColumn(width="large"), **GROUP_COLUMNS},
    )


def questionnaire_domain(questionnaire: Questionnaire, domain_id: str) -> str:
    return next((d.title for d in questionnaire.domains if d.id == domain_id), domain_id)


def _top_gaps(questionnaire: Questionnaire, card: ScoreCard) -> None:
    st.subheader("Largest gaps and next steps")
    if not card.priorities:
        st.caption("No gaps: no indicator has a target above its current level.")
        return
    for priority in card.priorities[:TOP_GAPS]:
        indicator = questionnaire.indicator(priority.indicator_id)
        with st.container(border=True):
            st.markdown(
                f"**{priority.rank}. {priority.indicator_id}** · {escape_markdown(indicator.statement)}  \n"
                f"Level {priority.level} → target {priority.target} (gap {priority.gap}) · "
                f"{escape_markdown(questionnaire.domain_of(priority.indicator_id).title)}"
            )
            if priority.next_step:
                st.markdown(
                    f":material/trending_up: **Next step (level {priority.level + 1}):** "
                    f"{escape_markdown(priority.next_step)}"
                )
    if len(card.priorities) > TOP_GAPS:
        st.caption(f"{len(card.priorities) - TOP_GAPS} more indicators below their target: see the table below.")


def _indicator_table(questionnaire: Questionnaire, scores: RoundScores) -> None:
    st.subheader("All indicators")
    rows = []
    for result in scores.card.indicators:
        indicator = questionnaire.indicator(result.indicator_id)
        if result.level is not None:
            level = f"{result.level} · {questionnaire.level_label(result.level)}"
        else:
            level = "Not applicable" if result.not_applicable else "Not rated"
        rows.append(
            {
                "Indicator": result.indicator_id,
                "Statement": indicator.statement,
                "Level": level,
                "Target": result.target,
                "Gap": result.gap,
                "Next step": result.next_step or "",
                "Basis": BASIS_LABELS.get(scores.basis.get(result.indicator_id, "none"), ""),
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        height=460,
        placeholder="—",
        column_config={
            "Indicator": st.column_config.TextColumn(width="small"),
            "Statement": st.column_config.TextColumn(width="large"),
            "Level": st.column_config.TextColumn(width="medium"),
            "Target": st.column_config.NumberColumn(format="%d", width="small"),
            "Gap": st.column_config.NumberColumn(format="%d", width="small"),
            "Next step": st.column_config.TextColumn(width="large", help="The description of the next level up"),
            "Basis": st.column_config.TextColumn(
                help="Where the level comes from: the recorded consensus, or the median of the experts' levels"
            ),
        },
    )


# --- downloads ---------------------------------------------------------------------------------


def _file_stem(round_: RoundView) -> str:
    label = re.sub(r"[^A-Za-z0-9]+", "-", round_.label).strip("-").lower() or f"round-{round_.id}"
    return f"{round_.health_system.code.lower()}-{label}"


def may_export(user: UserView, round_: RoundView) -> bool:
    """The round JSON holds every expert's own ratings: for the round's coordinator and administrators."""
    return bool(attempt(lambda: app_services().capabilities(user.id, round_.id).may_export))


def _downloads(services: Services, user: UserView, round_: RoundView) -> None:
    st.subheader("Downloads")
    stem = _file_stem(round_)

    def answers_csv() -> bytes:
        questionnaire, answers, _ = services.round_answers(user.id, round_.id)
        return answers_csv_bytes(questionnaire, answers)

    def answers_xlsx() -> bytes:
        questionnaire, answers, _ = services.round_answers(user.id, round_.id)
        return answers_xlsx_bytes(questionnaire, answers)

    columns = st.columns(4)
    columns[0].download_button(
        "Answers (CSV)",
        data=answers_csv,
        file_name=f"{stem}-answers.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"results-csv-{round_.id}",
        on_click="ignore",
        help="One row per indicator: level (consensus, else experts' median), target, rationale.",
    )
    columns[1].download_button(
        "Answers (XLSX)",
        data=answers_xlsx,
        file_name=f"{stem}-answers.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"results-xlsx-{round_.id}",
        on_click="ignore",
    )
    if may_export(user, round_):
        columns[2].download_button(
            "Round (JSON)",
            data=lambda: round_json(export_round(services, user.id, round_.id)).encode("utf-8"),
            file_name=f"{stem}.json",
            mime="application/json",
            icon=":material/download:",
            key=f"results-json-{round_.id}",
            on_click="ignore",
            help="The whole round, every expert's own ratings included, for archiving or moving it to "
            "another installation.",
        )
    with columns[3]:
        _pdf_download(services, user.id, round_.id)


def _pdf_download(services: Services, user_id: int, round_id: int) -> None:
    """The PDF readiness report, made only when clicked (the services check that the user may open the round)."""
    st.download_button(
        "Report (PDF)",
        data=lambda: pdf_for_round(services, user_id, round_id),
        file_name=f"round-{round_id}-report.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"results-pdf-{round_id}",
        on_click="ignore",
    )
