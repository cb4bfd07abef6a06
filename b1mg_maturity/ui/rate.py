"""Rate: an invited expert rates the indicators of a round, domain by domain.

Every change is saved the moment it is made, one field at a time (level,
evidence, links: :class:`~b1mg_maturity.ui.field_state.BoundField` calls
``Services.edit_rating``); evidence and links also while typing.  A widget
shows what the database holds each time it is drawn, so a domain switch, a
page switch, a reload or a server restart loses nothing; when a field was
changed meanwhile elsewhere (the same expert in another tab), the save is
refused and both values are shown with a choice.  The chosen round and domain
live in the address.

Each indicator's card is a fragment of its own, and so is the side menu with
the progress: a click in a card reruns that card (and, for a level, the
menu's counts), not the page, so a click costs the same with 3 or 49 cards
shown.  A fragment rerunning alone reads its data again (see
:mod:`~b1mg_maturity.ui.fragment_runs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.consensus import is_recorded
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.edits import NOT_APPLICABLE as NA
from b1mg_maturity.edits import RATING, FieldEdit, LevelChoice
from b1mg_maturity.i18n import _, _n, _p
from b1mg_maturity.questionnaire import Indicator, Questionnaire
from b1mg_maturity.questionnaire.glossary import terms_in
from b1mg_maturity.questionnaire.schema import Resource
from b1mg_maturity.services import RatingView, RoundView, Services
from b1mg_maturity.services.progress import MyPart
from b1mg_maturity.ui import autosave, translation_notice
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.domain_nav import ALL_DOMAINS, domain_picker, focus_heading_after_a_move, next_domain_button
from b1mg_maturity.ui.feedback import attempt, escape_markdown, markdown_link
from b1mg_maturity.ui.field_state import BoundField, conflict_choice, status_region
from b1mg_maturity.ui.fragment_runs import rerunning_alone
from b1mg_maturity.ui.widgets import round_picker

NOT_ANSWERED = "not-answered"
NOT_APPLICABLE = "not-applicable"
MENU_FRAGMENT = "rate-menu"
FINISH_FRAGMENT = "rate-finish"


def _widget_level(choice: LevelChoice) -> str | int:
    """A stored level choice -> the level radio's option."""
    return NOT_ANSWERED if choice is None else NOT_APPLICABLE if choice == NA else choice


def _level_choice(option: object) -> LevelChoice:
    return option if isinstance(option, int) else NA if option == NOT_APPLICABLE else None


def _lines(links: object) -> str:
    return "\n".join(links) if isinstance(links, tuple | list) else str(links or "")


def _rating_field(view: RatingView | None, field: str) -> object:
    """One field of a saved rating as the page shows it (a blank rating when there is none)."""
    if view is None:
        return RATING.value_of(field, None)
    columns = {
        "level": view.level,
        "not_applicable": view.not_applicable,
        "evidence": view.evidence,
        "links": view.links,
    }
    return RATING.value_of(field, columns)


def _fields(
    services: Services, user_id: int, round_id: int, indicator: Indicator, questionnaire: Questionnaire
) -> dict[str, BoundField]:
    """The three saved fields of one indicator's card, bound to their widgets."""

    def saver(field: str) -> Callable[[FieldEdit], object]:
        def save(edit: FieldEdit) -> object:
            just_saved = _just_saved()  # taken before the save: nothing goes through st.session_state after it
            view = services.edit_rating(user_id, round_id, indicator.id, edit)
            just_saved[indicator.id] = view
            return _rating_field(view, field)

        return save

    card = card_fragment(indicator.id)

    def card_only(before: object, after: object) -> tuple[str, ...]:
        return (card,)

    def card_and_counts(before: object, after: object) -> tuple[str, ...]:
        """A level given or taken back changes the menu's counts: redraw it beside the card."""
        return (card, MENU_FRAGMENT) if (before is None) != (after is None) else (card,)

    def level_words(choice: object) -> str:
        if choice == NA:
            return _("not applicable")
        if isinstance(choice, int):
            return _("level {level} ({label})", level=choice, label=questionnaire.level_label(choice))
        return _("not answered")

    prefix = f"rate:{round_id}:{indicator.id}"
    return {
        "level": BoundField(
            f"{prefix}:level",
            _("Level"),
            saver("level"),
            RATING,
            "level",
            to_widget=_widget_level,
            from_widget=_level_choice,
            describe=level_words,
            rerun_after=card_and_counts,
            show_saved=_("Show the saved level"),
        ),
        "evidence": BoundField(
            f"{prefix}:evidence",
            _("Evidence"),
            saver("evidence"),
            RATING,
            "evidence",
            from_widget=lambda text: str(text or ""),
            rerun_after=card_only,
            show_saved=_("Show the saved evidence"),
        ),
        "links": BoundField(
            f"{prefix}:links",
            _("Links"),
            saver("links"),
            RATING,
            "links",
            to_widget=_lines,
            from_widget=lambda text: tuple(str(text or "").splitlines()),
            describe=lambda links: "; ".join(links) if links else _("no links"),
            rerun_after=card_only,
            show_saved=_("Show the saved links"),
        ),
    }


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title(_p("page title", "Rate"))
    rounds = attempt(lambda: services.rounds_to_rate(user.id))
    if rounds is None:
        return
    round_ = round_picker(rounds, key="rate-round")
    if round_ is None:
        if not rounds:
            st.info(_("You have no round to rate. A coordinator invites you to a round."), icon=":material/info:")
        return
    loaded = attempt(
        lambda: (
            services.questionnaire_for_round(user.id, round_.id),
            services.my_ratings(user.id, round_.id),
            services.targets_of(user.id, round_.id),
            services.my_part(user.id, round_.id),
        )
    )
    if loaded is None:
        return
    questionnaire, mine, targets, part = loaded
    translation_notice.show(questionnaire)
    _just_saved().clear()  # this run shows what the database holds now
    autosave.install()
    domain_id = _domain_menu(services, user.id, round_, questionnaire, mine)
    if part.may_rate:
        st.caption(
            _(
                "Choose the level that describes your health system today. Every choice is saved at once; "
                "evidence and links are saved as you type (a moment after you pause) and when you leave the field."
            )
        )
    _part_panel(services, user.id, round_, part)
    domains = (
        questionnaire.domains if domain_id == ALL_DOMAINS else [d for d in questionnaire.domains if d.id == domain_id]
    )
    for domain in domains:
        st.header(escape_markdown(domain.title), divider="gray")
        if domain.description:
            st.caption(escape_markdown(domain.description))
        for sub in domain.subdomains:
            st.subheader(escape_markdown(sub.name))
            for indicator in sub.indicators:
                target = targets.get(indicator.id)
                _card_fragment(
                    services,
                    user.id,
                    round_,
                    questionnaire,
                    indicator,
                    mine.get(indicator.id),
                    target.target if target else None,
                    locked=not part.may_rate,
                )
    if domain_id != ALL_DOMAINS:
        next_domain_button("rate", round_.id, questionnaire, domain_id)
    if part.may_finish and domain_id in (ALL_DOMAINS, questionnaire.domains[-1].id):
        st.caption(_("That was the last domain. When you are done, mark your part finished at the top of the page."))
    focus_heading_after_a_move()


def _part_panel(services: Services, user_id: int, round_: RoundView, part: MyPart) -> None:
    """The expert's finished step: finish (after a check of what is left), or reopen while the round is a draft."""
    if part.closed:
        st.info(
            _(
                "This round is {status}: your part is closed. Your ratings are shown as you left them.",
                status=RoundStatus.label_of(part.status).lower(),
            ),
            icon=":material/lock:",
        )
        return
    if part.finished:
        with st.container(border=True, key="rate-part"):
            st.success(_finished_text(part), icon=":material/task_alt:")
            reopen = part.may_reopen and st.button(
                _("Reopen my part"),
                key=f"rate-reopen-part-{round_.id}",
                icon=":material/edit:",
                help=_("Change your ratings again. Possible until the coordinator starts the consensus review."),
            )
            if reopen and attempt(lambda: services.reopen_my_part(user_id, round_.id)) is not None:
                st.rerun()
        return
    if part.may_finish:
        _finish_fragment(services, user_id, round_)


def _finished_text(part: MyPart) -> str:
    if part.finished_at is None:
        return _("You marked your part finished. The coordinator takes it from here.")
    day, time = i18n.date(part.finished_at), f"{part.finished_at:%H:%M}"
    return _(
        "You marked your part finished on {date} at {time} UTC. The coordinator takes it from here.",
        date=day,
        time=time,
    )


def _left_text(part: MyPart) -> str:
    """What the expert left unanswered, by domain, before they finish anyway."""
    lines = "\n".join(
        f"- **{escape_markdown(d.title)}**: "
        + _n(
            "{n} indicator ({indicators})",
            "{n} indicators ({indicators})",
            len(d.indicator_ids),
            indicators=escape_markdown(", ".join(d.indicator_ids)),
        )
        for d in part.left
    )
    return (
        _n(
            "**You left {n} indicator of {total} unanswered.** Finish anyway? "
            "Unanswered indicators count without your level.",
            "**You left {n} indicators of {total} unanswered.** Finish anyway? "
            "Unanswered indicators count without your level.",
            part.unanswered,
            total=part.total,
        )
        + "\n\n"
        + lines
    )


def _finish_fragment(services: Services, user_id: int, round_: RoundView) -> None:
    """ "Finish my part", then the check of what is left (read when asked, so it counts every save) and a confirmation."""
    asking_key = f"rate-finish-asking-{round_.id}"

    @st.fragment(key=FINISH_FRAGMENT)
    def finish() -> None:
        with st.container(border=True, key="rate-part"):
            if not st.session_state.get(asking_key):
                text_col, button_col = st.columns([3, 1], vertical_alignment="center")
                text_col.markdown(
                    _(
                        "**Your part** · When you have rated the domains you know, mark your part finished: "
                        "the coordinator sees who is done."
                    )
                )
                if button_col.button(_("Finish my part…"), key=f"rate-finish-{round_.id}", icon=":material/task_alt:"):
                    st.session_state[asking_key] = True
                    st.rerun(scope="fragment")
                return
            part = attempt(lambda: services.my_part(user_id, round_.id))
            if part is None:
                return
            if part.left:
                st.warning(_left_text(part), icon=":material/rule:")
            else:
                st.success(
                    _n("You answered all {n} indicator.", "You answered all {n} indicators.", part.total),
                    icon=":material/check_circle:",
                )
            st.caption(
                _("Once finished, your ratings are locked. You can reopen your part while the round is a draft.")
            )
            yes_col, no_col = st.columns(2)
            if yes_col.button(
                _("Yes, mark my part finished"), type="primary", key=f"rate-finish-yes-{round_.id}", width="stretch"
            ):
                st.session_state.pop(asking_key, None)
                if attempt(lambda: services.finish_my_part(user_id, round_.id)) is not None:
                    st.rerun()
            if no_col.button(_("Keep rating"), key=f"rate-finish-no-{round_.id}", width="stretch"):
                st.session_state.pop(asking_key, None)
                st.rerun(scope="fragment")

    finish()


def card_key(indicator_id: str) -> str:
    """The key of an indicator's card; the page marks it with the CSS class ``st-key-<key>``."""
    return "card-" + indicator_id.replace(".", "-")


_JUST_SAVED = "rate::just-saved"


def _just_saved() -> dict[str, RatingView]:
    """Each indicator's rating as its last save stored it, until its card is drawn again (a plain dict)."""
    saved: dict[str, RatingView] = st.session_state.setdefault(_JUST_SAVED, {})
    return saved


def card_fragment(indicator_id: str) -> str:
    """The fragment key of an indicator's card (what a level's save reruns)."""
    return "rate-" + card_key(indicator_id)


def _card_fragment(
    services: Services,
    user_id: int,
    round_: RoundView,
    questionnaire: Questionnaire,
    indicator: Indicator,
    saved: RatingView | None,
    target: int | None,
    *,
    locked: bool,
) -> None:
    """One indicator's card as a fragment: a click inside it reruns only the card."""

    @st.fragment(key=card_fragment(indicator.id))
    def card() -> None:
        current = saved
        if rerunning_alone():  # a click here: the rating the last full run gave may be out of date
            just_saved = _just_saved().pop(indicator.id, None)
            if just_saved is not None:  # what the save stored, read back in its transaction
                current = just_saved
            else:  # no save (a choice after a conflict): read it
                fresh = attempt(lambda: services.my_ratings(user_id, round_.id))
                if fresh is None:
                    return
                current = fresh.get(indicator.id)
        fields = _fields(services, user_id, round_.id, indicator, questionnaire)
        _indicator_card(questionnaire, indicator, fields, current, target, locked=locked)

    card()


def _domain_menu(
    services: Services, user_id: int, round_: RoundView, questionnaire: Questionnaire, mine: Mapping[str, RatingView]
) -> str:
    """The side list of domains with this expert's progress in each: a fragment, redrawn after each level.

    A domain chosen here while the menu reruns alone reruns the whole page, to show that domain.
    """
    shown: dict[str, str] = {}

    @st.fragment(key=MENU_FRAGMENT)
    def menu() -> None:
        ratings = mine
        if rerunning_alone():
            fresh = attempt(lambda: services.my_ratings(user_id, round_.id))
            if fresh is None:
                return
            ratings = fresh
        chosen = _domain_list(round_, questionnaire, ratings)
        if rerunning_alone() and chosen != shown.get("domain"):
            st.rerun()
        shown["domain"] = chosen

    with st.sidebar:
        menu()
    return shown.get("domain", ALL_DOMAINS)


def _domain_list(round_: RoundView, questionnaire: Questionnaire, mine: Mapping[str, RatingView]) -> str:
    done = {i for i, r in mine.items() if is_recorded(r)}
    options = [d.id for d in questionnaire.domains] + [ALL_DOMAINS]
    titles = {d.id: d.title for d in questionnaire.domains} | {ALL_DOMAINS: _("All domains")}
    progress: dict[str, str] = {}
    for domain in questionnaire.domains:
        count = sum(1 for ind in domain.indicators if ind.id in done)
        mark = " ✓" if count == len(domain.indicators) else ""
        progress[domain.id] = _rated(count, len(domain.indicators)) + mark
    progress[ALL_DOMAINS] = _rated(len(done), len(questionnaire.indicators))
    st.markdown(f"**{escape_markdown(round_.health_system.name)} · {escape_markdown(round_.label)}**")
    st.progress(
        len(done) / max(len(questionnaire.indicators), 1),
        text=_rated(len(done), len(questionnaire.indicators)),
    )
    return domain_picker("rate", round_.id, options, titles, progress, _("Domain"))


def resource_links(resources: tuple[Resource, ...]) -> str:
    """The questionnaire's guidance for an indicator as markdown: its titles shown as text, each a link."""
    links = "\n".join(f"- {markdown_link(r)}" for r in resources)
    return f":material/menu_book: **{_('Guidance to reach the next level:')}**\n\n{links}"


def _rated(count: int, total: int) -> str:
    return _("{count} of {total} rated", count=i18n.integer(count), total=i18n.integer(total))


def _indicator_card(
    questionnaire: Questionnaire,
    indicator: Indicator,
    fields: Mapping[str, BoundField],
    saved: RatingView | None,
    target: int | None,
    *,
    locked: bool,
) -> None:
    for name, bound in fields.items():
        bound.sync(_rating_field(saved, name))
    options: list[str | int] = [NOT_ANSWERED, NOT_APPLICABLE, *indicator.levels]
    labels = {NOT_ANSWERED: _("Not answered yet"), NOT_APPLICABLE: _("Not applicable")}
    with st.container(border=True, key=card_key(indicator.id)):
        st.markdown(f"**{indicator.id}** · {escape_markdown(indicator.statement)}")
        choice_col, evidence_col = st.columns([3, 2], gap="medium")
        with choice_col:
            level = fields["level"]
            st.radio(
                _("Level for {indicator}", indicator=indicator.id),
                options,
                format_func=lambda o: labels[o] if isinstance(o, str) else f"{o} · {questionnaire.level_label(o)}",
                captions=["", "", *(escape_markdown(text) for text in indicator.levels.values())],
                key=level.key,
                on_change=level.on_change,
                label_visibility="collapsed",
                disabled=locked,
            )
        with evidence_col:
            st.text_area(
                _("Evidence"),
                key=fields["evidence"].key,
                on_change=fields["evidence"].on_change,
                height=110,
                placeholder=_("What shows this level: documents, decisions, figures…"),
                disabled=locked,
            )
            st.text_area(
                _("Links (one per line)"),
                key=fields["links"].key,
                on_change=fields["links"].on_change,
                height=68,
                placeholder="https://…",
                disabled=locked,
            )
            if target is not None:
                st.caption(
                    _(
                        "Target set by the coordinator: level {level} ({label})",
                        level=target,
                        label=escape_markdown(questionnaire.level_label(target)),
                    )
                )
            if indicator.resources:  # beside the level descriptions; below them on a narrow screen
                st.markdown(resource_links(indicator.resources))
        if indicator.guidance:
            with st.expander(_("How to choose between levels")):
                st.markdown(escape_markdown(indicator.guidance))
        terms = terms_in(questionnaire, indicator)
        if terms:
            with st.expander(_("Terms used here")):
                for term in terms:
                    st.markdown(f"**{escape_markdown(term.term)}**: {escape_markdown(term.definition)}")
        status_region(card_key(indicator.id), indicator.id, list(fields.values()))
        for bound in fields.values():
            conflict_choice(bound)
