"""Tables. Schema changes go through Alembic migrations in storage/migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    poll_minutes: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str | None] = mapped_column(String(500))

    # Conditional GET and change detection.
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body_sha256: Mapped[str | None] = mapped_column(String(64))

    # Health: what the last poll did and when the next one is due.
    last_status: Mapped[str | None] = mapped_column(String(20))  # ok | not_modified | error
    last_error: Mapped[str | None] = mapped_column(Text)
    last_warning: Mapped[str | None] = mapped_column(Text)
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable identity across polls and feeds: canonical link, else feed-scoped guid, else content.
    identity: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime] = mapped_column(index=True)
    date_is_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    content_sha256: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Classification (bot/classify): filled at ingest, refreshed by `briefbot reclassify`.
    relevant: Mapped[bool | None] = mapped_column(Boolean, index=True)
    themes: Mapped[list[Any] | None]
    scores: Mapped[dict[str, Any] | None]
    stance: Mapped[str | None] = mapped_column(String(20))
    evidence: Mapped[list[Any] | None]
    classifier_version: Mapped[str | None] = mapped_column(String(40))

    sources: Mapped[list["ItemSource"]] = relationship(back_populates="item", cascade="all, delete-orphan")


class ItemSource(Base):
    """Which feeds carried an item: one article in two feeds is one item with two rows here."""

    __tablename__ = "item_sources"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, index=True)
    guid: Mapped[str | None] = mapped_column(String(2000))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship(back_populates="sources")


class ItemTheme(Base):
    """One row per (item, theme) the classifier assigned, for fast per-theme queries."""

    __tablename__ = "item_themes"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    published_at: Mapped[datetime]

    __table_args__ = (Index("ix_item_themes_theme_published", "theme", "published_at"),)


class Subscription(Base):
    """A chat channel's standing order: a theme or keyword, on a schedule or as instant alerts."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(100))
    target_kind: Mapped[str] = mapped_column(String(10))  # theme | keyword
    target: Mapped[str] = mapped_column(String(100))  # theme id, or the keyword as typed
    mode: Mapped[str] = mapped_column(String(10))  # daily | weekly | instant
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday (weekly only)
    at_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" local (daily, weekly)
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    min_score: Mapped[float | None] = mapped_column(Float)  # instant alerts: only items scoring at least this
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    last_run_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_subscriptions_channel", "platform", "workspace", "channel"),
        Index("uq_subscriptions_channel_target", "platform", "workspace", "channel", "target_kind", "target", unique=True),
    )


class Delivery(Base):
    """The outbox: one row per digest or alert, written before anything is sent."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # digest | alert
    payload: Mapped[dict[str, Any]]  # Reply.to_dict()
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]  # a 'sending' row whose lease ran out was abandoned by a crash
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_deliveries_state_next", "state", "next_attempt_at"),
        Index("ix_deliveries_channel", "platform", "workspace", "channel"),
    )


class DeliveryItem(Base):
    """Which items a delivery carried: an item reaches a channel at most once."""

    __tablename__ = "delivery_items"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    channel_key: Mapped[str] = mapped_column(String(230))  # "platform/workspace/channel"

    __table_args__ = (Index("uq_delivery_items_channel_item", "channel_key", "item_id", unique=True),)
# --- Fact base (bot/facts): loaded from the curated file at start ---------------------------


class FactSource(Base):
    """An essay or document facts are taken from: what a citation names."""

    __tablename__ = "fact_sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer)
    side: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2000))


class FactEntity(Base):
    """A named organisation, person, agreement or proposal, with the aliases users type for it."""

    __tablename__ = "fact_entities"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Fact(Base):
    """One cited claim. `num` is the full-text index's row id; `id` is the stable public id."""

    __tablename__ = "facts"

    num: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the file
    claim: Mapped[str] = mapped_column(Text)
    quote_text: Mapped[str | None] = mapped_column(Text)
    quote_speaker: Mapped[str | None] = mapped_column(String(200))
    quote_role: Mapped[str | None] = mapped_column(String(300))
    quote_where: Mapped[str | None] = mapped_column(String(300))
    date: Mapped[str | None] = mapped_column(String(10), index=True)  # YYYY, YYYY-MM or YYYY-MM-DD
    event: Mapped[bool] = mapped_column(Boolean, default=False)
    source_id: Mapped[str] = mapped_column(ForeignKey("fact_sources.id"))
    themes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    side: Mapped[str | None] = mapped_column(String(20))
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # What full-text search weighs most: id words, entity names and aliases, keywords, speaker.
    search_head: Mapped[str] = mapped_column(Text, default="")


class FactBaseState(Base):
    """Which fact file was loaded last (its hash), so an unchanged file costs nothing at start."""

    __tablename__ = "fact_base_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
