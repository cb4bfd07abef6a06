"""Administration: users and roles, health systems, questionnaire versions, publishing rounds, the audit log.

For administrators; the services refuse everyone else, and this page shows
that refusal instead of its tabs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.domain import GlobalRole, RoundStatus, SystemRole
from b1mg_maturity.errors import Problem, QuestionnaireError
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.permissions import NOTHING
from b1mg_maturity.report.jobs import publish_and_prepare
from b1mg_maturity.services import RoundView, Services, UserView
from b1mg_maturity.services.accounts import ResetLink
from b1mg_maturity.ui.context import app_services, current_user
from b1mg_maturity.ui.feedback import attempt, escape_markdown
from b1mg_maturity.ui.history import audit_log
from b1mg_maturity.ui.widgets import round_label

GLOBAL_ROLES = [role.value for role in GlobalRole]
SYSTEM_ROLES = [role.value for role in SystemRole]
# A stored global role and a health system's kind as the tables name them (the stored word, translated).
_ROLE_WORDS = {"none": N_("none"), "analyst": N_("analyst"), "admin": N_("admin")}
_KIND_WORDS = {"country": N_("country"), "region": N_("region")}
_FLASH = "admin-flash"
_ADD_FORM = "admin-add-user-form"  # a number in the add-user widgets' keys: a new one empties the form
_RESET_LINK = "admin-reset-link"  # a link just issued, shown once
_PUBLISH = "admin-publish-pending"  # the round whose publication waits for a confirmation


def _word(words: dict[str, str], value: str) -> str:
    """A stored value in words: translated when known, else as stored."""
    return _(words[value]) if value in words else value


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
    st.title(_("Administration"))
    users = attempt(lambda: services.list_users(user.id))
    if users is None:
        return
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(escape_markdown(str(message)), icon=":material/check_circle:")
    tabs = st.tabs([_("Users & roles"), _("Health systems"), _("Questionnaire versions"), _("Rounds"), _("Audit log")])
    with tabs[0]:
        _users(services, user.id, users)
    with tabs[1]:
        _health_systems(services, user.id)
    with tabs[2]:
        _questionnaires(services, user.id)
    with tabs[3]:
        _rounds(services, user.id)
    with tabs[4]:
        audit_log(user.id, key="admin-audit")


# --- users and roles ---------------------------------------------------------------------------


def _users(services: Services, actor_id: int, users: Sequence[UserView]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Username"): u.username,
                    _("Name"): u.display_name,
                    _("E-mail"): u.email or "",
                    _("Global role"): _word(_ROLE_WORDS, u.global_role),
                    _("Active"): _("yes") if u.is_active else _("no (deactivated)"),
                    _("Roles in health systems"): ", ".join(
                        _("{role} of {system}", role=_system_role_label(role).lower(), system=code)
                        for code, role in u.memberships
                    ),
                }
                for u in users
            ]
        ),
        hide_index=True,
        column_config={_("Roles in health systems"): st.column_config.TextColumn(width="large")},
    )
    st.caption(_n("{n} account.", "{n} accounts.", len(users)))
    usernames = [u.username for u in users]
    add_col, roles_col = st.columns(2, gap="large")
    with add_col:
        _add_user_form(services, actor_id)
    with roles_col:
        systems = attempt(lambda: services.list_health_systems(actor_id)) or []
        with st.container(border=True):
            st.markdown(_("**Role in a health system**"))
            who = st.selectbox(_("User"), usernames, key="admin-role-user")
            where = st.selectbox(
                _("Health system"),
                [s.code for s in systems],
                format_func=lambda code: next((f"{s.name} ({s.code})" for s in systems if s.code == code), code),
                key="admin-role-system",
            )
            what = st.selectbox(_("Role"), SYSTEM_ROLES, format_func=_system_role_label, key="admin-role-role")
            grant_col, revoke_col = st.columns(2)
            if grant_col.button(_("Grant"), type="primary", key="admin-grant", width="stretch") and who and where:
                _done(
                    lambda: services.grant(actor_id, who, where, what),
                    _(
                        "{username} is now {role} of {system}.",
                        username=who,
                        role=_system_role_label(what).lower(),
                        system=where,
                    ),
                )
            if revoke_col.button(_("Revoke"), key="admin-revoke", width="stretch") and who and where:
                _done(
                    lambda: services.revoke(actor_id, who, where, what),
                    _(
                        "{username} is no longer {role} of {system}.",
                        username=who,
                        role=_system_role_label(what).lower(),
                        system=where,
                    ),
                )
        with st.container(border=True):
            st.markdown(_("**Global role**"))
            whose = st.selectbox(_("User"), usernames, key="admin-global-user")
            current = next((u.global_role for u in users if u.username == whose), GlobalRole.NONE.value)
            new_role = st.selectbox(
                _("Global role"),
                GLOBAL_ROLES,
                index=GLOBAL_ROLES.index(current) if current in GLOBAL_ROLES else 0,
                format_func=_global_role_label,
                key=f"admin-global-role-{whose}",
            )
            if st.button(_("Set global role"), key="admin-set-global", type="primary") and whose:
                _done(
                    lambda: services.set_global_role(actor_id, whose, str(new_role)),
                    _(
                        "{username}'s global role is now {role}.",
                        username=whose,
                        role=_word(_ROLE_WORDS, str(new_role)),
                    ),
                )
    _account(services, actor_id, users)


def _add_user_form(services: Services, actor_id: int) -> None:
    """Add an account.  After a refusal every field keeps what was typed; after success the form is empty."""
    form = st.session_state.setdefault(_ADD_FORM, 0)
    with st.form("admin-add-user", clear_on_submit=False):
        st.markdown(_("**Add a user**"))
        username = st.text_input(
            _("Username"),
            help=_("Letters, digits, '.', '_', '-' or '@'; stored in lower case."),
            key=f"admin-add-username-{form}",
        )
        display_name = st.text_input(_("Full name"), key=f"admin-add-name-{form}")
        email = st.text_input(
            _("E-mail (optional)"),
            help=_("Where reset links and notifications go, when e-mail is set up; also matches a single sign-on."),
            key=f"admin-add-email-{form}",
        )
        password = st.text_input(
            _("Password"), type="password", autocomplete="new-password", key=f"admin-add-password-{form}"
        )
        role = st.selectbox(
            _("Global role"), GLOBAL_ROLES, format_func=_global_role_label, key=f"admin-add-role-{form}"
        )
        if st.form_submit_button(_("Add user"), type="primary"):
            added = attempt(
                lambda: services.add_user(
                    actor_id,
                    username,
                    password,
                    display_name=display_name.strip(),
                    email=email.strip() or None,
                    global_role=str(role),
                )
            )
            if added is not None:
                st.session_state[_ADD_FORM] = form + 1
                _flash(_("Added the user {username}.", username=added.username))
                st.rerun()


def _global_role_label(role: str) -> str:
    return GlobalRole(role).label


def _system_role_label(role: str) -> str:
    return SystemRole(role).label


def _account(services: Services, actor_id: int, users: Sequence[UserView]) -> None:
    """Sign a user out everywhere, deactivate or reactivate them, give them a new password."""
    with st.container(border=True):
        st.markdown(_("**Account and sessions**"))
        st.caption(
            _(
                "Each of these ends every session of the user: they are signed out in every browser at their "
                "next click. Taking a role away does the same."
            )
        )
        whom = st.selectbox(_("User"), [u.username for u in users], key="admin-account-user")
        chosen = next((u for u in users if u.username == whom), None)
        if chosen is None:
            return
        end_col, active_col = st.columns(2)
        if end_col.button(_("End all sessions"), key="admin-end-sessions", width="stretch"):
            _done(
                lambda: services.end_sessions(actor_id, chosen.username),
                _("{username} is signed out everywhere.", username=chosen.username),
            )
        if chosen.is_active:
            if active_col.button(_("Deactivate"), key="admin-deactivate", width="stretch"):
                _done(
                    lambda: services.set_active(actor_id, chosen.username, False),
                    _("{username} is deactivated and signed out everywhere.", username=chosen.username),
                )
        elif active_col.button(_("Reactivate"), key="admin-reactivate", width="stretch"):
            _done(
                lambda: services.set_active(actor_id, chosen.username, True),
                _("{username} is active again.", username=chosen.username),
            )
        _reset_link(services, actor_id, chosen)
        with st.form("admin-set-password", clear_on_submit=True):
            password = st.text_input(_("New password"), type="password", autocomplete="new-password")
            if st.form_submit_button(_("Set new password")):
                _done(
                    lambda: services.change_password(actor_id, chosen.username, password),
                    _("{username} has a new password and is signed out everywhere.", username=chosen.username),
                )


def _reset_link(services: Services, actor_id: int, user: UserView) -> None:
    """Issue a one-time link for the user to choose a new password; without e-mail it is shown here, once."""
    issued = st.session_state.pop(_RESET_LINK, None)
    if isinstance(issued, ResetLink) and issued.username == user.username:
        until = issued.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        if issued.mailed_to:
            st.success(
                _(
                    "A reset link was sent to {addresses}. It works once, until {until}.",
                    addresses=escape_markdown(", ".join(issued.mailed_to)),
                    until=until,
                ),
                icon=":material/mark_email_read:",
            )
        else:
            st.info(
                _(
                    "Give this link to {username} yourself (it is shown only now). "
                    "It works once, until {until}; a newer link replaces it.",
                    username=escape_markdown(issued.username),
                    until=until,
                ),
                icon=":material/key:",
            )
            st.code(issued.link, language=None, wrap_lines=True)
    if st.button(
        _("Issue a password-reset link"),
        key="admin-reset-link-button",
        disabled=not user.is_active,
        help=_(
            "A one-time link to choose a new password. It is e-mailed when e-mail is set up and the "
            "user has an address; otherwise it is shown here to pass on."
        ),
    ):
        link = attempt(lambda: services.issue_reset_link(actor_id, user.username))
        if link is not None:
            st.session_state[_RESET_LINK] = link
            st.rerun()


# --- health systems ----------------------------------------------------------------------------


def _health_systems(services: Services, actor_id: int) -> None:
    systems = attempt(lambda: services.list_health_systems(actor_id)) or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Code"): s.code,
                    _("Name"): s.name,
                    _("Kind"): _word(_KIND_WORDS, s.kind),
                    _("Demo"): _("yes") if s.is_demo else "",
                }
                for s in systems
            ],
            columns=[_("Code"), _("Name"), _("Kind"), _("Demo")],
        ),
        hide_index=True,
    )
    with st.form("admin-add-system", clear_on_submit=True):
        st.markdown(_("**Add a health system**"))
        code = st.text_input(
            _("ISO code"),
            max_chars=10,
            placeholder=_("DE, FR, ES-CT…"),
            help=_(
                "A country by its ISO 3166-1 alpha-2 code, or a region by its ISO 3166-2 code. "
                "The name is taken from the ISO standard."
            ),
        )
        if st.form_submit_button(_("Add health system"), type="primary"):
            _done(
                lambda: services.add_health_system(actor_id, code),
                _("Added the health system {code}.", code=code.strip().upper()),
            )


# --- questionnaire versions --------------------------------------------------------------------


def _questionnaires(services: Services, actor_id: int) -> None:
    versions = attempt(lambda: services.list_questionnaire_versions(actor_id)) or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Questionnaire"): v.questionnaire_id,
                    _("Version"): v.version,
                    _("Title"): v.title,
                    _("Registered"): v.registered_at.strftime("%Y-%m-%d %H:%M UTC"),
                    _("Rounds"): v.rounds,
                    _("Content hash"): v.content_hash[:12],
                }
                for v in versions
            ],
            columns=[_("Questionnaire"), _("Version"), _("Title"), _("Registered"), _("Rounds"), _("Content hash")],
        ),
        hide_index=True,
        column_config={_("Title"): st.column_config.TextColumn(width="large")},
    )
    known = {v.id for v in versions}
    with st.form("admin-questionnaire", clear_on_submit=True):
        st.markdown(_("**Register a questionnaire version**"))
        st.caption(
            _(
                "Upload a questionnaire YAML file. It is validated first; every problem is listed with its line and "
                "column. A registered version never changes: to change a questionnaire, raise its version."
            )
        )
        upload = st.file_uploader(_("Questionnaire YAML"), type=["yaml", "yml"])
        if st.form_submit_button(_("Validate and register"), type="primary") and upload is not None:
            name = upload.name
            raw = upload.getvalue()
            registered = attempt(lambda: services.register_questionnaire(actor_id, _yaml_text(raw, name), name))
            if registered is not None:
                _flash(
                    _("{file} is already registered (same content).", file=name)
                    if registered in known
                    else _("{file} is valid and registered.", file=name)
                )
                st.rerun()


def _yaml_text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QuestionnaireError("not UTF-8", (Problem(name, _("the file is not UTF-8 text")),)) from None


# --- rounds ------------------------------------------------------------------------------------


def _rounds(services: Services, actor_id: int) -> None:
    rounds = attempt(lambda: services.list_rounds(actor_id)) or []
    offers = attempt(lambda: services.capabilities_by_round(actor_id)) or {}
    counts = {status: sum(1 for r in rounds if r.status == status) for status in RoundStatus}
    st.caption(
        " · ".join(_("{status}: {count}", status=status.label, count=i18n.integer(n)) for status, n in counts.items())
    )
    publish_col, reopen_col = st.columns(2, gap="large")
    with publish_col, st.container(border=True):
        st.markdown(_("**Publish a submitted round**"))
        st.caption(_("Published rounds are visible to analysts and count in other health systems' benchmarks."))
        submitted = [r for r in rounds if offers.get(r.id, NOTHING).may_publish]
        if not submitted:
            st.caption(_("No round is waiting for publication."))
        else:
            chosen = st.selectbox(_("Submitted round"), submitted, format_func=round_label, key="admin-publish-round")
            if st.button(_("Publish…"), type="primary", key="admin-publish") and chosen is not None:
                st.session_state[_PUBLISH] = chosen.id
            pending = st.session_state.get(_PUBLISH)
            if chosen is not None and pending == chosen.id:
                _confirm_publish(services, actor_id, chosen)
    with reopen_col, st.container(border=True):
        st.markdown(_("**Reopen a round**"))
        st.caption(_("Moves a submitted or published round back to consensus review, so it can change again."))
        closed = [r for r in rounds if offers.get(r.id, NOTHING).may_reopen]
        if not closed:
            st.caption(_("No round is submitted or published."))
        else:
            chosen_closed = st.selectbox(_("Round"), closed, format_func=round_label, key="admin-reopen-round")
            reason = st.text_area(
                _("Reason (required)"), key="admin-reopen-reason", height=80, placeholder=_("Why is it reopened?")
            )
            if st.button(_("Reopen"), key="admin-reopen") and chosen_closed is not None:
                _done(
                    lambda: services.reopen(actor_id, chosen_closed.id, reason),
                    _("Reopened {round}.", round=round_label(chosen_closed)),
                )
    st.dataframe(_round_table(rounds), hide_index=True)


def _confirm_publish(services: Services, actor_id: int, chosen: RoundView) -> None:
    name = f"{chosen.health_system.name} ({chosen.health_system.code}) · {chosen.label}"
    st.warning(
        _(
            "Publish {round}? Analysts will see it, and it will count in other health systems' "
            "benchmarks. Only a reopening takes it back.",
            round=escape_markdown(name),
        ),
        icon=":material/publish:",
    )
    yes_col, no_col = st.columns(2)
    if yes_col.button(_("Yes, publish"), type="primary", key="admin-publish-yes", width="stretch"):
        st.session_state.pop(_PUBLISH, None)
        _done(  # its reports are made now, so that the first download is served from the cache
            lambda: publish_and_prepare(services, actor_id, chosen.id), _("Published: {round}.", round=name)
        )
    if no_col.button(_("Cancel"), key="admin-publish-no", width="stretch"):
        st.session_state.pop(_PUBLISH, None)
        st.rerun()


def _round_table(rounds: Sequence[RoundView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                _("Health system"): f"{r.health_system.name} ({r.health_system.code})",
                _("Round"): r.label,
                _("Date"): r.round_date,
                _("Status"): RoundStatus.label_of(r.status),
                _("Questionnaire"): f"{r.questionnaire_id} {r.questionnaire_version}",
                _("Last change"): r.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
                _("Id"): r.id,
            }
            for r in rounds
        ],
        columns=[
            _("Health system"),
            _("Round"),
            _("Date"),
            _("Status"),
            _("Questionnaire"),
            _("Last change"),
            _("Id"),
        ],
    )
