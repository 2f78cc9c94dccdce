"""Reading the project's own YAML data files (theme file, fact file) with one clear error."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

# The C parser when PyYAML was built with it: the theme and fact files are read at every start.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(yaml.YAMLError):
    pass


class _Loader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Refuses a key written twice in one mapping: YAML would keep the later value silently,
    so a phrase added while tuning could quietly replace the weight written for it earlier."""

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in seen:
                    raise _DuplicateKey(f"line {key_node.start_mark.line + 1}: {key!r} is written twice "
                                        "in the same block (the later one would silently replace the first)")
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, what: str) -> tuple[Any, str]:
    """The parsed document and the sha256 of its bytes (to notice edits); ConfigError naming `what`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read ({exc.strerror or exc})") from exc
    try:
        data = yaml.load(raw, Loader=_Loader)
    except _DuplicateKey as exc:
        raise ConfigError(f"{what} {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path}: not valid YAML ({exc})") from exc
    return data, hashlib.sha256(raw).hexdigest()
