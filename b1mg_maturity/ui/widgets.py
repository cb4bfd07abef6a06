"""Small widgets shared by several pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from b1mg_maturity.auth import MIN_PASSWORD_LENGTH
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import GroupScore, ScoreCard
from b1mg_maturity.services import RoundView
from b1mg_maturity.ui.context import select_round, selected_round_id


def round_label(round_: RoundView) -> str:
    return (
        f"{round_.health_system.name} ({round_.health_system.code}) · {round_.label} · "
        f"{RoundStatus.label_of(round_.status)}"
    )


def round_picker(
    rounds: Sequence[RoundView], *, key: str, keep: Callable[[RoundView], bool] = lambda _: True
) -> RoundView | None:
    """Choose a round; the choice lives in the address (``?round=ID``) so a link reopens it.

    A round id in the address that is not in ``rounds`` (someone else's round, or
    one that does not exist) is ignored: the page shows only what the services gave it.
    """
    choices = [r for r in rounds if keep(r)]
    wanted = selected_round_id()
    if wanted is not None and all(r.id != wanted for r in rounds):
        st.error(f"Round {wanted} does not exist, or you may not open it here.", icon=":material/lock:")
        if st.button("Show my rounds", key=f"{key}-reset"):
            del st.query_params["round"]
            st.rerun()
        return None
    if not choices:
        return None
    index = next((i for i, r in enumerate(choices) if r.id == wanted), 0)
    chosen = st.selectbox("Round", choices, index=index, format_func=round_label, key=key)
    if chosen is not None and chosen.id != wanted:
        select_round(chosen.id)
    return chosen


def score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def band_text(questionnaire: Questionnaire, group: GroupScore) -> str:
    return "—" if group.band is None else f"{group.band} · {questionnaire.level_label(group.band)}"


def headline_metrics(questionnaire: Questionnaire, card: ScoreCard, *, level_text: str | None = None) -> None:
    """Overall score, maturity level, coverage and target: the four numbers every results view opens with.

    ``level_text``: shown instead of the overall level (a report's ``Partial assessment``)."""
    overall = card.overall
    score_col, band_col, coverage_col, target_col = st.columns(4)
    score_col.metric(
        "Overall score",
        score_text(overall.score),
        help=f"{card.aggregation.value.capitalize()} of the domain scores, on the scale "
        f"{questionnaire.min_level}-{questionnaire.max_level}.",
        border=True,
    )
    band_col.metric(
        "Maturity level",
        level_text or band_text(questionnaire, overall),
        help="The highest level fully reached: the overall score rounded down. A partial assessment, with too "
        "few indicators answered or a domain not rated, is given none.",
        border=True,
    )
    coverage_col.metric(
        "Coverage",
        f"{overall.coverage.ratio:.0%}",
        help="Answered indicators out of the applicable ones (not applicable ones left out).",
        border=True,
    )
    target_col.metric(
        "Overall target",
        score_text(overall.target),
        help="Where no target is set, the current level counts as the target.",
        border=True,
    )


def new_password_fields() -> tuple[str, str]:
    """The new password, typed twice (My account and the reset-link page); the service checks both."""
    new = st.text_input(
        "New password",
        type="password",
        autocomplete="new-password",
        help=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one.",
    )
    again = st.text_input("New password again", type="password", autocomplete="new-password")
    return new, again
