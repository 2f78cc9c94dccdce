"""subscriptions, deliveries (outbox) and delivery items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ts = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("target_kind", sa.String(10), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("at_time", sa.String(5), nullable=True),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=True),
        sa.Column("next_run_at", ts(), nullable=True),
        sa.Column("last_run_at", ts(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_next_run_at"), "subscriptions", ["next_run_at"])
    op.create_index("ix_subscriptions_channel", "subscriptions", ["platform", "workspace", "channel"])
    op.create_index(
        "uq_subscriptions_channel_target", "subscriptions",
        ["platform", "workspace", "channel", "target_kind", "target"], unique=True,
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ts(), nullable=False),
        sa.Column("lease_until", ts(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("sent_at", ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deliveries_idempotency_key")),
    )
    op.create_index("ix_deliveries_state_next", "deliveries", ["state", "next_attempt_at"])
    op.create_index("ix_deliveries_channel", "deliveries", ["platform", "workspace", "channel"])
    op.create_table(
        "delivery_items",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel_key", sa.String(230), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_delivery_items_delivery_id_deliveries"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_delivery_items_item_id_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("delivery_id", "item_id", name=op.f("pk_delivery_items")),
    )
    op.create_index("uq_delivery_items_channel_item", "delivery_items", ["channel_key", "item_id"], unique=True)


def downgrade() -> None:
    op.drop_table("delivery_items")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
