"""Consensus: the coordinator compares the experts' ratings and records the agreed level, rationale and target.

Per indicator the page shows every invited expert's level and evidence side by
side, the spread (highest minus lowest level), and highlights indicators where
the experts are two or more levels apart.  The consensus level, its rationale
and the target are saved the moment they change (widget callbacks call
``Services.set_consensus`` / ``Services.set_target``), each with the version it
was based on: when someone else saved meanwhile, both values are shown with a
choice.  Then the coordinator submits the round, which locks it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from b1mg_maturity.errors import Conflict
from b1mg_maturity.questionnaire import Indicator, Questionnaire
from b1mg_maturity.services import ConsensusView, RatingView, RoundView, Services, TargetView, UserView
from b1mg_maturity.ui.context import app_services, current_user, selected_round_id
from b1mg_maturity.ui.feedback import attempt, escape_markdown, show_error
from b1mg_maturity.ui.rate import card_key
from b1mg_maturity.ui.widgets import STATUS_LABELS, round_picker

NOT_DECIDED = "not-decided"
NOT_APPLICABLE = "not-applicable"
NO_TARGET = "no-target"  # not None: a selectbox shows None as "nothing chosen yet"
ALL_DOMAINS = "all"
DISAGREEMENT = 2  # experts this many levels apart (or more) are highlighted


@dataclass(frozen=True)
class Keys:
    """Session-state keys of one indicator's widgets in one round."""

    round_id: int
    indicator_id: str

    def _k(self, what: str) -> str:
        return f"consensus:{self.round_id}:{self.indicator_id}:{what}"

    @property
    def level(self) -> str:
        return self._k("level")

    @property
    def rationale(self) -> str:
        return self._k("rationale")

    @property
    def target(self) -> str:
        return self._k("target")

    def version(self, record: str) -> str:
        return self._k(f"{record}-version")

    def conflict(self, record: str) -> str:
        return self._k(f"{record}-conflict")

    def saved(self, record: str) -> str:
        return self._k(f"{record}-saved")


CONSENSUS = "consensus"
TARGET = "target"


@dataclass(frozen=True)
class RoundData:
    questionnaire: Questionnaire
    ratings: Mapping[str, Sequence[RatingView]]  # indicator id -> the experts' ratings
    consensus: Mapping[str, ConsensusView]
    targets: Mapping[str, TargetView]
    experts: Sequence[str]  # invited experts' usernames


def spread(ratings: Sequence[RatingView]) -> int | None:
    """Highest minus lowest level among the experts' levels ("not applicable" left out); None below two levels."""
    levels = [r.level for r in ratings if r.level is not None]
    return max(levels) - min(levels) if len(levels) >= 2 else None


def disagree(ratings: Sequence[RatingView]) -> bool:
    value = spread(ratings)
    return value is not None and value >= DISAGREEMENT


def recorded(view: ConsensusView | None) -> bool:
    return view is not None and (view.level is not None or view.not_applicable)


def coordinates(user: UserView, round_: RoundView) -> bool:
    """Whether the user runs this round's consensus (the services check it again on every call)."""
    return user.global_role == "admin" or (round_.health_system.code, "coordinator") in user.memberships


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title("Consensus")
    rounds = attempt(lambda: services.list_rounds(user.id))
    if rounds is None:
        return
    mine = [r for r in rounds if coordinates(user, r)]
    round_ = round_picker(mine, key="consensus-round")
    if round_ is None:
        if not mine and selected_round_id() is None:
            st.info(
                "You coordinate no assessment round. The consensus of a round is run by its health system's "
                "coordinator.",
                icon=":material/info:",
            )
        return
    data = attempt(lambda: _load(services, user.id, round_.id))
    if data is None:
        return
    _load_saved(round_, data)
    _round_actions(services, user.id, round_, data)
    domain_id, only_disagreements = _domain_menu(round_, data)
    questionnaire = data.questionnaire
    domains = (
        questionnaire.domains if domain_id == ALL_DOMAINS else [d for d in questionnaire.domains if d.id == domain_id]
    )
    for domain in domains:
        st.header(domain.title, divider="gray")
        shown = 0
        for sub in domain.subdomains:
            indicators = [
                ind for ind in sub.indicators if not only_disagreements or disagree(data.ratings.get(ind.id, ()))
            ]
            if not indicators:
                continue
            st.subheader(sub.name)
            for indicator in indicators:
                _indicator_card(services, user.id, round_, data, indicator)
                shown += 1
        if shown == 0:
            st.caption(f"No indicator in this domain has experts {DISAGREEMENT} or more levels apart.")


def _load(services: Services, user_id: int, round_id: int) -> RoundData:
    ratings: dict[str, list[RatingView]] = {}
    for rating in services.all_ratings(user_id, round_id):
        ratings.setdefault(rating.indicator_id, []).append(rating)
    return RoundData(
        questionnaire=services.questionnaire_for_round(user_id, round_id),
        ratings=ratings,
        consensus=services.consensus_of(user_id, round_id),
        targets=services.targets_of(user_id, round_id),
        experts=services.experts_of(user_id, round_id),
    )


# --- widget state ------------------------------------------------------------------------------


def _load_saved(round_: RoundView, data: RoundData) -> None:
    """Put the saved consensus and targets into the widgets the first time this session shows them."""
    for indicator in data.questionnaire.indicators:
        keys = Keys(round_.id, indicator.id)
        if keys.version(CONSENSUS) not in st.session_state:
            _show_consensus(keys, data.consensus.get(indicator.id))
        if keys.version(TARGET) not in st.session_state:
            _show_target(keys, data.targets.get(indicator.id))


def _show_consensus(keys: Keys, view: ConsensusView | None) -> None:
    if view is None:
        st.session_state[keys.level] = NOT_DECIDED
        st.session_state[keys.rationale] = ""
        st.session_state[keys.version(CONSENSUS)] = 0
        return
    st.session_state[keys.level] = (
        NOT_APPLICABLE if view.not_applicable else view.level if view.level is not None else NOT_DECIDED
    )
    st.session_state[keys.rationale] = view.rationale
    st.session_state[keys.version(CONSENSUS)] = view.version


def _show_target(keys: Keys, view: TargetView | None) -> None:
    st.session_state[keys.target] = view.target if view is not None and view.target is not None else NO_TARGET
    st.session_state[keys.version(TARGET)] = view.version if view is not None else 0


# --- saving (widget callbacks) ------------------------------------------------------------------


def _save_consensus(services: Services, user_id: int, round_id: int, indicator_id: str) -> None:
    keys = Keys(round_id, indicator_id)
    choice = st.session_state.get(keys.level, NOT_DECIDED)
    _store_outcome(
        keys,
        CONSENSUS,
        lambda: services.set_consensus(
            user_id,
            round_id,
            indicator_id,
            level=choice if isinstance(choice, int) else None,
            not_applicable=choice == NOT_APPLICABLE,
            rationale=str(st.session_state.get(keys.rationale, "")),
            expected_version=int(st.session_state.get(keys.version(CONSENSUS), 0)),
        ),
    )


def _save_target(services: Services, user_id: int, round_id: int, indicator_id: str) -> None:
    keys = Keys(round_id, indicator_id)
    choice = st.session_state.get(keys.target, NO_TARGET)
    _store_outcome(
        keys,
        TARGET,
        lambda: services.set_target(
            user_id,
            round_id,
            indicator_id,
            target=choice if isinstance(choice, int) else None,
            expected_version=int(st.session_state.get(keys.version(TARGET), 0)),
        ),
    )


def _store_outcome(keys: Keys, record: str, save: Any) -> None:
    """Run a save; keep the new version, or the conflict, or the error for the card to show."""
    try:
        saved = save()
    except Conflict as conflict:
        st.session_state[keys.conflict(record)] = conflict
        st.session_state.pop(keys.saved(record), None)
        return
    except Exception as exc:  # noqa: BLE001 - stored and shown in the card by show_error
        st.session_state[keys.saved(record)] = exc
        return
    st.session_state[keys.version(record)] = saved.version
    st.session_state[keys.saved(record)] = saved
    st.session_state.pop(keys.conflict(record), None)


def _current_version(services: Services, user_id: int, round_id: int, indicator_id: str, record: str) -> int:
    views: Mapping[str, ConsensusView | TargetView] = (
        services.consensus_of(user_id, round_id) if record == CONSENSUS else services.targets_of(user_id, round_id)
    )
    view = views.get(indicator_id)
    return view.version if view is not None else 0


def _keep_mine(services: Services, user_id: int, round_id: int, indicator_id: str, record: str) -> None:
    """Save this session's value over the one saved meanwhile (knowingly: with the current version)."""
    keys = Keys(round_id, indicator_id)
    conflict: Conflict | None = st.session_state.get(keys.conflict(record))
    version = conflict.current_version if conflict is not None else -1
    if version < 0:  # a race on the first save: the saved version is not known yet
        try:
            version = _current_version(services, user_id, round_id, indicator_id, record)
        except Exception as exc:  # noqa: BLE001 - stored and shown in the card
            st.session_state[keys.saved(record)] = exc
            return
    st.session_state[keys.version(record)] = version
    if record == CONSENSUS:
        _save_consensus(services, user_id, round_id, indicator_id)
    else:
        _save_target(services, user_id, round_id, indicator_id)


def _take_theirs(services: Services, user_id: int, round_id: int, indicator_id: str, record: str) -> None:
    """Show the value saved meanwhile, dropping this session's unsaved one."""
    keys = Keys(round_id, indicator_id)
    try:
        if record == CONSENSUS:
            _show_consensus(keys, services.consensus_of(user_id, round_id).get(indicator_id))
        else:
            _show_target(keys, services.targets_of(user_id, round_id).get(indicator_id))
    except Exception as exc:  # noqa: BLE001 - stored and shown in the card
        st.session_state[keys.saved(record)] = exc
        return
    st.session_state.pop(keys.conflict(record), None)
    st.session_state.pop(keys.saved(record), None)


# --- round status: start the review, submit -----------------------------------------------------


def _round_actions(services: Services, user_id: int, round_: RoundView, data: RoundData) -> None:
    questionnaire = data.questionnaire
    total = len(questionnaire.indicators)
    done = sum(1 for ind in questionnaire.indicators if recorded(data.consensus.get(ind.id)))
    split = sum(1 for ind in questionnaire.indicators if disagree(data.ratings.get(ind.id, ())))
    just_submitted = st.session_state.pop("consensus-just-submitted", None) == round_.id
    if just_submitted:
        st.success("The round is submitted.", icon=":material/check_circle:")
    if not round_.editable:
        st.info(
            f"This round is **{STATUS_LABELS.get(round_.status, round_.status).lower()}** and locked: the ratings, "
            "the consensus and the targets can no longer change. An administrator can reopen it.",
            icon=":material/lock:",
        )
    with st.container(border=True):
        if round_.editable:
            progress_col, actions_col = st.columns([1, 1], gap="medium", vertical_alignment="center")
        else:
            progress_col, actions_col = st.container(), None
        with progress_col:
            st.progress(done / max(total, 1), text=f"Consensus recorded for **{done} of {total}** indicators")
            experts = ", ".join(data.experts) if data.experts else "none invited yet"
            st.caption(
                f"Status: {STATUS_LABELS.get(round_.status, round_.status)} · "
                f"{split} indicators with experts {DISAGREEMENT}+ levels apart · experts: {escape_markdown(experts)}"
            )
        if actions_col is not None:
            with actions_col:
                _status_buttons(services, user_id, round_, total - done)
    if round_.editable:
        st.caption(
            "Choose the agreed level for each indicator: it is saved at once. The rationale is saved when you leave "
            "the field. Indicators without a consensus count with the experts' median."
        )


def _status_buttons(services: Services, user_id: int, round_: RoundView, missing: int) -> None:
    confirm_key = f"consensus-confirm-submit-{round_.id}"
    if st.session_state.get(confirm_key):
        open_words = (
            f"{missing} indicators have no consensus yet: their result will be the experts' median. " if missing else ""
        )
        st.warning(
            f"**Submit this round?** {open_words}Submitting locks the round: nobody can change ratings, "
            "consensus or targets afterwards (an administrator can reopen it).",
            icon=":material/warning:",
        )
        yes_col, no_col = st.columns(2)
        if yes_col.button("Yes, submit", type="primary", key=f"consensus-submit-yes-{round_.id}", width="stretch"):
            st.session_state.pop(confirm_key, None)
            if attempt(lambda: services.submit(user_id, round_.id)) is not None:
                st.session_state["consensus-just-submitted"] = round_.id
                st.rerun()
        if no_col.button("Cancel", key=f"consensus-submit-no-{round_.id}", width="stretch"):
            st.session_state.pop(confirm_key, None)
            st.rerun()
        return
    buttons = st.container(horizontal=True, horizontal_alignment="right")
    start = round_.status == "draft" and buttons.button(
        "Start consensus review",
        key=f"consensus-start-{round_.id}",
        icon=":material/forum:",
        help="Moves the round from draft to consensus review. Experts can still adjust their ratings.",
    )
    if start and attempt(lambda: services.start_review(user_id, round_.id)) is not None:
        st.rerun()
    if buttons.button(
        "Submit round",
        type="primary",
        key=f"consensus-submit-{round_.id}",
        icon=":material/send:",
        help="Locks the round and hands it to the administrators for publication. You confirm first.",
    ):
        st.session_state[confirm_key] = True
        st.rerun()


# --- the domain menu ---------------------------------------------------------------------------


def _domain_menu(round_: RoundView, data: RoundData) -> tuple[str, bool]:
    """The side list of domains with the consensus progress in each, and the disagreement filter."""
    questionnaire = data.questionnaire
    options = [d.id for d in questionnaire.domains] + [ALL_DOMAINS]
    labels: dict[str, str] = {}
    for domain in questionnaire.domains:
        count = sum(1 for ind in domain.indicators if recorded(data.consensus.get(ind.id)))
        split = sum(1 for ind in domain.indicators if disagree(data.ratings.get(ind.id, ())))
        mark = "✓ " if count == len(domain.indicators) else ""
        flag = f" · {split} ⚠" if split else ""
        labels[domain.id] = f"{mark}{domain.title} ({count}/{len(domain.indicators)}){flag}"
    done = sum(1 for ind in questionnaire.indicators if recorded(data.consensus.get(ind.id)))
    labels[ALL_DOMAINS] = f"All domains ({done}/{len(questionnaire.indicators)})"
    with st.sidebar:
        st.markdown(f"**{escape_markdown(round_.health_system.name)} · {escape_markdown(round_.label)}**")
        choice = st.radio(
            "Domain (consensus recorded / indicators)",
            options,
            format_func=lambda o: labels[o],
            key=f"consensus-domain-{round_.id}",
        )
        only = st.toggle(
            "Only disagreements",
            key=f"consensus-only-disagreements-{round_.id}",
            help=f"Show only indicators where the experts' levels are {DISAGREEMENT} or more apart (⚠).",
        )
    return str(choice), bool(only)


# --- one indicator -----------------------------------------------------------------------------


def _level_text(questionnaire: Questionnaire, level: int) -> str:
    return f"{level} · {questionnaire.level_label(level)}"


NBSP = "\u00a0"
NB_HYPHEN = "\u2011"


def _rating_level(questionnaire: Questionnaire, rating: RatingView | None) -> str:
    """The level as the table shows it, kept on one line (non-breaking spaces)."""
    if rating is None or (rating.level is None and not rating.not_applicable):
        text = "Not rated yet"
    elif rating.not_applicable:
        text = "Not applicable"
    else:
        text = _level_text(questionnaire, rating.level) if rating.level is not None else ""
    return text.replace(" ", NBSP)


def _experts_table(questionnaire: Questionnaire, ratings: Sequence[RatingView], experts: Sequence[str]) -> None:
    """Every invited expert (and anyone else who rated) with level and evidence, as escaped text."""
    by_expert = {r.expert: r for r in ratings}
    names = list(experts) + sorted(set(by_expert) - set(experts))
    if not by_expert:
        st.caption("No expert has rated this indicator yet.")
        return
    rows = []
    for name in names:
        rating = by_expert.get(name)
        evidence = " ".join(rating.evidence.split()) if rating is not None else ""
        links = " ".join(rating.links) if rating is not None else ""
        text = " · ".join(part for part in (evidence, links) if part)
        rows.append(
            {
                "Expert": escape_markdown(name).replace("\\-", NB_HYPHEN),  # "demo-expert" on one line
                "Level": escape_markdown(_rating_level(questionnaire, rating)),
                "Evidence": escape_markdown(text) if text else "",
            }
        )
    st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")


def _spread_line(questionnaire: Questionnaire, ratings: Sequence[RatingView]) -> None:
    levels = sorted(r.level for r in ratings if r.level is not None)
    value = spread(ratings)
    if not levels:
        return
    median = levels[(len(levels) - 1) // 2]  # the lower median, as the results use it
    text = f"Experts' median (lower): level {median} · spread {value if value is not None else 0}"
    if value is not None and value >= DISAGREEMENT:
        st.badge(f"Experts {value} levels apart", icon=":material/warning:", color="orange")
    st.caption(text)


def _indicator_card(services: Services, user_id: int, round_: RoundView, data: RoundData, indicator: Indicator) -> None:
    questionnaire = data.questionnaire
    keys = Keys(round_.id, indicator.id)
    ratings = data.ratings.get(indicator.id, ())
    args = (services, user_id, round_.id, indicator.id)
    locked = not round_.editable
    with st.container(border=True, key="consensus-" + card_key(indicator.id)):
        st.markdown(f"**{indicator.id}** · {escape_markdown(indicator.statement)}")
        experts_col, decision_col = st.columns([5, 3], gap="medium")
        with experts_col:
            _spread_line(questionnaire, ratings)
            _experts_table(questionnaire, ratings, data.experts)
            with st.expander("What each level means"):
                for level, description in indicator.levels.items():
                    st.markdown(f"**{_level_text(questionnaire, level)}**: {escape_markdown(description)}")
        with decision_col:
            if locked:
                _decision_text(questionnaire, data.consensus.get(indicator.id), data.targets.get(indicator.id))
            else:
                _decision_widgets(questionnaire, indicator, keys, args)
        _status_line(services, user_id, round_.id, indicator.id, questionnaire, keys, CONSENSUS)
        _status_line(services, user_id, round_.id, indicator.id, questionnaire, keys, TARGET)


def _decision_widgets(questionnaire: Questionnaire, indicator: Indicator, keys: Keys, args: tuple[Any, ...]) -> None:
    options: list[str | int] = [NOT_DECIDED, *indicator.levels, NOT_APPLICABLE]
    st.radio(
        "Consensus level",
        options,
        format_func=lambda o: (
            "Not decided yet"
            if o == NOT_DECIDED
            else "Not applicable"
            if o == NOT_APPLICABLE
            else _level_text(questionnaire, int(o))
        ),
        key=keys.level,
        on_change=_save_consensus,
        args=args,
    )
    st.text_area(
        "Rationale",
        key=keys.rationale,
        on_change=_save_consensus,
        args=args,
        height=90,
        placeholder="Why the experts agreed on this level…",
    )
    targets: list[str | int] = [NO_TARGET, *indicator.levels]
    st.selectbox(
        "Target level",
        targets,
        format_func=lambda o: "No target" if o == NO_TARGET else _level_text(questionnaire, int(o)),
        key=keys.target,
        on_change=_save_target,
        args=args,
        help="The level the health system aims for; the results show the gap and the next step.",
    )


def _decision_text(questionnaire: Questionnaire, consensus: ConsensusView | None, target: TargetView | None) -> None:
    """A locked round's decision, as readable text (disabled widgets are pale and hard to read)."""
    if consensus is not None and consensus.not_applicable:
        level = "Not applicable"
    elif consensus is not None and consensus.level is not None:
        level = _level_text(questionnaire, consensus.level)
    else:
        level = "No consensus recorded (the experts' median counts)"
    rationale = consensus.rationale.strip() if consensus is not None else ""
    aim = _level_text(questionnaire, target.target) if target is not None and target.target is not None else "None"
    st.markdown(f"**Consensus level**  \n{escape_markdown(level)}")
    st.markdown(f"**Rationale**  \n{escape_markdown(rationale) if rationale else '—'}")
    st.markdown(f"**Target level**  \n{escape_markdown(aim)}")


def _describe(record: str, values: Any, questionnaire: Questionnaire) -> str:
    if not isinstance(values, dict):
        return "nothing (it was removed)"
    if record == TARGET:
        target = values.get("target")
        return "no target" if target is None else f"target {_level_text(questionnaire, int(target))}"
    if values.get("not_applicable"):
        level = "not applicable"
    elif values.get("level") is None:
        level = "not decided"
    else:
        level = f"level {_level_text(questionnaire, int(values['level']))}"
    rationale = str(values.get("rationale") or "").strip()
    return level + (f"; rationale: “{rationale[:200]}”" if rationale else "")


def _status_line(
    services: Services,
    user_id: int,
    round_id: int,
    indicator_id: str,
    questionnaire: Questionnaire,
    keys: Keys,
    record: str,
) -> None:
    conflict: Conflict | None = st.session_state.get(keys.conflict(record))
    if conflict is not None:
        st.warning(
            f"{escape_markdown(conflict.message)}  \n"
            f"**Yours:** {escape_markdown(_describe(record, conflict.yours, questionnaire))}  \n"
            f"**Saved meanwhile:** {escape_markdown(_describe(record, conflict.theirs, questionnaire))}",
            icon=":material/sync_problem:",
        )
        choice = st.container(horizontal=True)
        args = (services, user_id, round_id, indicator_id, record)
        choice.button("Keep mine", key=f"{keys.conflict(record)}:mine", on_click=_keep_mine, args=args, type="primary")
        choice.button("Take theirs", key=f"{keys.conflict(record)}:theirs", on_click=_take_theirs, args=args)
        return
    outcome = st.session_state.get(keys.saved(record))
    if isinstance(outcome, ConsensusView | TargetView):
        what = "Consensus" if record == CONSENSUS else "Target"
        st.caption(f":material/check_circle: {what} saved (version {outcome.version})")
    elif isinstance(outcome, Exception):
        show_error(outcome)
