"""Small widgets shared by several pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.auth import MIN_PASSWORD_LENGTH
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Aggregation, Coverage, GroupScore, ScoreCard
from b1mg_maturity.services import RoundView
from b1mg_maturity.ui.context import select_round, selected_round_id

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig


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
        st.error(_("Round {round} does not exist, or you may not open it here.", round=wanted), icon=":material/lock:")
        if st.button(_("Show my rounds"), key=f"{key}-reset"):
            del st.query_params["round"]
            st.rerun()
        return None
    if not choices:
        return None
    index = next((i for i, r in enumerate(choices) if r.id == wanted), 0)
    chosen = st.selectbox(_("Round"), choices, index=index, format_func=round_label, key=key)
    if chosen is not None and chosen.id != wanted:
        select_round(chosen.id)
    return chosen


def score_text(value: float | None) -> str:
    return "—" if value is None else i18n.number(value, 2)


def band_text(questionnaire: Questionnaire, group: GroupScore) -> str:
    return "—" if group.band is None else f"{group.band} · {questionnaire.level_label(group.band)}"


_AGGREGATION_HELP = {
    Aggregation.MEAN: N_("Mean of the domain scores, on the scale {low}-{high}."),
    Aggregation.MEDIAN: N_("Median of the domain scores, on the scale {low}-{high}."),
    Aggregation.MINIMUM: N_("Minimum of the domain scores, on the scale {low}-{high}."),
}


def _aggregation_help(card: ScoreCard, questionnaire: Questionnaire) -> str:
    """How the overall score is made from the domain scores (one sentence per way of aggregating)."""
    return _(_AGGREGATION_HELP[card.aggregation], low=questionnaire.min_level, high=questionnaire.max_level)


def headline_metrics(questionnaire: Questionnaire, card: ScoreCard, *, level_text: str | None = None) -> None:
    """Overall score, maturity level, coverage and target: the four numbers every results view opens with.

    ``level_text``: shown instead of the overall level (a report's ``Partial assessment``)."""
    overall = card.overall
    score_col, band_col, coverage_col, target_col = st.columns(4)
    score_col.metric(
        _("Overall score"),
        score_text(overall.score),
        help=_aggregation_help(card, questionnaire),
        border=True,
    )
    band_col.metric(
        _("Maturity level"),
        level_text or band_text(questionnaire, overall),
        help=_(
            "The highest level fully reached: the overall score rounded down. A partial assessment, with too "
            "few indicators answered or a domain not rated, is given none."
        ),
        border=True,
    )
    coverage_col.metric(
        _("Coverage"),
        i18n.percent(overall.coverage.ratio),
        help=_("Answered indicators out of the applicable ones (not applicable ones left out)."),
        border=True,
    )
    target_col.metric(
        _("Overall target"),
        score_text(overall.target),
        help=_("Where no target is set, the current level counts as the target."),
        border=True,
    )


def coverage_sentence(coverage: Coverage) -> str:
    """``12 of 49 applicable indicators answered, 0 not applicable, 37 still open.``"""
    return _n(
        "{answered} of {n} applicable indicator answered, {not_applicable} not applicable, {open} still open.",
        "{answered} of {n} applicable indicators answered, {not_applicable} not applicable, {open} still open.",
        coverage.applicable,
        answered=i18n.integer(coverage.answered),
        not_applicable=i18n.integer(coverage.not_applicable),
        open=i18n.integer(coverage.unanswered),
    )


def new_password_fields() -> tuple[str, str]:
    """The new password, typed twice (My account and the reset-link page); the service checks both."""
    new = st.text_input(
        _("New password"),
        type="password",
        autocomplete="new-password",
        help=_(
            "At least {count} characters. A few unrelated words make a strong one.",
            count=i18n.integer(MIN_PASSWORD_LENGTH),
        ),
    )
    again = st.text_input(_("New password again"), type="password", autocomplete="new-password")
    return new, again


def _decimal_point() -> bool:
    return i18n.number(0.5, 1) == "0.5"


def decimal_column(digits: int = 2, **options: Any) -> ColumnConfig:
    """A table column of numbers with ``digits`` decimals, written as the page's language writes them:
    Streamlit's number columns know only the decimal point, so in a language with a decimal comma the numbers
    arrive as text (see :func:`decimals`), right-aligned."""
    if _decimal_point():
        return st.column_config.NumberColumn(format=f"%.{digits}f", **options)
    return st.column_config.TextColumn(alignment="right", **options)


def decimals(frame: pd.DataFrame, columns: Mapping[str, int]) -> pd.DataFrame:
    """``frame`` with these columns written as the page's language writes numbers (``2,69``), for
    :func:`decimal_column`; unchanged (still numbers, sorted as numbers) where the language has a decimal point.
    A missing value stays missing (the table shows its dash)."""
    if _decimal_point():
        return frame
    shown = frame.copy()
    for column, digits in columns.items():
        if column in shown.columns:
            shown[column] = [None if pd.isna(v) else i18n.number(float(v), digits) for v in shown[column]]
    return shown
