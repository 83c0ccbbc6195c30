"""Named exceptions. Each carries what a user needs to fix the input."""

from __future__ import annotations


class PolicyLensError(Exception):
    """Base class for errors PolicyLens reports to the user without a traceback."""


class IngestError(PolicyLensError):
    """A source could not be read; ``source`` names it, ``problem`` says why."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class StoreError(PolicyLensError):
    """The database could not be opened or written."""


class NotFoundError(PolicyLensError):
    """A document or item asked for by id or name does not exist (or is ambiguous)."""


class MissingFontError(PolicyLensError):
    """A chart needs a font with Chinese glyphs and none is installed (the message says which)."""


class ExchangeError(PolicyLensError):
    """An export could not be written or an import file could not be loaded (and nothing was)."""


class CorrectionError(PolicyLensError):
    """A merge or split of policies cannot be done as asked (the message says why)."""


class SearchError(PolicyLensError):
    """A search cannot be run as asked: an empty query, a bad date or page (the message says)."""
