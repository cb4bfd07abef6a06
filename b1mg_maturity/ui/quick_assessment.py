"""The quick assessment page: rate the bundled questionnaire and see the scores live.

A temporary, local page: answers live only in the browser session and are
lost on reload.  The page collects :class:`~b1mg_maturity.scoring.Answer`
objects from its widgets and hands them to :func:`~b1mg_maturity.scoring.score`;
every number it shows comes from the resulting ScoreCard.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from b1mg_maturity.charts import describe, domain_radar
from b1mg_maturity.questionnaire import Indicator, Questionnaire, load_bundled
from b1mg_maturity.scoring import Answer, GroupScore, ScoreCard, score
from b1mg_maturity.ui.widgets import band_text, headline_metrics, score_text

NOT_ANSWERED = "not-answered"
NOT_APPLICABLE = "not-applicable"
NO_TARGET = "no-target"  # not None: a selectbox shows None as "nothing chosen yet"
Choice = str | int


@st.cache_resource(show_spinner="Loading the questionnaire…")
def bundled_questionnaire() -> Questionnaire:
    """The bundled MLM questionnaire, loaded once per server process."""
    return load_bundled()


def level_key(indicator_id: str) -> str:
    return f"quick-level-{indicator_id}"


def target_key(indicator_id: str) -> str:
    return f"quick-target-{indicator_id}"


def render() -> None:
    questionnaire = bundled_questionnaire()
    st.title("Quick assessment")
    st.caption(questionnaire.title)
    st.warning(
        "**Quick local assessment — nothing is saved.** Your ratings live only in this browser tab "
        "and are lost when you reload or close it. Saved, shared assessment rounds come later.",
        icon=":material/info:",
    )
    results = st.container()

    st.header("Rate the indicators", divider="gray")
    st.markdown(
        "For each indicator choose the level that best describes your health system today, "
        "*Not applicable* if it does not apply, and optionally the level you aim for."
    )
    answers: dict[str, Answer] = {}
    for domain in questionnaire.domains:
        with st.expander(f"**{domain.title}**", key=f"quick-domain-{domain.id}"):
            if domain.description:
                st.caption(domain.description)
            for sub in domain.subdomains:
                st.markdown(f"##### {sub.name}")
                for indicator in sub.indicators:
                    answer = _indicator_input(questionnaire, indicator)
                    if answer is not None:
                        answers[indicator.id] = answer

    card = score(questionnaire, answers)
    with results:
        _results(questionnaire, card)
    with st.sidebar:
        _summary(questionnaire, card)


def _level_text(questionnaire: Questionnaire, level: int) -> str:
    return f"{level} · {questionnaire.level_label(level)}"


def _indicator_input(questionnaire: Questionnaire, indicator: Indicator) -> Answer | None:
    """Show one indicator's widgets; its answer, or None while nothing is chosen."""
    options: list[Choice] = [NOT_ANSWERED, NOT_APPLICABLE, *indicator.levels]
    labels: Mapping[Choice, str] = {
        NOT_ANSWERED: "Not answered",
        NOT_APPLICABLE: "Not applicable",
        **{level: _level_text(questionnaire, level) for level in indicator.levels},
    }
    with st.container(border=True):
        rating, aim = st.columns([4, 1], gap="medium")
        with rating:
            choice = st.radio(
                f"**{indicator.id}** · {indicator.statement}",
                options,
                format_func=lambda option: labels[option],
                captions=["", "", *indicator.levels.values()],
                key=level_key(indicator.id),
                help=indicator.guidance,
            )
        rated = isinstance(choice, int)
        targets: list[Choice] = [NO_TARGET, *indicator.levels]
        with aim:
            target = st.selectbox(
                "Target level",
                targets,
                format_func=lambda option: "No target" if option == NO_TARGET else _level_text(questionnaire, option),
                key=target_key(indicator.id),
                disabled=not rated,
                help="The level you aim for. Choose a current level first.",
            )
    if isinstance(choice, int):
        return Answer(level=choice, target=target if isinstance(target, int) else None)
    if choice == NOT_APPLICABLE:
        return Answer(not_applicable=True)
    return None


def _coverage_text(group: GroupScore) -> str:
    cov = group.coverage
    return f"{cov.answered} of {cov.applicable}"


def _results(questionnaire: Questionnaire, card: ScoreCard) -> None:
    overall = card.overall
    st.header("Results", divider="gray")
    headline_metrics(questionnaire, card)
    st.caption(
        f"{overall.coverage.answered} of {overall.coverage.applicable} applicable indicators answered, "
        f"{overall.coverage.not_applicable} not applicable, {overall.coverage.unanswered} still open."
    )
    if overall.score is None:
        st.info("Rate at least one indicator below to see the domain chart and scores.", icon=":material/bar_chart:")
        return

    fig = domain_radar(card, questionnaire)
    st.plotly_chart(fig, theme=None, config={"displaylogo": False}, alt="Radar chart of the domain scores")
    with st.expander("Chart as text"):
        st.write(describe(fig))
    st.dataframe(
        _domain_table(questionnaire, card),
        hide_index=True,
        placeholder="—",
        column_config={
            "Domain": st.column_config.TextColumn(width="large", help="Roman code and name of the domain"),
            "Score": st.column_config.NumberColumn(format="%.2f"),
            "Band": st.column_config.TextColumn(help="Maturity level fully reached: the score rounded down"),
            "Target": st.column_config.NumberColumn(format="%.2f", help="Where no target is set, the current level"),
            "Answered": st.column_config.TextColumn(help="Answered of the applicable indicators in the domain"),
        },
        alt="Domain scores, bands, targets and coverage",
    )


def _domain_table(questionnaire: Questionnaire, card: ScoreCard) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Domain": group.name,
                "Score": group.score,
                "Band": band_text(questionnaire, group),
                "Target": group.target,
                "Answered": _coverage_text(group),
            }
            for group in card.domains
        ]
    )


def _summary(questionnaire: Questionnaire, card: ScoreCard) -> None:
    overall = card.overall
    st.markdown("**Your quick assessment**")
    st.markdown(f"Overall score: **{score_text(overall.score)}**  \nBand: **{band_text(questionnaire, overall)}**")
    st.progress(overall.coverage.ratio, text=f"{_coverage_text(overall)} applicable indicators answered")
    st.caption("Not saved: reloading the page clears your ratings.")
