"""Reading the project's own YAML data files (theme file, fact file) with one clear error."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

# The C parser when PyYAML was built with it: the theme and fact files are read at every start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, what: str) -> tuple[Any, str]:
    """The parsed document and the sha256 of its bytes (to notice edits); ConfigError naming `what`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read ({exc.strerror or exc})") from exc
    try:
        data = yaml.load(raw, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path}: not valid YAML ({exc})") from exc
    return data, hashlib.sha256(raw).hexdigest()
