"""Options shared by several commands (light: importing this module must not open or import the database)."""

from __future__ import annotations

from typing import Annotated

import typer

DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL (default: B1MG_DATABASE_URL or the SQLite file).")
]

__all__ = ["DatabaseOption", "configured_database_url"]


def configured_database_url(given: str | None) -> str:
    """The ``--database-url`` given, else the configured one: the one place the CLI reads the settings."""
    from b1mg_maturity.settings import get_settings

    return given or get_settings().database_url
