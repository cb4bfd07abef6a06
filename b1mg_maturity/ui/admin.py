"""Administration: users and roles, health systems, questionnaire versions, publishing rounds, the audit log.

For administrators; the services refuse everyone else, and this page shows
that refusal instead of its tabs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from b1mg_maturity.domain import GlobalRole, RoundStatus, SystemRole
from b1mg_maturity.errors import Problem, QuestionnaireError
from b1mg_maturity.permissions import NOTHING
from b1mg_maturity.report.jobs import publish_and_prepare
from b1mg_maturity.services import AuditView, RoundView, Services, UserView
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.widgets import round_label

GLOBAL_ROLES = [role.value for role in GlobalRole]
SYSTEM_ROLES = [role.value for role in SystemRole]
_FLASH = "admin-flash"
AUDIT_LIMITS = (100, 500, 2000)


def _flash(message: str) -> None:
    """A success message for the next run (the page reruns to show the changed lists)."""
    st.session_state[_FLASH] = message


def _done(action: Callable[[], object], message: str) -> None:
    """Run a use case; on success remember the message and rerun, on failure the error stays on the page."""

    def run() -> bool:
        action()
        return True

    if attempt(run):
        _flash(message)
        st.rerun()


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title("Administration")
    users = attempt(lambda: services.list_users(user.id))
    if users is None:
        return
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(escape_markdown(str(message)), icon=":material/check_circle:")
    tabs = st.tabs(["Users & roles", "Health systems", "Questionnaire versions", "Rounds", "Audit log"])
    with tabs[0]:
        _users(services, user.id, users)
    with tabs[1]:
        _health_systems(services, user.id)
    with tabs[2]:
        _questionnaires(services, user.id)
    with tabs[3]:
        _rounds(services, user.id)
    with tabs[4]:
        _audit(services, user.id, users)


# --- users and roles ---------------------------------------------------------------------------


def _users(services: Services, actor_id: int, users: Sequence[UserView]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Username": u.username,
                    "Name": u.display_name,
                    "E-mail": u.email or "",
                    "Global role": u.global_role,
                    "Active": "yes" if u.is_active else "no (deactivated)",
                    "Roles in health systems": ", ".join(f"{role} of {code}" for code, role in u.memberships),
                }
                for u in users
            ]
        ),
        hide_index=True,
        column_config={"Roles in health systems": st.column_config.TextColumn(width="large")},
    )
    st.caption(f"{len(users)} accounts.")
    usernames = [u.username for u in users]
    add_col, roles_col = st.columns(2, gap="large")
    with add_col, st.form("admin-add-user", clear_on_submit=True):
        st.markdown("**Add a user**")
        username = st.text_input("Username", help="Letters, digits, '.', '_', '-' or '@'; stored in lower case.")
        display_name = st.text_input("Full name")
        email = st.text_input("E-mail (optional)", help="Used to match a single sign-on account, when configured.")
        password = st.text_input("Password", type="password", autocomplete="new-password")
        role = st.selectbox("Global role", GLOBAL_ROLES, format_func=_global_role_label)
        if st.form_submit_button("Add user", type="primary"):
            _done(
                lambda: services.add_user(
                    actor_id,
                    username,
                    password,
                    display_name=display_name.strip(),
                    email=email.strip() or None,
                    global_role=str(role),
                ),
                f"Added the user {username.strip().lower()}.",
            )
    with roles_col:
        systems = attempt(lambda: services.list_health_systems(actor_id)) or []
        with st.container(border=True):
            st.markdown("**Role in a health system**")
            who = st.selectbox("User", usernames, key="admin-role-user")
            where = st.selectbox(
                "Health system",
                [s.code for s in systems],
                format_func=lambda code: next((f"{s.name} ({s.code})" for s in systems if s.code == code), code),
                key="admin-role-system",
            )
            what = st.selectbox("Role", SYSTEM_ROLES, format_func=_system_role_label, key="admin-role-role")
            grant_col, revoke_col = st.columns(2)
            if grant_col.button("Grant", type="primary", key="admin-grant", width="stretch") and who and where:
                _done(lambda: services.grant(actor_id, who, where, what), f"{who} is now {what} of {where}.")
            if revoke_col.button("Revoke", key="admin-revoke", width="stretch") and who and where:
                _done(lambda: services.revoke(actor_id, who, where, what), f"{who} is no longer {what} of {where}.")
        with st.container(border=True):
            st.markdown("**Global role**")
            whose = st.selectbox("User", usernames, key="admin-global-user")
            current = next((u.global_role for u in users if u.username == whose), GlobalRole.NONE.value)
            new_role = st.selectbox(
                "Global role",
                GLOBAL_ROLES,
                index=GLOBAL_ROLES.index(current) if current in GLOBAL_ROLES else 0,
                format_func=_global_role_label,
                key=f"admin-global-role-{whose}",
            )
            if st.button("Set global role", key="admin-set-global", type="primary") and whose:
                _done(
                    lambda: services.set_global_role(actor_id, whose, str(new_role)),
                    f"{whose}'s global role is now {new_role}.",
                )
    _account(services, actor_id, users)


def _global_role_label(role: str) -> str:
    return GlobalRole(role).label


def _system_role_label(role: str) -> str:
    return SystemRole(role).label


def _account(services: Services, actor_id: int, users: Sequence[UserView]) -> None:
    """Sign a user out everywhere, deactivate or reactivate them, give them a new password."""
    with st.container(border=True):
        st.markdown("**Account and sessions**")
        st.caption(
            "Each of these ends every session of the user: they are signed out in every browser at their "
            "next click. Taking a role away does the same."
        )
        whom = st.selectbox("User", [u.username for u in users], key="admin-account-user")
        chosen = next((u for u in users if u.username == whom), None)
        if chosen is None:
            return
        end_col, active_col = st.columns(2)
        if end_col.button("End all sessions", key="admin-end-sessions", width="stretch"):
            _done(
                lambda: services.end_sessions(actor_id, chosen.username), f"{chosen.username} is signed out everywhere."
            )
        if chosen.is_active:
            if active_col.button("Deactivate", key="admin-deactivate", width="stretch"):
                _done(
                    lambda: services.set_active(actor_id, chosen.username, False),
                    f"{chosen.username} is deactivated and signed out everywhere.",
                )
        elif active_col.button("Reactivate", key="admin-reactivate", width="stretch"):
            _done(lambda: services.set_active(actor_id, chosen.username, True), f"{chosen.username} is active again.")
        with st.form("admin-set-password", clear_on_submit=True):
            password = st.text_input("New password", type="password", autocomplete="new-password")
            if st.form_submit_button("Set new password"):
                _done(
                    lambda: services.change_password(actor_id, chosen.username, password),
                    f"{chosen.username} has a new password and is signed out everywhere.",
                )


# --- health systems ----------------------------------------------------------------------------


def _health_systems(services: Services, actor_id: int) -> None:
    systems = attempt(lambda: services.list_health_systems(actor_id)) or []
    st.dataframe(
        pd.DataFrame(
            [{"Code": s.code, "Name": s.name, "Kind": s.kind, "Demo": "yes" if s.is_demo else ""} for s in systems],
            columns=["Code", "Name", "Kind", "Demo"],
        ),
        hide_index=True,
    )
    with st.form("admin-add-system", clear_on_submit=True):
        st.markdown("**Add a health system**")
        code = st.text_input(
            "ISO code",
            max_chars=10,
            placeholder="DE, FR, ES-CT…",
            help="A country by its ISO 3166-1 alpha-2 code, or a region by its ISO 3166-2 code. "
            "The name is taken from the ISO standard.",
        )
        if st.form_submit_button("Add health system", type="primary"):
            _done(
                lambda: services.add_health_system(actor_id, code), f"Added the health system {code.strip().upper()}."
            )


# --- questionnaire versions --------------------------------------------------------------------


def _questionnaires(services: Services, actor_id: int) -> None:
    versions = attempt(lambda: services.list_questionnaire_versions(actor_id)) or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Questionnaire": v.questionnaire_id,
                    "Version": v.version,
                    "Title": v.title,
                    "Registered": v.registered_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "Rounds": v.rounds,
                    "Content hash": v.content_hash[:12],
                }
                for v in versions
            ],
            columns=["Questionnaire", "Version", "Title", "Registered", "Rounds", "Content hash"],
        ),
        hide_index=True,
        column_config={"Title": st.column_config.TextColumn(width="large")},
    )
    known = {v.id for v in versions}
    with st.form("admin-questionnaire", clear_on_submit=True):
        st.markdown("**Register a questionnaire version**")
        st.caption(
            "Upload a questionnaire YAML file. It is validated first; every problem is listed with its line and "
            "column. A registered version never changes: to change a questionnaire, raise its version."
        )
        upload = st.file_uploader("Questionnaire YAML", type=["yaml", "yml"])
        if st.form_submit_button("Validate and register", type="primary") and upload is not None:
            name = upload.name
            raw = upload.getvalue()
            registered = attempt(lambda: services.register_questionnaire(actor_id, _yaml_text(raw, name), name))
            if registered is not None:
                _flash(
                    f"{name} is already registered (same content)."
                    if registered in known
                    else f"{name} is valid and registered."
                )
                st.rerun()


def _yaml_text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QuestionnaireError("not UTF-8", (Problem(name, "the file is not UTF-8 text"),)) from None


# --- rounds ------------------------------------------------------------------------------------


def _rounds(services: Services, actor_id: int) -> None:
    rounds = attempt(lambda: services.list_rounds(actor_id)) or []
    offers = attempt(lambda: services.capabilities_by_round(actor_id)) or {}
    counts = {status: sum(1 for r in rounds if r.status == status) for status in RoundStatus}
    st.caption(" · ".join(f"{status.label}: {n}" for status, n in counts.items()))
    publish_col, reopen_col = st.columns(2, gap="large")
    with publish_col, st.container(border=True):
        st.markdown("**Publish a submitted round**")
        st.caption("Published rounds are visible to analysts and count in other health systems' benchmarks.")
        submitted = [r for r in rounds if offers.get(r.id, NOTHING).may_publish]
        if not submitted:
            st.caption("No round is waiting for publication.")
        else:
            chosen = st.selectbox("Submitted round", submitted, format_func=round_label, key="admin-publish-round")
            if st.button("Publish", type="primary", key="admin-publish") and chosen is not None:
                _done(  # its reports are made now, so that the first download is served from the cache
                    lambda: publish_and_prepare(services, actor_id, chosen.id), f"Published {round_label(chosen)}."
                )
    with reopen_col, st.container(border=True):
        st.markdown("**Reopen a round**")
        st.caption("Moves a submitted or published round back to consensus review, so it can change again.")
        closed = [r for r in rounds if offers.get(r.id, NOTHING).may_reopen]
        if not closed:
            st.caption("No round is submitted or published.")
        else:
            chosen_closed = st.selectbox("Round", closed, format_func=round_label, key="admin-reopen-round")
            reason = st.text_area(
                "Reason (required)", key="admin-reopen-reason", height=80, placeholder="Why is it reopened?"
            )
            if st.button("Reopen", key="admin-reopen") and chosen_closed is not None:
                _done(
                    lambda: services.reopen(actor_id, chosen_closed.id, reason),
                    f"Reopened {round_label(chosen_closed)}.",
                )
    st.dataframe(_round_table(rounds), hide_index=True)


def _round_table(rounds: Sequence[RoundView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Health system": f"{r.health_system.name} ({r.health_system.code})",
                "Round": r.label,
                "Date": r.round_date,
                "Status": RoundStatus.label_of(r.status),
                "Questionnaire": f"{r.questionnaire_id} {r.questionnaire_version}",
                "Last change": r.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
                "Id": r.id,
            }
            for r in rounds
        ],
        columns=["Health system", "Round", "Date", "Status", "Questionnaire", "Last change", "Id"],
    )


# --- audit log ---------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


ALL = "all"  # not None: a selectbox offers to clear a None choice


def _audit(services: Services, actor_id: int, users: Sequence[UserView]) -> None:
    rounds = attempt(lambda: services.list_rounds(actor_id)) or []
    labels = {r.id: round_label(r) for r in rounds}
    round_col, user_col, limit_col = st.columns([3, 2, 1])
    chosen_round = round_col.selectbox(
        "Round",
        [ALL, *labels],
        format_func=lambda r: "All rounds" if r == ALL else labels[r],
        key="admin-audit-round",
    )
    chosen_user = user_col.selectbox(
        "User",
        [ALL, *(u.username for u in users), "operator", "system"],
        format_func=lambda name: "All users" if name == ALL else str(name),
        key="admin-audit-user",
        help="'operator' is the command line; 'system' is the app itself (first set-up, sign-in pauses).",
    )
    limit = limit_col.selectbox("Show", AUDIT_LIMITS, key="admin-audit-limit", format_func=lambda n: f"last {n}")
    entries = attempt(
        lambda: services.audit_log(
            actor_id,
            round_id=chosen_round if isinstance(chosen_round, int) else None,
            username=None if chosen_user == ALL else str(chosen_user),
            limit=int(limit or AUDIT_LIMITS[0]),
        )
    )
    if entries is None:
        return
    st.caption(f"{len(entries)} entries, newest first.")
    st.dataframe(
        _audit_table(entries),
        hide_index=True,
        height=560,
        column_config={
            "Before": st.column_config.TextColumn(width="large"),
            "After": st.column_config.TextColumn(width="large"),
        },
    )


def _audit_table(entries: Sequence[AuditView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "When (UTC)": e.at.strftime("%Y-%m-%d %H:%M:%S"),
                "Who": e.actor,
                "Action": e.action,
                "What": e.entity,
                "Key": e.entity_key,
                "Round": e.round_id,
                "Before": _value_text(e.old_value),
                "After": _value_text(e.new_value),
            }
            for e in entries
        ],
        columns=["When (UTC)", "Who", "Action", "What", "Key", "Round", "Before", "After"],
    )
