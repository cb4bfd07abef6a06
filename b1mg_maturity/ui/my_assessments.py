"""My assessments: the rounds I take part in, their progress, and (for coordinators) opening new ones."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.domain import (
    MAX_FREE_LABEL_CHARS,
    RoundPeriod,
    RoundStatus,
    display_name,
    period_choices,
    round_name,
)
from b1mg_maturity.i18n import N_, _, _n, _p
from b1mg_maturity.permissions import NOTHING, Capabilities, Page
from b1mg_maturity.services import RoundView, Services
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.page_registry import link


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title(_("My assessments"))
    _next_steps(services, user.id)
    rounds = attempt(lambda: services.list_rounds(user.id)) or []
    coordinated = attempt(lambda: services.coordinated_systems(user.id)) or []
    if coordinated:
        _open_round_form(services, user.id, coordinated, rounds)
    if not rounds:
        st.info(
            _("You take part in no assessment round yet. A coordinator of your health system invites you to one."),
            icon=":material/info:",
        )
        return
    changes = attempt(lambda: services.last_changes(user.id)) or {}
    offers = attempt(lambda: services.capabilities_by_round(user.id)) or {}
    st.dataframe(_overview(services, user.id, rounds, changes), hide_index=True, width="stretch")
    _domain_key(services, user.id, rounds[0].id)
    st.subheader(_("Open a round"))
    for round_ in rounds[:30]:
        _round_card(services, user.id, round_, offers.get(round_.id, NOTHING))


def _next_steps(services: Services, user_id: int) -> None:
    """What to do next, in words (from ``Services.next_steps``), each with a link to the page where it is done."""
    steps = attempt(lambda: services.next_steps(user_id))
    if steps is None:
        return
    st.subheader(_("What to do next"))
    if not steps:
        st.caption(_("Nothing is waiting for you now."))
        return
    for number, step in enumerate(steps):
        with st.container(border=True, key=f"next-step-{number}"):
            text_col, link_col = st.columns([3, 1], vertical_alignment="center")
            text_col.markdown(escape_markdown(step.text))
            with link_col:
                link(step.page, step.link_label or _("Open"), round_id=step.round_id, icon=":material/arrow_forward:")


def _overview(
    services: Services, user_id: int, rounds: list[RoundView], changes: dict[int, dt.datetime]
) -> pd.DataFrame:
    rows = []
    for round_ in rounds:
        progress = attempt(partial(services.progress, user_id, round_.id)) or {}
        done = sum(d for d, _total in progress.values())
        total = sum(t for _done, t in progress.values())
        last = changes.get(round_.id)
        rows.append(
            {
                _(SYSTEM): f"{round_.health_system.name} ({round_.health_system.code})",
                _(ROUND): round_.label,
                _(DATE): round_.round_date,
                _(STATUS): RoundStatus.label_of(round_.status),
                _(ANSWERED): i18n.percent(done / total) if total else "–",
                _(PER_DOMAIN): " · ".join(f"{domain} {d}/{t}" for domain, (d, t) in progress.items()),
                _(LAST_CHANGE): last.strftime("%Y-%m-%d %H:%M UTC") if last else "",
            }
        )
    frame = pd.DataFrame(rows)
    return frame


# The overview's column names, as people read them (translated where the table is made).
SYSTEM, ROUND, DATE, STATUS = N_("Health system"), N_("Round"), N_("Date"), N_("Status")
ANSWERED, PER_DOMAIN, LAST_CHANGE = N_("Answered"), N_("Per domain"), N_("Last change")


def _domain_key(services: Services, user_id: int, round_id: int) -> None:
    """The domains' names beside their codes, which the table's "Per domain" column counts by."""
    loaded = attempt(lambda: services.round_answers(user_id, round_id))
    if loaded is None:
        return
    names = " · ".join(f"{d.id} {escape_markdown(d.title)}" for d in loaded[0].domains)
    st.caption(
        _(
            "Answered: indicators with a level or “not applicable”, of all. Per domain: answered of all in {domains}.",
            domains=names,
        )
    )


def _round_card(services: Services, user_id: int, round_: RoundView, may: Capabilities) -> None:
    with st.container(border=True):
        title, actions = st.columns([3, 2])
        title.markdown(
            f"**{escape_markdown(round_.health_system.name)} · {escape_markdown(round_.label)}**  \n"
            f"{RoundStatus.label_of(round_.status)} · {round_.round_date.isoformat()} · "
            f"{round_.questionnaire_id} {round_.questionnaire_version}"
        )
        with actions:
            if may.may_rate:
                link(Page.RATE, _p("page title", "Rate"), round_id=round_.id, icon=":material/rate_review:")
            elif may.may_reopen_part:
                link(Page.RATE, _("My part (finished)"), round_id=round_.id, icon=":material/task_alt:")
            if may.may_coordinate:
                link(Page.CONSENSUS, _("Consensus"), round_id=round_.id, icon=":material/handshake:")
            if may.may_see_results:
                link(Page.RESULTS, _("Results"), round_id=round_.id, icon=":material/insights:")
        if may.may_invite:
            _invite(services, user_id, round_)


def _invite(services: Services, user_id: int, round_: RoundView) -> None:
    invited = set(attempt(lambda: services.experts_of(user_id, round_.id)) or [])
    candidates = [u for u in attempt(lambda: services.invitable_experts(user_id, round_.health_system.code)) or []]
    open_seats = [u for u in candidates if u.username not in invited]
    with st.expander(_n("Experts: {n} invited", "Experts: {n} invited", len(invited))):
        if invited:
            st.write(", ".join(sorted(invited)))
        if not open_seats:
            st.caption(_("Every expert of this health system is invited. An administrator adds new experts."))
            return
        # A form: choosing experts reruns nothing, so the expander stays open until "Invite" is pressed.
        with st.form(f"invite-form-{round_.id}", border=False):
            chosen = st.multiselect(
                _("Invite experts"),
                open_seats,
                format_func=lambda u: f"{u.display_name} ({u.username})",
                key=f"invite-{round_.id}",
            )
            pressed = st.form_submit_button(_("Invite"))
        if pressed and chosen:
            for expert in chosen:
                attempt(partial(services.invite_expert, user_id, round_.id, expert.username))
            st.rerun()
        elif pressed:
            st.warning(_("Choose one or more experts first."), icon=":material/info:")


HALVES = {0: N_("whole year"), 1: N_("January to June"), 2: N_("July to December")}


def _open_round_form(services: Services, user_id: int, systems: list, rounds: list[RoundView]) -> None:  # type: ignore[type-arg]
    with st.expander(_("Open a new assessment round"), icon=":material/add_circle:"):
        system = st.selectbox(
            _("Health system"), systems, format_func=lambda s: f"{s.name} ({s.code})", key="open-round-system"
        )
        today = dt.date.today()
        periods = period_choices(today.year)
        period_col, label_col = st.columns([1, 2])
        period = period_col.selectbox(
            _("Period"),
            periods,
            index=periods.index(RoundPeriod(today.year)),
            format_func=lambda p: f"{p.text} ({_(HALVES[p.half])})",
            key="open-round-period",
            help=_("The year the round takes stock of, or one half of it. Rounds are compared by period."),
        )
        free_label = label_col.text_input(
            _("Free label (optional)"),
            max_chars=MAX_FREE_LABEL_CHARS,
            placeholder=_("for example: Spring check"),
            key="open-round-label",
            help=_("Needed only to tell apart two rounds of the same period."),
        )
        st.caption(
            _(
                "The round will be called **{name}**.",
                name=escape_markdown(display_name(round_name(period, free_label.strip()), period, free_label.strip())),
            )
        )
        when = st.date_input(_("Date"), value=today, key="open-round-date", help=_("The day the round starts."))
        earlier = [r for r in rounds if system is not None and r.health_system.code == system.code]
        copy_from = st.selectbox(
            _("Start from the answers of"),
            [None, *earlier],
            format_func=lambda r: (
                _("Nothing: start empty") if r is None else f"{r.label} ({RoundStatus.label_of(r.status).lower()})"
            ),
            help=_(
                "Copies the consensus levels (or the experts' median where none was agreed), "
                "rationales and targets of an earlier round as this round's starting point."
            ),
            key="open-round-copy",
        )
        submitted = st.button(_("Open round"), type="primary", key="open-round-submit")
        if submitted and system is not None:
            created = attempt(
                lambda: services.open_round(
                    user_id,
                    system.code,
                    free_label,
                    when if isinstance(when, dt.date) else today,
                    period=period,
                    copy_from_round_id=copy_from.id if copy_from is not None else None,
                )
            )
            if created is not None:
                st.success(
                    _("Opened {round}. Invite the experts below.", round=escape_markdown(created.label)),
                    icon=":material/check_circle:",
                )
                st.rerun()
