"""Digests: compose (platform-neutral), schedule, and deliver through the outbox."""
