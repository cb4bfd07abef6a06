"""Accounts and health systems: ``users add|list|set-role|set-password|deactivate|activate|end-sessions``
and ``systems add|list``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from b1mg_maturity.cli.options import DatabaseOption
from b1mg_maturity.cli.output import new_table, out, run_safely, say
from b1mg_maturity.domain import GlobalRole, SystemRole
from b1mg_maturity.i18n import _, _n

users = typer.Typer(help="Accounts and their roles.", no_args_is_help=True)
systems = typer.Typer(help="Health systems (ISO 3166 countries and regions).", no_args_is_help=True)

GLOBAL_ROLES = tuple(role.value for role in GlobalRole)
SYSTEM_ROLES = tuple(role.value for role in SystemRole)


def _password(given: str | None) -> str:
    if given:
        return given
    first = getpass.getpass(_("Password (at least 10 characters): "))
    if getpass.getpass(_("Repeat the password: ")) != first:
        raise typer.BadParameter(_("the two passwords differ"))
    return first


@users.command("add")
def add_user(
    username: str,
    role: Annotated[
        str, typer.Option(help="none, admin or analyst; or coordinator/expert/viewer with --system")
    ] = GlobalRole.NONE.value,
    system: Annotated[str | None, typer.Option(help="Health system code for a coordinator/expert/viewer role.")] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the app.")] = "",
    email: Annotated[str | None, typer.Option(help="E-mail (for single sign-on matching).")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password; asked for when not given (avoid passwords in shell history).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an account."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        services = operator_services(database_url)
        global_role = role if role in GLOBAL_ROLES else GlobalRole.NONE.value
        if role not in GLOBAL_ROLES and role not in SYSTEM_ROLES:
            raise typer.BadParameter(_("role must be one of {roles}", roles=", ".join(GLOBAL_ROLES + SYSTEM_ROLES)))
        if role in SYSTEM_ROLES and not system:
            raise typer.BadParameter(_("a {role} belongs to a health system: add --system CODE", role=role))
        user = services.add_user(
            OPERATOR_ID, username, _password(password), display_name=display_name, email=email, global_role=global_role
        )
        if role in SYSTEM_ROLES and system:
            services.grant(OPERATOR_ID, user.username, system, role)
        if system:
            say(
                out,
                _("added {username} ({role} of {system})", username=user.username, role=role, system=system.upper()),
            )
        else:
            say(out, _("added {username} ({role})", username=user.username, role=role))

    run_safely(body)


@users.command("list")
def list_users(database_url: DatabaseOption = None) -> None:
    """List accounts with their roles."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        table = new_table(_("username"), _("name"), _("global role"), _("health-system roles"))
        for user in operator_services(database_url).list_users(OPERATOR_ID):
            roles = ", ".join(_("{role} of {code}", role=role, code=code) for code, role in user.memberships)
            table.add_row(user.username, user.display_name, user.global_role, roles or "-")
        out.print(table)

    run_safely(body)


@users.command("set-role")
def set_role(
    username: str,
    role: Annotated[str, typer.Argument(help="none, admin, analyst, or coordinator/expert/viewer with --system")],
    system: Annotated[str | None, typer.Option(help="Health system code for a per-system role.")] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove the per-system role instead.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Change a user's global role, or give (or --revoke) a role in a health system."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        services = operator_services(database_url)
        if role in GLOBAL_ROLES:
            services.set_global_role(OPERATOR_ID, username, role)
            say(out, _("{username}: global role {role}", username=username, role=role))
            return
        if role not in SYSTEM_ROLES or not system:
            raise typer.BadParameter(_("a per-system role needs --system CODE (coordinator, expert or viewer)"))
        if revoke:
            services.revoke(OPERATOR_ID, username, system, role)
            say(out, _("{username}: no longer {role} of {system}", username=username, role=role, system=system.upper()))
        else:
            services.grant(OPERATOR_ID, username, system, role)
            say(out, _("{username}: {role} of {system}", username=username, role=role, system=system.upper()))

    run_safely(body)


@users.command("set-password")
def set_password(
    username: str,
    password: Annotated[
        str | None, typer.Option(help="New password; asked for when not given (avoid passwords in shell history).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Give a user a new password; every session of theirs ends (they sign in again everywhere)."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        operator_services(database_url).change_password(OPERATOR_ID, username, _password(password))
        say(out, _("new password set for {username}; their sessions have ended", username=username.strip().lower()))

    run_safely(body)


@users.command("deactivate")
def deactivate(username: str, database_url: DatabaseOption = None) -> None:
    """Stop an account from signing in; every session of theirs ends at once. Its history is kept."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        operator_services(database_url).set_active(OPERATOR_ID, username, False)
        say(out, _("{username} is deactivated; their sessions have ended", username=username.strip().lower()))

    run_safely(body)


@users.command("activate")
def activate(username: str, database_url: DatabaseOption = None) -> None:
    """Let a deactivated account sign in again (no old session comes back)."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        operator_services(database_url).set_active(OPERATOR_ID, username, True)
        say(out, _("{username} is active again", username=username.strip().lower()))

    run_safely(body)


@users.command("end-sessions")
def end_sessions(username: str, database_url: DatabaseOption = None) -> None:
    """Sign a user out everywhere (for example after a lost laptop): every session of theirs ends."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        ended = operator_services(database_url).end_sessions(OPERATOR_ID, username)
        say(
            out,
            _n(
                "ended {n} session of {username}",
                "ended {n} sessions of {username}",
                ended,
                username=username.strip().lower(),
            ),
        )

    run_safely(body)


@systems.command("add")
def add_system(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 (DE) or ISO 3166-2 region (ES-CT).")],
    database_url: DatabaseOption = None,
) -> None:
    """Add a health system; its name comes from the ISO standard."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        system = operator_services(database_url).add_health_system(OPERATOR_ID, code)
        say(out, _("added {code}: {name} ({kind})", code=system.code, name=system.name, kind=system.kind))

    run_safely(body)


@systems.command("list")
def list_systems(database_url: DatabaseOption = None) -> None:
    """List health systems."""

    def body() -> None:
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services

        table = new_table("code", "name", "kind", "demo")
        for system in operator_services(database_url).list_health_systems(OPERATOR_ID):
            table.add_row(system.code, system.name, system.kind, "yes" if system.is_demo else "")
        out.print(table)

    run_safely(body)
