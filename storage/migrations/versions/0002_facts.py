"""fact base: sources, entities, facts and their full-text index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

SQLite gets an FTS5 table (kept in step by the loader, which owns all writes);
PostgreSQL a generated, weighted tsvector column with a GIN index.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ts = storage.types.UTCDateTime

# Weights: A = id words, entity names/aliases, keywords, speaker; B = claim; C = quote.
PG_SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(search_head, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(claim, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(quote_text, '') || ' ' || coalesce(quote_role, '') || ' ' || coalesce(quote_where, '')), 'C')"
)


def upgrade() -> None:
    op.create_table(
        "fact_sources",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(100), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(20), nullable=True),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_sources")),
    )
    op.create_table(
        "fact_entities",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_entities")),
    )
    op.create_table(
        "facts",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("quote_text", sa.Text(), nullable=True),
        sa.Column("quote_speaker", sa.String(200), nullable=True),
        sa.Column("quote_role", sa.String(300), nullable=True),
        sa.Column("quote_where", sa.String(300), nullable=True),
        sa.Column("date", sa.String(10), nullable=True),
        sa.Column("event", sa.Boolean(), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("side", sa.String(20), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("search_head", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["fact_sources.id"], name=op.f("fk_facts_source_id_fact_sources")),
        sa.PrimaryKeyConstraint("num", name=op.f("pk_facts")),
        sa.UniqueConstraint("id", name=op.f("uq_facts_id")),
    )
    op.create_index(op.f("ix_facts_date"), "facts", ["date"])
    op.create_table(
        "fact_base_state",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("loaded_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_fact_base_state")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # Porter stemming so "talks" finds "talk"; rowid = facts.num.
        op.execute(
            "CREATE VIRTUAL TABLE facts_fts USING fts5("
            "head, claim, quote, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    elif dialect == "postgresql":
        op.execute(f"ALTER TABLE facts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_SEARCH_VECTOR}) STORED")
        op.execute("CREATE INDEX ix_facts_search_vector ON facts USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS facts_fts")
    op.drop_table("fact_base_state")
    op.drop_index(op.f("ix_facts_date"), table_name="facts")
    op.drop_table("facts")
    op.drop_table("fact_entities")
    op.drop_table("fact_sources")
