"""The database as the command line sees it: migrated on open, used as the operator."""

from __future__ import annotations

from b1mg_maturity.cli.options import configured_database_url, settings
from b1mg_maturity.services import OPERATOR_ID, Services
from b1mg_maturity.storage.database import Database
from b1mg_maturity.storage.migrate import upgrade_to_head

__all__ = ["OPERATOR_ID", "operator_services"]


def operator_services(database_url: str | None = None) -> Services:
    """Services over the configured database (``B1MG_DATABASE_URL``), brought to the newest schema."""
    db = Database(configured_database_url(database_url))
    upgrade_to_head(db.engine)
    return Services(db, operator=True, settings=settings())
