"""briefbot: a Slack and Discord briefing bot for US–China AI-safety diplomacy."""

__version__ = "0.1.0"
USER_AGENT = f"briefbot/{__version__} (+https://github.com/briefbot/briefbot; feed reader)"
