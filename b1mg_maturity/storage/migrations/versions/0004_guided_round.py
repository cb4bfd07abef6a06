"""guided round: round periods, experts' finished step, reset links, the mail outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A round gets a period (a year, optionally a half) and an optional free label;
``label`` stays the round's unique name, composed from both for new rounds.
An invited expert may mark their part finished.  Password-reset links are
stored as hashes only.  E-mails are written to an outbox in the transaction of
the action that causes them, and delivered after it commits.

Only columns are added (never a copy of a table): on SQLite, dropping a copied
``rounds`` table would cascade to every rating of every round.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rounds", sa.Column("period_year", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("rounds", sa.Column("period_half", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("rounds", sa.Column("free_label", sa.String(length=80), nullable=False, server_default=""))
    rounds = sa.table("rounds", sa.column("id", sa.Integer()), sa.column("round_date", sa.Date()),
                      sa.column("period_year", sa.Integer()))
    connection = op.get_bind()
    for round_id, round_date in connection.execute(sa.select(rounds.c.id, rounds.c.round_date)).all():
        year = round_date.year if hasattr(round_date, "year") else int(str(round_date)[:4])
        connection.execute(rounds.update().where(rounds.c.id == round_id).values(period_year=year))
    op.add_column("round_experts", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index("ix_password_resets_user", "password_resets", ["user_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("health_system_id", sa.Integer(), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_sent_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_password_resets_user", table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_column("round_experts", "finished_at")
    op.drop_column("rounds", "free_label")
    op.drop_column("rounds", "period_half")
    op.drop_column("rounds", "period_year")
