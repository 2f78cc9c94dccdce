"""Errors that carry a message meant for the person at the keyboard."""


class BriefbotError(Exception):
    """Base for errors the CLI reports as one clear line, without a traceback."""


class ConfigError(BriefbotError):
    """A settings value or a configuration file is wrong."""


class DatabaseUnavailable(BriefbotError):
    """The configured database cannot be reached or opened."""
