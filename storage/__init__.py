"""Persistence: SQLAlchemy models, the engine factory, migrations and repositories.

The bot's core talks to storage only through the repository classes here.
"""
