"""Settings: one table of (name, default, help), layered defaults < environment < flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_DB_URL = "sqlite:///policylens.db"
DEFAULT_INCLUDE = ("*.txt", "*.md", "*.html", "*.htm", "*.pdf", "*.docx")
DEFAULT_LOCK_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of PolicyLens; each field's ``help`` is in ``SETTINGS_HELP``."""

    db_url: str = DEFAULT_DB_URL
    max_file_mb: float = 50.0
    http_timeout_s: float = 20.0
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    duplicate_threshold: float = 0.6
    policy_match_threshold: float = 0.9
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S


SETTINGS_HELP: dict[str, tuple[str, str]] = {
    # name: (environment variable, help)
    "db_url": ("POLICYLENS_DB", "SQLAlchemy URL or SQLite file path of the knowledge base."),
    "max_file_mb": ("POLICYLENS_MAX_FILE_MB", "Largest input accepted, in megabytes."),
    "http_timeout_s": ("POLICYLENS_HTTP_TIMEOUT", "Seconds to wait for a URL to answer."),
    "include": ("POLICYLENS_INCLUDE", "Comma-separated globs of files taken from folders."),
    "exclude": ("POLICYLENS_EXCLUDE", "Comma-separated globs of files skipped in folders."),
    "duplicate_threshold": (
        "POLICYLENS_DUPLICATE_THRESHOLD",
        "Share (0-1) of the shorter item's character shingles found in another item for the "
        "two to be near-duplicates (one story).",
    ),
    "policy_match_threshold": (
        "POLICYLENS_POLICY_MATCH_THRESHOLD",
        "Title similarity (0-1) above which two mentions of the same region, kind and period "
        "are linked as one policy.",
    ),
    "lock_timeout_s": (
        "POLICYLENS_LOCK_TIMEOUT",
        "Seconds to wait for another process's lock on the knowledge base before giving up "
        "with a message (SQLite busy timeout, PostgreSQL lock_timeout).",
    ),
}


def normalize_db_url(value: str) -> str:
    """Return a SQLAlchemy URL; a bare path means an SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def _parse(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "float":
        return float(raw)
    if kind == "tuple[str, ...]":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Return settings from defaults, then ``env`` (os.environ), then non-None overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, (variable, _) in SETTINGS_HELP.items():
        if env.get(variable):
            values[name] = _parse(name, env[variable])
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = replace(Settings(), **values)
    return replace(settings, db_url=normalize_db_url(settings.db_url))
