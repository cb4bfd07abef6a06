"""user language: the language each person chose for the app, the PDF and e-mails to them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

NULL means "the browser's language" (and English where the browser asks for none we ship).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "language")  # never a batch copy of users: it would cascade to memberships
