"""action plans: a health system's actions, the indicators each serves, and its opt-in to being named as a peer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "health_systems", sa.Column("named_as_peer", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "health_system_id",
            sa.Integer(),
            sa.ForeignKey("health_systems.id", ondelete="CASCADE", name="fk_actions_health_system_id_health_systems"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column(
            "owner_user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_actions_owner_user_id_users"),
            nullable=True,
        ),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("drop_reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column(
            "proposed_by",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_actions_proposed_by_users"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status in ('proposed', 'planned', 'in_progress', 'done', 'dropped')", name=op.f("ck_actions_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index("ix_actions_health_system", "actions", ["health_system_id"])
    op.create_table(
        "action_aims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "action_id",
            sa.Integer(),
            sa.ForeignKey("actions.id", ondelete="CASCADE", name="fk_action_aims_action_id_actions"),
            nullable=False,
        ),
        sa.Column("indicator_id", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("action_id", "indicator_id", name="uq_action_aims_action_indicator"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_aims")),
    )


def downgrade() -> None:
    op.drop_table("action_aims")
    op.drop_index("ix_actions_health_system", table_name="actions")
    op.drop_table("actions")
    op.drop_column("health_systems", "named_as_peer")  # never a batch copy: it would cascade to rounds
