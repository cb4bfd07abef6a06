"""Options shared by several commands (light: importing this module must not open or import the database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from b1mg_maturity.settings import Settings

DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: B1MG_DATABASE_URL or the SQLite file).")
]

__all__ = ["DatabaseOption", "configured_database_url", "settings"]


def settings() -> Settings:
    """The settings (``B1MG_...`` environment variables): the one place the CLI reads them."""
    from b1mg_maturity.settings import get_settings

    return get_settings()


def configured_database_url(given: str | None) -> str:
    """The ``--database-url`` given, else the configured one."""
    return given or settings().database_url
