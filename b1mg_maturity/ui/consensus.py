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

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.consensus import DISAGREEMENT, disagree, is_recorded, lower_median, spread
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.edits import CONSENSUS, TARGET, FieldEdit, LevelChoice
from b1mg_maturity.edits import NOT_APPLICABLE as NA
from b1mg_maturity.i18n import N_, _, _n, _p
from b1mg_maturity.permissions import NOTHING, Capabilities
from b1mg_maturity.questionnaire import Indicator, Questionnaire
from b1mg_maturity.services import ConsensusView, RatingView, RoundView, Services, TargetView
from b1mg_maturity.services.progress import OpenIndicator, RoundProgress, SubmitCheck
from b1mg_maturity.ui import autosave, translation_notice
from b1mg_maturity.ui.context import app_services, current_user, selected_round_id
from b1mg_maturity.ui.domain_nav import ALL_DOMAINS, domain_picker, focus_heading_after_a_move, next_domain_button
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.field_state import BoundField, conflict_choice, status_region
from b1mg_maturity.ui.mail_notice import round_messages
from b1mg_maturity.ui.rate import card_key
from b1mg_maturity.ui.widgets import round_picker

NOT_DECIDED = "not-decided"
NOT_APPLICABLE = "not-applicable"
NO_TARGET = "no-target"  # not None: a selectbox shows None as "nothing chosen yet"


@dataclass(frozen=True)
class RoundData:
    questionnaire: Questionnaire
    ratings: Mapping[str, Sequence[RatingView]]  # indicator id -> the experts' ratings
    consensus: Mapping[str, ConsensusView]
    targets: Mapping[str, TargetView]
    experts: Sequence[str]  # invited experts' usernames

    def levels(self, indicator_id: str) -> list[int]:
        """The levels the experts gave an indicator ("not applicable" is not a level)."""
        return [r.level for r in self.ratings.get(indicator_id, ()) if r.level is not None]

    def split(self, indicator_id: str) -> bool:
        return disagree(self.levels(indicator_id))

    def agreed(self, indicator_id: str) -> bool:
        return is_recorded(self.consensus.get(indicator_id))


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title(_("Consensus"))
    rounds = attempt(lambda: services.list_rounds(user.id))
    offers = attempt(lambda: services.capabilities_by_round(user.id))
    if rounds is None or offers is None:
        return
    mine = [r for r in rounds if offers.get(r.id, NOTHING).may_coordinate]
    round_ = round_picker(mine, key="consensus-round")
    if round_ is None:
        if not mine and selected_round_id() is None:
            st.info(
                _(
                    "You coordinate no assessment round. The consensus of a round is run by its health system's "
                    "coordinator."
                ),
                icon=":material/info:",
            )
        return
    data = attempt(lambda: _load(services, user.id, round_.id))
    if data is None:
        return
    may = offers.get(round_.id, NOTHING)
    translation_notice.show(data.questionnaire)
    autosave.install()
    _round_actions(services, user.id, round_, may, data)
    if may.may_see_progress:
        _experts_section(services, user.id, round_, may)
    domain_id, only_disagreements = _domain_menu(round_, data)
    questionnaire = data.questionnaire
    domains = (
        questionnaire.domains if domain_id == ALL_DOMAINS else [d for d in questionnaire.domains if d.id == domain_id]
    )
    for domain in domains:
        st.header(escape_markdown(domain.title), divider="gray")
        shown = 0
        for sub in domain.subdomains:
            indicators = [ind for ind in sub.indicators if not only_disagreements or data.split(ind.id)]
            if not indicators:
                continue
            st.subheader(escape_markdown(sub.name))
            for indicator in indicators:
                _indicator_card(services, user.id, round_, may, data, indicator)
                shown += 1
        if shown == 0:
            st.caption(_("No indicator in this domain has experts {levels} or more levels apart.", levels=DISAGREEMENT))
    if domain_id != ALL_DOMAINS:
        next_domain_button("consensus", round_.id, questionnaire, domain_id)
    focus_heading_after_a_move()


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


# --- the saved fields of one indicator --------------------------------------------------------


def _widget_level(choice: LevelChoice) -> str | int:
    return NOT_DECIDED if choice is None else NOT_APPLICABLE if choice == NA else choice


def _level_choice(option: object) -> LevelChoice:
    return option if isinstance(option, int) else NA if option == NOT_APPLICABLE else None


def _consensus_field(view: ConsensusView | None, field: str) -> object:
    if view is None:
        return CONSENSUS.value_of(field, None)
    return CONSENSUS.value_of(
        field, {"level": view.level, "not_applicable": view.not_applicable, "rationale": view.rationale}
    )


def _fields(
    services: Services, user_id: int, round_id: int, indicator_id: str, q: Questionnaire
) -> dict[str, BoundField]:
    """The consensus level, the rationale and the target of one indicator, bound to their widgets."""

    def save_consensus(field: str) -> Callable[[FieldEdit], object]:
        return lambda edit: _consensus_field(services.edit_consensus(user_id, round_id, indicator_id, edit), field)

    def level_words(choice: object) -> str:
        if choice == NA:
            return _("not applicable")
        return _("level {level}", level=_level_text(q, choice)) if isinstance(choice, int) else _("not decided")

    prefix = f"consensus:{round_id}:{indicator_id}"
    return {
        "level": BoundField(
            f"{prefix}:level",
            _("Consensus level"),
            save_consensus("level"),
            CONSENSUS,
            "level",
            to_widget=_widget_level,
            from_widget=_level_choice,
            describe=level_words,
            show_saved=_("Show the saved consensus level"),
        ),
        "rationale": BoundField(
            f"{prefix}:rationale",
            _("Rationale"),
            save_consensus("rationale"),
            CONSENSUS,
            "rationale",
            from_widget=lambda text: str(text or ""),
            show_saved=_("Show the saved rationale"),
        ),
        "target": BoundField(
            f"{prefix}:target",
            _("Target level"),
            lambda edit: services.edit_target(user_id, round_id, indicator_id, edit).target,
            TARGET,
            "target",
            to_widget=lambda target: NO_TARGET if target is None else target,
            from_widget=lambda option: option if isinstance(option, int) else None,
            describe=lambda target: (
                _("no target") if target is None else _("target {level}", level=_level_text(q, int(target)))
            ),
            show_saved=_("Show the saved target level"),
        ),
    }


# --- round status: start the review, submit -----------------------------------------------------


def _round_actions(services: Services, user_id: int, round_: RoundView, may: Capabilities, data: RoundData) -> None:
    questionnaire = data.questionnaire
    total = len(questionnaire.indicators)
    done = sum(1 for ind in questionnaire.indicators if data.agreed(ind.id))
    split = sum(1 for ind in questionnaire.indicators if data.split(ind.id))
    just_submitted = st.session_state.pop("consensus-just-submitted", None) == round_.id
    if just_submitted:
        st.success(_("The round is submitted."), icon=":material/check_circle:")
    if not may.may_run_consensus:
        st.info(
            _(
                "This round is **{status}** and locked: the ratings, the consensus and the targets can no longer "
                "change. An administrator can reopen it.",
                status=RoundStatus.label_of(round_.status).lower(),
            ),
            icon=":material/lock:",
        )
    with st.container(border=True):
        if may.may_run_consensus:
            progress_col, actions_col = st.columns([1, 1], gap="medium", vertical_alignment="center")
        else:
            progress_col, actions_col = st.container(), None
        with progress_col:
            st.progress(
                done / max(total, 1),
                text=_n(
                    "Consensus recorded for **{count} of {n}** indicator",
                    "Consensus recorded for **{count} of {n}** indicators",
                    total,
                    count=i18n.integer(done),
                ),
            )
            experts = ", ".join(data.experts) if data.experts else _("none invited yet")
            st.caption(
                _n(
                    "Status: {status} · {n} indicator with experts {levels}+ levels apart · experts: {experts}",
                    "Status: {status} · {n} indicators with experts {levels}+ levels apart · experts: {experts}",
                    split,
                    status=RoundStatus.label_of(round_.status),
                    levels=DISAGREEMENT,
                    experts=escape_markdown(experts),
                )
            )
        confirming = bool(st.session_state.get(f"consensus-confirm-submit-{round_.id}"))
        if actions_col is not None and not confirming:
            with actions_col:
                _status_buttons(services, user_id, round_, may, total - done)
        if actions_col is not None and confirming:  # the confirmation and its list take the full width
            _status_buttons(services, user_id, round_, may, total - done)
    if may.may_run_consensus:
        st.caption(
            _(
                "Choose the agreed level and the target for each indicator: they are saved at once. The rationale "
                "is saved as you type (a moment after you pause) and when you leave the field. Indicators without "
                "a consensus count with the experts' median."
            )
        )


def _status_buttons(services: Services, user_id: int, round_: RoundView, may: Capabilities, missing: int) -> None:
    confirm_key = f"consensus-confirm-submit-{round_.id}"
    if st.session_state.get(confirm_key):
        check = attempt(lambda: services.submit_check(user_id, round_.id))
        if check is None:
            st.session_state.pop(confirm_key, None)
            return
        st.warning(
            _(
                "**Submit this round?** {summary} Submitting locks the round: nobody can change ratings, "
                "consensus or targets afterwards (an administrator can reopen it).",
                summary=escape_markdown(check.summary),
            ),
            icon=":material/warning:",
        )
        _open_indicators(check)
        yes_col, no_col = st.columns(2)
        if yes_col.button(_("Yes, submit"), type="primary", key=f"consensus-submit-yes-{round_.id}", width="stretch"):
            st.session_state.pop(confirm_key, None)
            if attempt(lambda: services.submit(user_id, round_.id)) is not None:
                st.session_state["consensus-just-submitted"] = round_.id
                st.rerun()
        if no_col.button(_("Cancel"), key=f"consensus-submit-no-{round_.id}", width="stretch"):
            st.session_state.pop(confirm_key, None)
            st.rerun()
        return
    buttons = st.container(horizontal=True, horizontal_alignment="right")
    start = may.may_start_review and buttons.button(
        _("Start consensus review"),
        key=f"consensus-start-{round_.id}",
        icon=":material/forum:",
        help=_(
            "Moves the round from draft to consensus review. The experts' part closes: their ratings no longer "
            "change. Submitting comes after the review."
        ),
    )
    if round_.status == RoundStatus.DRAFT:
        st.caption(_("The round is submitted from consensus review: start the review when the experts are done."))
    if start and attempt(lambda: services.start_review(user_id, round_.id)) is not None:
        st.rerun()
    if may.may_submit and buttons.button(
        _("Submit round"),
        type="primary",
        key=f"consensus-submit-{round_.id}",
        icon=":material/send:",
        help=_("Locks the round and hands it to the administrators for publication. You confirm first."),
    ):
        st.session_state[confirm_key] = True
        st.rerun()


def _open_indicators(check: SubmitCheck) -> None:
    """The indicators without consensus, named, with those resting on one expert's level first."""
    if not check.without_consensus:
        return
    with st.expander(_("Indicators without consensus ({count})", count=i18n.integer(len(check.without_consensus)))):
        if check.single_expert:
            st.markdown(_("**Resting on a single expert's level**"))
            st.markdown(_indicator_list(check.single_expert))
        others = [i for i in check.without_consensus if i.experts_with_a_level != 1]
        if others:
            st.markdown(_("**Resting on the experts' median, or without any level**"))
            st.markdown(_indicator_list(others))


def _indicator_list(indicators: Sequence[OpenIndicator]) -> str:
    return "\n".join(f"- {i.indicator_id} · {escape_markdown(i.statement)}" for i in indicators)


# --- the experts: progress, reminders, uninvite ----------------------------------------------------


def _experts_section(services: Services, user_id: int, round_: RoundView, may: Capabilities) -> None:
    """Who is where (answered, finished, last activity), whom to remind, uninviting; the round's messages."""
    progress = attempt(lambda: services.round_progress(user_id, round_.id))
    if progress is None:
        return
    done = progress.experts and not progress.unfinished
    title = _(
        "Experts: {finished} of {invited} finished",
        finished=i18n.integer(len(progress.experts) - progress.unfinished),
        invited=i18n.integer(len(progress.experts)),
    )
    with st.expander(title, icon=":material/groups:", expanded=round_.status == RoundStatus.DRAFT and not done):
        if not progress.experts:
            st.caption(_("No expert is invited yet. Invite experts on My assessments."))
        else:
            st.markdown(_experts_progress_table(progress))
        if may.may_remind:
            _reminders(services, user_id, round_, progress)
        if may.may_uninvite and progress.experts:
            _uninvite(services, user_id, round_, progress)
    with st.expander(_("Messages"), icon=":material/mail:"):
        round_messages(services, user_id, round_.id)


def _experts_progress_table(progress: RoundProgress) -> str:
    """Each invited expert: answered of all, state, last activity (a markdown table)."""
    rows = "\n".join(
        f"| {escape_markdown(f'{e.display_name} ({e.username})')} | "
        + _("{answered} of {total}", answered=i18n.integer(e.answered), total=i18n.integer(e.total))
        + f" | {e.state} | "
        + (f"{e.last_activity:%Y-%m-%d %H:%M} UTC" if e.last_activity else _("No rating yet"))
        + " |"
        for e in progress.experts
    )
    header = "| {expert} | {answered} | {state} | {last} |".format(
        expert=_("Expert"), answered=_("Answered"), state=_("State"), last=_("Last activity")
    )
    return header + "\n| --- | --- | --- | --- |\n" + rows


def _reminders(services: Services, user_id: int, round_: RoundView, progress: RoundProgress) -> None:
    sent = st.session_state.pop(f"consensus-reminded-{round_.id}", None)
    if sent:
        st.success(
            _n(
                "Reminder queued for {n} expert. See Messages below.",
                "Reminder queued for {n} experts. See Messages below.",
                int(sent),
            ),
            icon=":material/mail:",
        )
    if not progress.to_remind:
        st.caption(_("Every invited expert has finished: nobody to remind."))
        return
    names = {e.username: f"{e.display_name} ({e.username})" for e in progress.to_remind}
    chosen = st.multiselect(
        _("Remind the experts who have not finished"),
        list(names),
        default=list(names),
        format_func=lambda name: names[name],
        key=f"consensus-remind-{round_.id}",
    )
    if st.button(
        _("Send reminder"), key=f"consensus-remind-send-{round_.id}", icon=":material/send:", disabled=not chosen
    ):
        count = attempt(lambda: services.send_reminders(user_id, round_.id, chosen))
        if count is not None:
            st.session_state[f"consensus-reminded-{round_.id}"] = count  # said in the next run's language
            st.rerun()


def _uninvite(services: Services, user_id: int, round_: RoundView, progress: RoundProgress) -> None:
    done = st.session_state.pop(f"consensus-uninvited-{round_.id}", None)
    if done:
        st.success(escape_markdown(done), icon=":material/person_remove:")
    names = {e.username: f"{e.display_name} ({e.username})" for e in progress.experts}
    asking_key = f"consensus-uninvite-asking-{round_.id}"
    chosen = st.selectbox(
        _("Uninvite an expert"),
        list(names),
        index=None,
        placeholder=_("Choose an expert"),
        format_func=lambda name: names[name],
        key=f"consensus-uninvite-{round_.id}",
    )
    if chosen is None:
        st.session_state.pop(asking_key, None)
        return
    expert = next(e for e in progress.experts if e.username == chosen)
    if not st.session_state.get(asking_key):
        if st.button(_("Uninvite…"), key=f"consensus-uninvite-ask-{round_.id}", icon=":material/person_remove:"):
            st.session_state[asking_key] = chosen
            st.rerun()
        return
    st.warning(
        _n(
            "**Uninvite {expert}?** Their {n} rating in this round will be removed from the round and its results. "
            "The audit trail keeps every removed value.",
            "**Uninvite {expert}?** Their {n} ratings in this round will be removed from the round and its results. "
            "The audit trail keeps every removed value.",
            expert.answered,
            expert=escape_markdown(names[chosen]),
        ),
        icon=":material/warning:",
    )
    yes_col, no_col = st.columns(2)
    if yes_col.button(_("Yes, uninvite"), type="primary", key=f"consensus-uninvite-yes-{round_.id}", width="stretch"):
        st.session_state.pop(asking_key, None)
        removed = attempt(lambda: services.uninvite_expert(user_id, round_.id, chosen))
        if removed is not None:
            st.session_state[f"consensus-uninvited-{round_.id}"] = _n(
                "{expert} is uninvited; {n} rating removed (kept in the audit trail).",
                "{expert} is uninvited; {n} ratings removed (kept in the audit trail).",
                removed,
                expert=names[chosen],
            )
            st.rerun()
    if no_col.button(_("Cancel"), key=f"consensus-uninvite-no-{round_.id}", width="stretch"):
        st.session_state.pop(asking_key, None)
        st.rerun()


# --- the domain menu ---------------------------------------------------------------------------


def _domain_menu(round_: RoundView, data: RoundData) -> tuple[str, bool]:
    """The side list of domains with the consensus progress in each, and the disagreement filter."""
    questionnaire = data.questionnaire
    options = [d.id for d in questionnaire.domains] + [ALL_DOMAINS]
    titles = {d.id: d.title for d in questionnaire.domains} | {ALL_DOMAINS: _("All domains")}
    progress: dict[str, str] = {}
    for domain in questionnaire.domains:
        count = sum(1 for ind in domain.indicators if data.agreed(ind.id))
        split = sum(1 for ind in domain.indicators if data.split(ind.id))
        mark = " ✓" if count == len(domain.indicators) else ""
        flag = " · " + _("{count} ⚠ apart", count=i18n.integer(split)) if split else ""
        progress[domain.id] = _agreed(count, len(domain.indicators)) + mark + flag
    done = sum(1 for ind in questionnaire.indicators if data.agreed(ind.id))
    progress[ALL_DOMAINS] = _agreed(done, len(questionnaire.indicators))
    st.sidebar.markdown(f"**{escape_markdown(round_.health_system.name)} · {escape_markdown(round_.label)}**")
    choice = domain_picker("consensus", round_.id, options, titles, progress, _("Domain"))
    only = st.sidebar.toggle(
        _("Only disagreements"),
        key=f"consensus-only-disagreements-{round_.id}",
        help=_("Show only indicators where the experts' levels are {levels} or more apart (⚠).", levels=DISAGREEMENT),
    )
    return choice, bool(only)


def _agreed(count: int, total: int) -> str:
    return _("{count} of {total} agreed", count=i18n.integer(count), total=i18n.integer(total))


# --- one indicator -----------------------------------------------------------------------------


def _level_text(questionnaire: Questionnaire, level: int) -> str:
    return f"{level} · {questionnaire.level_label(level)}"


NBSP = "\u00a0"
NB_HYPHEN = "\u2011"


def _rating_level(questionnaire: Questionnaire, rating: RatingView | None) -> str:
    """The level as the table shows it, kept on one line (non-breaking spaces)."""
    if rating is None or (rating.level is None and not rating.not_applicable):
        text = _("Not rated yet")
    elif rating.not_applicable:
        text = _("Not applicable")
    else:
        text = _level_text(questionnaire, rating.level) if rating.level is not None else ""
    return text.replace(" ", NBSP)


_EXPERTS_COLUMNS = (N_("Expert"), N_("Level"), N_("Evidence and links"))


def _experts_table(questionnaire: Questionnaire, ratings: Sequence[RatingView], experts: Sequence[str]) -> None:
    """Every invited expert (and anyone else who rated) with level, evidence and links.

    Built as HTML so that links are real links: every text is HTML-escaped,
    and a link's address (an http(s) address checked when it was saved) is put
    into ``href`` as it is, only quoted for the attribute.
    """
    by_expert = {r.expert: r for r in ratings}
    names = list(experts) + sorted(set(by_expert) - set(experts))
    if not by_expert:
        st.caption(_("No expert has rated this indicator yet."))
        return
    rows = []
    for name in names:
        rating = by_expert.get(name)
        evidence = " ".join(rating.evidence.split()) if rating is not None else ""
        links = "".join(
            f'<li><a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(url)}</a></li>"
            for url in (rating.links if rating is not None else ())
        )
        rows.append(
            f'<tr><th scope="row">{html.escape(name).replace("-", NB_HYPHEN)}</th>'
            f"<td>{html.escape(_rating_level(questionnaire, rating))}</td>"
            f"<td>{html.escape(evidence)}{f'<ul>{links}</ul>' if links else ''}</td></tr>"
        )
    head = "".join(f'<th scope="col">{html.escape(_(text))}</th>' for text in _EXPERTS_COLUMNS)
    st.html(
        f'<table class="b1mg-experts"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "<style>.b1mg-experts{width:100%;border-collapse:collapse;font-size:0.9rem}"
        ".b1mg-experts th,.b1mg-experts td{text-align:left;vertical-align:top;padding:0.35rem 0.5rem;"
        "border-bottom:1px solid rgba(49,51,63,0.15)}.b1mg-experts thead th{font-weight:600}"
        ".b1mg-experts tbody th{font-weight:400;white-space:nowrap}"
        ".b1mg-experts ul{margin:0.2rem 0 0 1rem;padding:0}.b1mg-experts a{overflow-wrap:anywhere}</style>"
    )


def _spread_line(levels: Sequence[int]) -> None:
    median = lower_median(levels)
    if median is None:
        return
    value = spread(levels)
    if disagree(levels):
        st.badge(_("Experts {levels} levels apart", levels=value), icon=":material/warning:", color="orange")
    st.caption(
        _(
            "Experts' median (lower): level {median} · spread {spread}",
            median=median,
            spread=value if value is not None else 0,
        )
    )


def _indicator_card(
    services: Services, user_id: int, round_: RoundView, may: Capabilities, data: RoundData, indicator: Indicator
) -> None:
    questionnaire = data.questionnaire
    ratings = data.ratings.get(indicator.id, ())
    locked = not may.may_run_consensus
    fields = _fields(services, user_id, round_.id, indicator.id, questionnaire)
    consensus, target = data.consensus.get(indicator.id), data.targets.get(indicator.id)
    if not locked:
        for name in ("level", "rationale"):
            fields[name].sync(_consensus_field(consensus, name))
        fields["target"].sync(target.target if target is not None else None)
    with st.container(border=True, key="consensus-" + card_key(indicator.id)):
        st.markdown(f"**{indicator.id}** · {escape_markdown(indicator.statement)}")
        experts_col, decision_col = st.columns([5, 3], gap="medium")
        with experts_col:
            _spread_line(data.levels(indicator.id))
            _experts_table(questionnaire, ratings, data.experts)
            with st.expander(_("What each level means")):
                for level, description in indicator.levels.items():
                    st.markdown(f"**{_level_text(questionnaire, level)}**: {escape_markdown(description)}")
        with decision_col:
            if locked:
                _decision_text(questionnaire, consensus, target)
            else:
                _decision_widgets(questionnaire, indicator, fields)
        if not locked:
            status_region("consensus-" + card_key(indicator.id), indicator.id, list(fields.values()))
            for bound in fields.values():
                conflict_choice(bound)


def _decision_widgets(questionnaire: Questionnaire, indicator: Indicator, fields: Mapping[str, BoundField]) -> None:
    options: list[str | int] = [NOT_DECIDED, *indicator.levels, NOT_APPLICABLE]
    st.radio(
        _("Consensus level"),
        options,
        format_func=lambda o: (
            _("Not decided yet")
            if o == NOT_DECIDED
            else _("Not applicable")
            if o == NOT_APPLICABLE
            else _level_text(questionnaire, int(o))
        ),
        key=fields["level"].key,
        on_change=fields["level"].on_change,
    )
    st.text_area(
        _("Rationale"),
        key=fields["rationale"].key,
        on_change=fields["rationale"].on_change,
        height=90,
        placeholder=_("Why the experts agreed on this level…"),
    )
    targets: list[str | int] = [NO_TARGET, *indicator.levels]
    st.selectbox(
        _("Target level"),
        targets,
        format_func=lambda o: _("No target") if o == NO_TARGET else _level_text(questionnaire, int(o)),
        key=fields["target"].key,
        on_change=fields["target"].on_change,
        help=_("The level the health system aims for; the results show the gap and the next step."),
    )


def _decision_text(questionnaire: Questionnaire, consensus: ConsensusView | None, target: TargetView | None) -> None:
    """A locked round's decision, as readable text (disabled widgets are pale and hard to read)."""
    if consensus is not None and consensus.not_applicable:
        level = _("Not applicable")
    elif consensus is not None and consensus.level is not None:
        level = _level_text(questionnaire, consensus.level)
    else:
        level = _("No consensus recorded (the experts' median counts)")
    rationale = consensus.rationale.strip() if consensus is not None else ""
    if target is not None and target.target is not None:
        aim = _level_text(questionnaire, target.target)
    else:
        aim = _p("no target level", "None")
    st.markdown(_labelled(_("Consensus level"), escape_markdown(level)))
    st.markdown(_labelled(_("Rationale"), escape_markdown(rationale) if rationale else "—"))
    st.markdown(_labelled(_("Target level"), escape_markdown(aim)))


def _labelled(label: str, text: str) -> str:
    """A bold label with its text on the next line (markdown)."""
    return f"**{label}**  \n{text}"
