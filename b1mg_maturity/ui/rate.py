"""Rate: an invited expert rates the indicators of a round, domain by domain.

Every change is saved the moment it is made (widget callbacks call
``Services.rate``).  Each indicator remembers the version of the rating it
showed; when the rating has moved on since (the same expert in another tab or
browser), the save is refused and both values are shown with a choice.
Widget values are read from the database whenever a fresh session opens the
page, so a reload, a lost connection or a server restart loses nothing that
was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from b1mg_maturity.errors import Conflict
from b1mg_maturity.glossary import terms_in
from b1mg_maturity.questionnaire import Indicator, Questionnaire
from b1mg_maturity.services import RatingView, RoundView, Services
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import escape_markdown, show_error
from b1mg_maturity.ui.widgets import round_picker

NOT_ANSWERED = "not-answered"
NOT_APPLICABLE = "not-applicable"
ALL_DOMAINS = "all"


@dataclass(frozen=True)
class Keys:
    """Session-state keys of one indicator's widgets in one round."""

    round_id: int
    indicator_id: str

    def _k(self, what: str) -> str:
        return f"rate:{self.round_id}:{self.indicator_id}:{what}"

    @property
    def level(self) -> str:
        return self._k("level")

    @property
    def evidence(self) -> str:
        return self._k("evidence")

    @property
    def links(self) -> str:
        return self._k("links")

    @property
    def version(self) -> str:
        return self._k("version")

    @property
    def conflict(self) -> str:
        return self._k("conflict")

    @property
    def saved(self) -> str:
        return self._k("saved")


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title("Rate")
    try:
        rounds = services.rounds_to_rate(user.id)
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        show_error(exc)
        return
    round_ = round_picker(rounds, key="rate-round")
    if round_ is None:
        if not rounds:
            st.info("You have no round to rate. A coordinator invites you to a round.", icon=":material/info:")
        return
    try:
        questionnaire = services.questionnaire_for_round(user.id, round_.id)
        mine = services.my_ratings(user.id, round_.id)
        targets = services.targets_of(user.id, round_.id)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    _load_saved(round_, questionnaire, mine)
    domain_id = _domain_menu(round_, questionnaire, mine)
    st.caption(
        "Choose the level that describes your health system today. Every choice is saved at once; "
        "evidence and links are saved when you leave the field."
    )
    domains = (
        questionnaire.domains if domain_id == ALL_DOMAINS else [d for d in questionnaire.domains if d.id == domain_id]
    )
    for domain in domains:
        st.header(domain.title, divider="gray")
        if domain.description:
            st.caption(domain.description)
        for sub in domain.subdomains:
            st.subheader(sub.name)
            for indicator in sub.indicators:
                target = targets.get(indicator.id)
                _indicator_card(services, user.id, round_, questionnaire, indicator, target.target if target else None)


def card_key(indicator_id: str) -> str:
    """The key of an indicator's card; the page marks it with the CSS class ``st-key-<key>``."""
    return "card-" + indicator_id.replace(".", "-")


def _load_saved(round_: RoundView, questionnaire: Questionnaire, mine: Mapping[str, RatingView]) -> None:
    """Put saved ratings into widgets the first time this session shows them."""
    for indicator in questionnaire.indicators:
        keys = Keys(round_.id, indicator.id)
        if keys.version in st.session_state:
            continue
        _show_values(keys, mine.get(indicator.id))


def _show_values(keys: Keys, rating: RatingView | None) -> None:
    if rating is None:
        st.session_state[keys.level] = NOT_ANSWERED
        st.session_state[keys.evidence] = ""
        st.session_state[keys.links] = ""
        st.session_state[keys.version] = 0
        return
    st.session_state[keys.level] = (
        NOT_APPLICABLE if rating.not_applicable else rating.level if rating.level is not None else NOT_ANSWERED
    )
    st.session_state[keys.evidence] = rating.evidence
    st.session_state[keys.links] = "\n".join(rating.links)
    st.session_state[keys.version] = rating.version


def _domain_menu(round_: RoundView, questionnaire: Questionnaire, mine: Mapping[str, RatingView]) -> str:
    """The side list of domains with this expert's progress in each."""
    done = {i for i, r in mine.items() if r.level is not None or r.not_applicable}
    options = [d.id for d in questionnaire.domains] + [ALL_DOMAINS]
    labels: dict[str, str] = {}
    for domain in questionnaire.domains:
        count = sum(1 for ind in domain.indicators if ind.id in done)
        mark = "✓ " if count == len(domain.indicators) else ""
        labels[domain.id] = f"{mark}{domain.title} ({count}/{len(domain.indicators)})"
    labels[ALL_DOMAINS] = f"All domains ({len(done)}/{len(questionnaire.indicators)})"
    with st.sidebar:
        st.markdown(f"**{escape_markdown(round_.health_system.name)} · {escape_markdown(round_.label)}**")
        st.progress(
            len(done) / max(len(questionnaire.indicators), 1),
            text=f"{len(done)} of {len(questionnaire.indicators)} rated",
        )
        choice = st.radio("Domain", options, format_func=lambda o: labels[o], key=f"rate-domain-{round_.id}")
    return str(choice)


def _save(services: Services, user_id: int, round_id: int, indicator_id: str, questionnaire: Questionnaire) -> None:
    """Widget callback: save this indicator's current widget values."""
    keys = Keys(round_id, indicator_id)
    choice = st.session_state.get(keys.level, NOT_ANSWERED)
    level = choice if isinstance(choice, int) else None
    links = [line for line in str(st.session_state.get(keys.links, "")).splitlines() if line.strip()]
    try:
        saved = services.rate(
            user_id,
            round_id,
            indicator_id,
            level=level,
            not_applicable=choice == NOT_APPLICABLE,
            evidence=str(st.session_state.get(keys.evidence, "")),
            links=links,
            expected_version=int(st.session_state.get(keys.version, 0)),
        )
    except Conflict as conflict:
        st.session_state[keys.conflict] = conflict
        st.session_state.pop(keys.saved, None)
        return
    except Exception as exc:  # noqa: BLE001 - stored and shown in the card
        st.session_state[keys.saved] = exc
        return
    st.session_state[keys.version] = saved.version
    st.session_state[keys.saved] = saved
    st.session_state.pop(keys.conflict, None)


def _keep_mine(services: Services, user_id: int, round_id: int, indicator_id: str, q: Questionnaire) -> None:
    keys = Keys(round_id, indicator_id)
    conflict: Conflict | None = st.session_state.get(keys.conflict)
    if conflict is not None:
        st.session_state[keys.version] = conflict.current_version
    _save(services, user_id, round_id, indicator_id, q)


def _take_theirs(services: Services, user_id: int, round_id: int, indicator_id: str) -> None:
    keys = Keys(round_id, indicator_id)
    current = services.my_ratings(user_id, round_id).get(indicator_id)
    _show_values(keys, current)
    st.session_state.pop(keys.conflict, None)


def _describe(values: Any, questionnaire: Questionnaire) -> str:
    if not isinstance(values, dict):
        return "nothing (the rating was removed)"
    if values.get("not_applicable"):
        level = "not applicable"
    elif values.get("level") is None:
        level = "not answered"
    else:
        level = f"level {values['level']} ({questionnaire.level_label(values['level'])})"
    evidence = str(values.get("evidence") or "").strip()
    return level + (f"; evidence: “{evidence[:200]}”" if evidence else "")


def _indicator_card(
    services: Services,
    user_id: int,
    round_: RoundView,
    questionnaire: Questionnaire,
    indicator: Indicator,
    target: int | None,
) -> None:
    keys = Keys(round_.id, indicator.id)
    args = (services, user_id, round_.id, indicator.id, questionnaire)
    options: list[str | int] = [NOT_ANSWERED, NOT_APPLICABLE, *indicator.levels]
    labels = {NOT_ANSWERED: "Not answered yet", NOT_APPLICABLE: "Not applicable"}
    with st.container(border=True, key=card_key(indicator.id)):
        st.markdown(f"**{indicator.id}** · {escape_markdown(indicator.statement)}")
        choice_col, evidence_col = st.columns([3, 2], gap="medium")
        with choice_col:
            st.radio(
                f"Level for {indicator.id}",
                options,
                format_func=lambda o: labels[o] if isinstance(o, str) else f"{o} · {questionnaire.level_label(o)}",
                captions=["", "", *indicator.levels.values()],
                key=keys.level,
                on_change=_save,
                args=args,
                label_visibility="collapsed",
                disabled=not round_.editable,
            )
        with evidence_col:
            st.text_area(
                "Evidence",
                key=keys.evidence,
                on_change=_save,
                args=args,
                height=110,
                placeholder="What shows this level: documents, decisions, figures…",
                disabled=not round_.editable,
            )
            st.text_area(
                "Links (one per line)",
                key=keys.links,
                on_change=_save,
                args=args,
                height=68,
                placeholder="https://…",
                disabled=not round_.editable,
            )
            if target is not None:
                st.caption(f"Target set by the coordinator: level {target} ({questionnaire.level_label(target)})")
        if indicator.guidance:
            with st.expander("How to choose between levels"):
                st.markdown(escape_markdown(indicator.guidance))
        terms = terms_in(questionnaire, indicator)
        if terms:
            with st.expander("Terms used here"):
                for term in terms:
                    st.markdown(f"**{escape_markdown(term.term)}**: {escape_markdown(term.definition)}")
        _status_line(services, user_id, round_.id, indicator.id, questionnaire, keys)


def _status_line(
    services: Services, user_id: int, round_id: int, indicator_id: str, questionnaire: Questionnaire, keys: Keys
) -> None:
    conflict: Conflict | None = st.session_state.get(keys.conflict)
    if conflict is not None:
        st.warning(
            f"{conflict.message}  \n**Yours:** {escape_markdown(_describe(conflict.yours, questionnaire))}  \n"
            f"**Saved meanwhile:** {escape_markdown(_describe(conflict.theirs, questionnaire))}",
            icon=":material/sync_problem:",
        )
        mine_col, theirs_col, _ = st.columns([1, 1, 3])
        mine_col.button(
            "Keep mine",
            key=f"{keys.conflict}:mine",
            on_click=_keep_mine,
            args=(services, user_id, round_id, indicator_id, questionnaire),
            type="primary",
        )
        theirs_col.button(
            "Take the saved one",
            key=f"{keys.conflict}:theirs",
            on_click=_take_theirs,
            args=(services, user_id, round_id, indicator_id),
        )
        return
    outcome = st.session_state.get(keys.saved)
    if isinstance(outcome, RatingView):
        when = outcome.updated_at.strftime("%H:%M:%S") if outcome.updated_at else ""
        st.caption(f":material/check_circle: Saved {when} UTC (version {outcome.version})")
    elif isinstance(outcome, Exception):
        show_error(outcome)
