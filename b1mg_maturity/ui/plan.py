"""Action plan: the latest round's gaps beside the actions that address them, a timeline, Learn, and the editor.

The page renders one :class:`~b1mg_maturity.services.plans.PlanView` (read in
one snapshot by ``services.plan``) and holds no rule: who may plan, propose or
change an action, and what a valid action is, the services decide.  A
coordinator turns a gap into an action with one click (title and target level
prefilled by :func:`~b1mg_maturity.planning.draft_for_gap`); an expert proposes
one.  A save names the version it was based on, so a change made meanwhile by
someone else is refused and said so, never overwritten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.charts import describe
from b1mg_maturity.charts.plan_timeline import ColourBy, missing_dates, plan_timeline, undated
from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.errors import Conflict
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.planning import (
    ActionDraft,
    ActionFilter,
    Aim,
    GapCoverage,
    PlanAction,
    draft_for_gap,
)
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Priority
from b1mg_maturity.services import Services, UserView
from b1mg_maturity.services.plans import PlanView
from b1mg_maturity.services.views import HealthSystemView
from b1mg_maturity.text_rules import shortened
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt, escape_markdown, guidance_line, show_error

GAPS_SHOWN = 8  # the largest gaps shown at first; the others behind a toggle
EDIT_CHOICE = "plan-edit-choice"  # the id of the action whose form is open
_FLASH = "plan-flash"  # (place, error or message) left by a button's callback for the next run to show

# The action table's columns, as people read them (translated where the table is made).
ACTION, INDICATORS, STATUS, OWNER, START, DUE, OVERDUE = (
    N_("Action"),
    N_("Indicators (level aimed at)"),
    N_("Status"),
    N_("Owner"),
    N_("Start"),
    N_("Due"),
    N_("Overdue"),
)
REMOVE = "remove"  # an aim's level choice that takes the indicator off the action


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title(_("Action plan"))
    systems = attempt(lambda: services.plan_systems(user.id))
    if systems is None:
        return
    if not systems:
        st.info(_("You belong to no health system, so there is no plan to show."), icon=":material/info:")
        return
    system = _system_picker(systems)
    _flash("top")
    view = attempt(lambda: services.plan(user.id, system.id))
    if view is None:
        return
    questionnaire = view.questionnaire
    if view.assessed is None or questionnaire is None:
        st.info(
            _("This health system has no round you may open yet: the plan is set against the gaps of its rounds."),
            icon=":material/info:",
        )
        return
    _intro(view)
    _gaps(services, user, view, questionnaire)
    _learn(services, user, view, questionnaire)
    _actions(services, user, view, questionnaire)
    _peer_naming(services, user, view)


def _system_picker(systems: Sequence[HealthSystemView]) -> HealthSystemView:
    if len(systems) == 1:
        return systems[0]
    chosen = st.selectbox(_("Health system"), systems, format_func=lambda s: f"{s.name} ({s.code})", key="plan-system")
    return chosen if chosen is not None else systems[0]


def _flash(place: str) -> None:
    """What a button's callback left to say here (an error in plain words, or what was done)."""
    flash = st.session_state.get(_FLASH)
    if flash is None or flash[0] != place:
        return
    del st.session_state[_FLASH]
    if isinstance(flash[1], BaseException):
        show_error(flash[1])
    else:
        st.success(flash[1], icon=":material/check_circle:")


def _intro(view: PlanView) -> None:
    assert view.assessed is not None
    st.caption(
        _(
            "The plan of {system} addresses the gaps of {round} (its last finished assessment): the indicators "
            "below their target, largest gap first.",
            system=escape_markdown(f"{view.health_system.name} ({view.health_system.code})"),
            round=escape_markdown(view.assessed.label),
        )
    )
    if view.judged is not None:
        st.caption(
            _(
                "A newer round, {round}, is open: each action shows whether its indicators reached the level it "
                "aimed at there.",
                round=escape_markdown(view.judged.label),
            )
        )
    overdue = view.overdue
    if overdue:
        st.warning(_n("{n} action is overdue.", "{n} actions are overdue.", len(overdue)), icon=":material/schedule:")
    since = view.since
    if since is not None and (since.done or since.moved):
        with st.expander(_("Since {round}", round=escape_markdown(since.previous_label))):
            if since.done:
                st.markdown(
                    _n("{n} action done:", "{n} actions done:", len(since.done))
                    + "\n"
                    + "\n".join(f"- {escape_markdown(a.title)}" for a in since.done)
                )
            for move in since.moved:
                st.markdown(
                    _(
                        "- {indicator}: level {before} → {after}",
                        indicator=move.indicator_id,
                        before="—" if move.before is None else move.before,
                        after="—" if move.after is None else move.after,
                    )
                )


# --- gaps ------------------------------------------------------------------------------------------


def _gaps(services: Services, user: UserView, view: PlanView, questionnaire: Questionnaire) -> None:
    st.header(_("Gaps and the actions that address them"))
    if not view.gaps:
        st.caption(_("No gaps: no indicator has a target above its current level."))
        return
    open_gaps = sum(1 for g in view.gaps if not g.covered)
    st.caption(
        _(
            "{gaps} · {uncovered}",
            gaps=_n("{n} gap", "{n} gaps", len(view.gaps)),
            uncovered=_n("{n} with no action yet", "{n} with no action yet", open_gaps),
        )
    )
    # who can act on a gap sees first the gaps still waiting for an action (the toggle shows all)
    only_open = st.toggle(
        _("Only the gaps no action addresses"), value=view.may_propose and open_gaps > 0, key="plan-only-open"
    )
    # a gap keeps its rank among all the gaps (largest first) when the toggle hides the addressed ones
    gaps = [(rank, g) for rank, g in enumerate(view.gaps, start=1) if not (only_open and g.covered)]
    show_all = len(gaps) <= GAPS_SHOWN or st.toggle(
        _("Show all {n} gaps", n=i18n.integer(len(gaps))), key="plan-all-gaps"
    )
    for rank, item in gaps if show_all else gaps[:GAPS_SHOWN]:
        _gap(services, user, view, questionnaire, item, rank)


def _gap(
    services: Services, user: UserView, view: PlanView, questionnaire: Questionnaire, item: GapCoverage, number: int
) -> None:
    gap = item.gap
    indicator = questionnaire.indicator(gap.indicator_id)
    domain = questionnaire.domain_of(gap.indicator_id)
    with st.container(border=True, key=f"plan-gap-{gap.indicator_id}"):
        st.markdown(
            f"**{number}. {gap.indicator_id}** · {escape_markdown(indicator.statement)}  \n"
            + _(
                "Level {level} → target {target} (gap {gap}) · {domain} · {pillar}",
                level=gap.level,
                target=gap.target,
                gap=gap.gap,
                domain=escape_markdown(domain.title),
                pillar=escape_markdown(questionnaire.pillar(domain.pillar).name),
            )
        )
        if gap.next_step:
            st.markdown(
                ":material/trending_up: "
                + _(
                    "**Next step (level {level}):** {step}",
                    level=gap.level + 1,
                    step=escape_markdown(gap.next_step),
                )
            )
        if indicator.resources:
            st.markdown(guidance_line(indicator.resources))
        if item.covered:
            titles = [
                _("{title} ({status})", title=escape_markdown(a.title), status=a.status.label) for a in item.actions
            ]
            line = _("**Addressed by:** {actions}", actions="; ".join(titles))
            if not item.reaches_target:
                line += "  \n" + _(
                    "The actions aim at level {aimed}, below the target {target}: they close the gap only in part.",
                    aimed=item.aimed_level,
                    target=gap.target,
                )
            st.markdown(line)
            return
        st.markdown(":material/radio_button_unchecked: " + _("**No action yet.**"))
        if view.may_propose:
            propose = not view.may_manage
            st.button(
                _("Propose an action") if propose else _("Plan an action"),
                key=f"plan-add-{gap.indicator_id}",
                icon=":material/add_task:",
                on_click=_add_for_gap,
                args=(services, user.id, view, questionnaire, gap, propose),
                help=_(
                    "Adds an action that aims this indicator at its target, its title and description filled in; "
                    "change it below."
                ),
            )


def _add_for_gap(
    services: Services, user_id: int, view: PlanView, questionnaire: Questionnaire, gap: Priority, propose: bool
) -> None:
    """The button's callback: add the gap's action in one step, then open it in the editor."""
    draft = draft_for_gap(gap, questionnaire, today=view.today)
    if propose:
        draft = dataclasses.replace(draft, status=ActionStatus.PROPOSED)
    try:
        action = services.add_action(user_id, view.health_system.id, draft, today=view.today)
    except Exception as exc:  # noqa: BLE001 - shown in plain words at the top of the next run
        st.session_state[_FLASH] = ("top", exc)
        return
    st.session_state[EDIT_CHOICE] = action.id
    st.session_state[_FLASH] = (
        "edit",
        _("Added “{title}”: give it an owner and dates below.", title=escape_markdown(action.title)),
    )


# --- Learn -----------------------------------------------------------------------------------------


def _learn(services: Services, user: UserView, view: PlanView, questionnaire: Questionnaire) -> None:
    st.header(_("Learn from peers"))
    st.caption(
        _(
            "Which other health systems reached a level, in their latest published round: a team there may "
            "know how. Only health systems that chose to be named are listed; the others count only in the figure."
        )
    )
    if not view.gaps:
        return
    by_id = {g.gap.indicator_id: g.gap for g in view.gaps}
    left, right = st.columns([3, 1])
    indicator_id = left.selectbox(
        _("Indicator"),
        list(by_id),
        format_func=lambda i: f"{i} · {shortened(questionnaire.indicator(i).statement, 90)}",
        key="plan-learn-indicator",
    )
    if indicator_id is None:
        return
    gap = by_id[indicator_id]
    scale = list(questionnaire.scale)
    level = right.selectbox(
        _("At level or above"),
        scale,
        index=scale.index(gap.target),
        format_func=lambda lv: f"{lv} · {questionnaire.level_label(lv)}",
        key=f"plan-learn-level-{indicator_id}",
    )
    peers = attempt(lambda: services.peers_at_level(user.id, view.health_system.id, indicator_id, int(level)))
    if peers is None:
        return
    if peers.withheld:
        st.markdown(
            _(
                "Too few other health systems rated this indicator to give a count (fewer than {threshold}).",
                threshold=i18n.integer(peers.threshold),
            )
        )
    else:
        st.markdown(
            _(
                "{n} of {m} other health systems are at level {level} or above.",
                n=i18n.integer(peers.at_or_above or 0),
                m=i18n.integer(peers.rated or 0),
                level=peers.level,
            )
        )
    if peers.named:
        st.markdown(
            "\n".join(
                "- "
                + _(
                    "**{name}** ({code}): level {level} in {round}",
                    name=escape_markdown(p.name),
                    code=escape_markdown(p.code),
                    level=p.level,
                    round=escape_markdown(p.round_label),
                )
                for p in peers.named
            )
        )
    else:
        st.caption(_("No health system at this level has chosen to be named."))


# --- actions ---------------------------------------------------------------------------------------


def _actions(services: Services, user: UserView, view: PlanView, questionnaire: Questionnaire) -> None:
    st.header(_("Actions"))
    if not view.actions:
        st.caption(_("No action yet: plan one from a gap above."))
        return
    chosen = _filter(view, questionnaire)
    shown = [a for a in view.actions if chosen.matches(a, questionnaire)]
    if len(shown) < len(view.actions):
        st.caption(
            _(
                "{shown} of {total} actions match the filters.",
                shown=i18n.integer(len(shown)),
                total=i18n.integer(len(view.actions)),
            )
        )
    _action_table(view, shown)
    _downloads(view)
    _timeline(view, questionnaire, shown)
    _editor(services, user, view, questionnaire)


def _downloads(view: PlanView) -> None:
    """The whole plan (not only what the filters show) as a table, made when asked for."""
    from b1mg_maturity.interchange.plan_table import plan_csv, plan_xlsx

    stem = f"{view.health_system.code.lower()}-action-plan"
    csv_col, xlsx_col, _rest = st.columns([1, 1, 3])
    csv_col.download_button(
        _("Plan (CSV)"),
        data=lambda: plan_csv(view),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="plan-csv",
        on_click="ignore",
    )
    xlsx_col.download_button(
        _("Plan (XLSX)"),
        data=lambda: plan_xlsx(view),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="plan-xlsx",
        on_click="ignore",
    )


def _filter(view: PlanView, questionnaire: Questionnaire) -> ActionFilter:
    columns = st.columns(4)
    pillars = columns[0].multiselect(
        _("Pillar"),
        [p.id for p in questionnaire.pillars],
        format_func=lambda p: questionnaire.pillar(p).name,
        key="plan-filter-pillar",
        placeholder=_("All"),
    )
    domains = columns[1].multiselect(
        _("Domain"),
        [d.id for d in questionnaire.domains],
        format_func=lambda d: next(x.title for x in questionnaire.domains if x.id == d),
        key="plan-filter-domain",
        placeholder=_("All"),
    )
    owners = columns[2].multiselect(
        _("Owner"),
        sorted({a.owner for a in view.actions if a.owner}),
        format_func=lambda owner: dict(view.members).get(owner, owner),
        key="plan-filter-owner",
        placeholder=_("All"),
    )
    statuses = columns[3].multiselect(
        _("Status"),
        list(ActionStatus),
        format_func=lambda s: ActionStatus(s).label,
        key="plan-filter-status",
        placeholder=_("All"),
    )
    return ActionFilter(
        pillars=frozenset(pillars),
        domains=frozenset(domains),
        owners=frozenset(owners),
        statuses=frozenset(ActionStatus(s) for s in statuses),
    )


def _day(value: dt.date | None) -> str | None:
    return i18n.date(value, "medium") if value is not None else None


def _aims_text(action: PlanAction) -> str:
    return ", ".join(f"{aim.indicator_id} → {aim.level}" for aim in action.aims)


def _action_table(view: PlanView, actions: Sequence[PlanAction]) -> None:
    judged = view.judged
    judged_column = _("In {round}", round=judged.label) if judged is not None else None
    rows: list[dict[str, Any]] = []
    for action in actions:
        row: dict[str, Any] = {
            _(ACTION): action.title,
            _(INDICATORS): _aims_text(action),
            _(STATUS): action.status.label,
            _(OWNER): view.owner_of(action) or None,
            _(START): _day(action.start),
            _(DUE): _day(action.due),
            _(OVERDUE): _("Overdue") if action.is_overdue(view.today) else None,
        }
        if judged_column is not None:
            result = view.outcomes.get(action.id)
            row[judged_column] = result.state.label if result is not None else None
        rows.append(row)
    if not rows:
        st.caption(_("No action matches the filters."))
        return
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        placeholder="—",
        key="plan-actions-table",
        column_config={
            _(ACTION): st.column_config.TextColumn(width="medium"),
            _(OVERDUE): st.column_config.TextColumn(help=_("Past its due date and neither done nor dropped")),
            **(
                {
                    judged_column: st.column_config.TextColumn(
                        help=_("Whether every indicator of the action reached the level it aimed at in that round")
                    )
                }
                if judged_column is not None
                else {}
            ),
        },
    )


def _timeline(view: PlanView, questionnaire: Questionnaire, actions: Sequence[PlanAction]) -> None:
    st.subheader(_("Timeline"))
    colour_by = st.radio(
        _("Colour the bars by"),
        list(ColourBy),
        format_func=lambda c: _("Pillar") if c == ColourBy.PILLAR else _("Status"),
        horizontal=True,
        key="plan-colour-by",
    )
    fig = plan_timeline(actions, questionnaire, today=view.today, colour_by=ColourBy(colour_by or ColourBy.PILLAR))
    if len(actions) > len(undated(actions)):
        st.plotly_chart(fig, theme=None, config={"displaylogo": False}, alt=describe(fig), key="plan-timeline")
        with st.expander(_("Chart as text")):
            st.markdown(escape_markdown(describe(fig)))  # it holds the actions' titles: a person's text
    left = undated(actions)
    if left:
        st.markdown(
            _("**Not on the timeline:**")
            + "\n"
            + "\n".join("- " + _("{title}: {why}", title=escape_markdown(a.title), why=missing_dates(a)) for a in left)
        )


# --- the editor ------------------------------------------------------------------------------------


def _field(action_id: int, name: str) -> str:
    return f"plan-{action_id}-{name}"


def _seed(action: PlanAction) -> None:
    """Fill the form's widgets with the action as stored (once, until it is saved or reloaded)."""
    state = st.session_state
    state[_field(action.id, "base")] = action.version
    state[_field(action.id, "title")] = action.title
    state[_field(action.id, "description")] = action.description
    state[_field(action.id, "member")] = action.owner_username or ""
    state[_field(action.id, "owner_name")] = action.owner_name
    state[_field(action.id, "start")] = action.start
    state[_field(action.id, "due")] = action.due
    state[_field(action.id, "status")] = action.status.value
    state[_field(action.id, "drop_reason")] = action.drop_reason
    state[_field(action.id, "notes")] = action.notes
    state[_field(action.id, "aims")] = action.aims
    for aim in action.aims:
        state[_field(action.id, f"aim-{aim.indicator_id}")] = aim.level
    state[_field(action.id, "add-indicator")] = ""
    state[_field(action.id, "add-level")] = None


def _forget(action_id: int) -> None:
    """Drop the form's state, so that it shows the action as stored at its next drawing."""
    prefix = f"plan-{action_id}-"
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _editor(services: Services, user: UserView, view: PlanView, questionnaire: Questionnaire) -> None:
    editable = [a for a in view.actions if view.may_edit(a)]
    if not editable:
        return
    st.subheader(_("Change an action"))
    ids = [a.id for a in editable]
    if st.session_state.get(EDIT_CHOICE) not in ids:
        st.session_state.pop(EDIT_CHOICE, None)
    by_id = {a.id: a for a in editable}
    chosen = st.selectbox(
        _("Action to change"),
        ids,
        index=None,
        format_func=lambda i: by_id[i].title,
        key=EDIT_CHOICE,
        placeholder=_("Choose an action"),
    )
    _flash("edit")
    if chosen is None:
        return
    action = by_id[chosen]
    if _field(action.id, "base") not in st.session_state:
        _seed(action)
    base = st.session_state[_field(action.id, "base")]
    if st.session_state.get(_field(action.id, "conflict")):
        st.button(
            _("Show the saved version (my changes are discarded)"),
            key=f"plan-reload-{action.id}",
            on_click=_forget,
            args=(action.id,),
        )
    statuses = list(ActionStatus) if view.may_manage else [ActionStatus.PROPOSED]
    members = {username: name for username, name in view.members}
    indicators = [i.id for i in questionnaire.indicators]
    scale = list(questionnaire.scale)
    aims: tuple[Aim, ...] = st.session_state[_field(action.id, "aims")]
    with st.form(key=f"plan-form-{action.id}", border=True):
        st.text_input(_("Title"), key=_field(action.id, "title"), max_chars=200)
        st.text_area(_("Description"), key=_field(action.id, "description"), height=100)
        st.markdown(_("**Indicators and the level aimed at**"))
        for aim in aims:
            st.selectbox(
                _("{indicator}: level aimed at", indicator=aim.indicator_id),
                [*scale, REMOVE],
                format_func=lambda lv: _("Remove this indicator") if lv == REMOVE else str(lv),
                key=_field(action.id, f"aim-{aim.indicator_id}"),
            )
        add_col, level_col = st.columns([3, 1])
        add_col.selectbox(
            _("Add an indicator"),
            ["", *[i for i in indicators if i not in {a.indicator_id for a in aims}]],
            format_func=lambda i: (
                _("None") if not i else f"{i} · {shortened(questionnaire.indicator(i).statement, 70)}"
            ),
            key=_field(action.id, "add-indicator"),
        )
        level_col.selectbox(
            _("Its level aimed at"),
            scale,
            index=None,
            key=_field(action.id, "add-level"),
            placeholder=_("Choose"),
        )
        owner_col, name_col = st.columns(2)
        owner_col.selectbox(
            _("Owner (a member of the health system)"),
            ["", *members],
            format_func=lambda u: _("None") if not u else f"{members.get(u, u)} ({u})",
            key=_field(action.id, "member"),
        )
        name_col.text_input(
            _("Owner's name (someone without an account)"), key=_field(action.id, "owner_name"), max_chars=200
        )
        start_col, due_col, status_col = st.columns(3)
        start_col.date_input(_("Start"), value=None, key=_field(action.id, "start"), format="YYYY-MM-DD")
        due_col.date_input(_("Due"), value=None, key=_field(action.id, "due"), format="YYYY-MM-DD")
        status_col.selectbox(
            _("Status"),
            [s.value for s in statuses],
            format_func=ActionStatus.label_of,
            key=_field(action.id, "status"),
        )
        st.text_area(
            _("Reason for dropping"),
            key=_field(action.id, "drop_reason"),
            height=68,
            help=_("Needed to drop an action: say why it is dropped."),
        )
        st.text_area(_("Notes"), key=_field(action.id, "notes"), height=68)
        st.form_submit_button(
            _("Save the action"),
            type="primary",
            icon=":material/save:",
            on_click=_save,
            args=(services, user.id, action.id, base, view.today),
        )


def _draft_from_form(action_id: int) -> ActionDraft:
    state = st.session_state
    aims = []
    for aim in state[_field(action_id, "aims")]:
        level = state.get(_field(action_id, f"aim-{aim.indicator_id}"), aim.level)
        if level != REMOVE:
            aims.append(Aim(aim.indicator_id, int(level)))
    added, added_level = state.get(_field(action_id, "add-indicator")), state.get(_field(action_id, "add-level"))
    if added and added_level is not None:
        aims.append(Aim(str(added), int(added_level)))
    return ActionDraft(
        title=state[_field(action_id, "title")],
        aims=tuple(aims),
        description=state[_field(action_id, "description")],
        owner_name=state[_field(action_id, "owner_name")],
        owner_username=state[_field(action_id, "member")] or None,
        start=state[_field(action_id, "start")],
        due=state[_field(action_id, "due")],
        status=ActionStatus(state[_field(action_id, "status")]),
        drop_reason=state[_field(action_id, "drop_reason")],
        notes=state[_field(action_id, "notes")],
    )


def _save(services: Services, user_id: int, action_id: int, base: int, today: dt.date) -> None:
    """The form's callback: save the whole action as changed, based on the version the form was filled from."""
    try:
        saved = services.update_action(
            user_id, action_id, _draft_from_form(action_id), expected_version=base, today=today
        )
    except Conflict as exc:
        st.session_state[_field(action_id, "conflict")] = True
        st.session_state[_FLASH] = ("edit", exc)
        return
    except Exception as exc:  # noqa: BLE001 - shown in plain words beside the form
        st.session_state[_FLASH] = ("edit", exc)
        return
    _forget(action_id)
    st.session_state[_FLASH] = ("edit", _("Saved “{title}”.", title=escape_markdown(saved.title)))


# --- the peer-naming setting -----------------------------------------------------------------------


def _peer_naming(services: Services, user: UserView, view: PlanView) -> None:
    st.header(_("Being named to peers"))
    system = view.health_system
    if not view.may_set_peer_naming:
        st.markdown(
            _("Other teams see this health system by name where it reached a level.")
            if view.named_as_peer
            else _("This health system is not named to other teams: it counts only in anonymous figures.")
        )
        return
    key = f"plan-peer-naming-{system.id}"
    st.session_state[key] = view.named_as_peer  # the widget shows what the database holds
    st.toggle(
        _("Name this health system to other teams where it reached a level"),
        key=key,
        on_change=_set_peer_naming,
        args=(services, user.id, system.id, key),
    )
    st.caption(
        _(
            "When on, teams of other health systems see its name beside the indicators where it reached a level, "
            "so that they know whom to ask; when off, it counts only in anonymous figures."
        )
    )


def _set_peer_naming(services: Services, user_id: int, system_id: int, key: str) -> None:
    named = bool(st.session_state[key])
    try:
        services.set_peer_naming(user_id, system_id, named)
    except Exception as exc:  # noqa: BLE001 - shown in plain words at the top of the next run
        st.session_state[_FLASH] = ("top", exc)
