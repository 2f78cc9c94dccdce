"""feeds, items, item sources and item themes

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ts = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("poll_minutes", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("etag", sa.String(500), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=True),
        sa.Column("last_status", sa.String(20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_warning", sa.Text(), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", ts(), nullable=True),
        sa.Column("last_ok_at", ts(), nullable=True),
        sa.Column("next_poll_at", ts(), nullable=True),
        sa.Column("created_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feeds")),
        sa.UniqueConstraint("url", name=op.f("uq_feeds_url")),
    )
    op.create_index(op.f("ix_feeds_next_poll_at"), "feeds", ["next_poll_at"])
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(80), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("author", sa.String(300), nullable=True),
        sa.Column("published_at", ts(), nullable=False),
        sa.Column("date_is_fallback", sa.Boolean(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("first_seen_at", ts(), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("stance", sa.String(20), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("classifier_version", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("identity", name=op.f("uq_items_identity")),
    )
    op.create_index(op.f("ix_items_published_at"), "items", ["published_at"])
    op.create_index(op.f("ix_items_first_seen_at"), "items", ["first_seen_at"])
    op.create_index(op.f("ix_items_relevant"), "items", ["relevant"])
    op.create_table(
        "item_sources",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(2000), nullable=True),
        sa.Column("seen_at", ts(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_item_sources_item_id_items"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name=op.f("fk_item_sources_feed_id_feeds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "feed_id", name=op.f("pk_item_sources")),
    )
    op.create_index(op.f("ix_item_sources_feed_id"), "item_sources", ["feed_id"])
    op.create_table(
        "item_themes",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("published_at", ts(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_item_themes_item_id_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "theme", name=op.f("pk_item_themes")),
    )
    op.create_index("ix_item_themes_theme_published", "item_themes", ["theme", "published_at"])


def downgrade() -> None:
    op.drop_table("item_themes")
    op.drop_table("item_sources")
    op.drop_table("items")
    op.drop_table("feeds")
