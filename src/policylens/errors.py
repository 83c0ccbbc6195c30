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

    def __reduce__(self) -> tuple[type[IngestError], tuple[str, str]]:
        # Worker processes send it back pickled: by default an exception is rebuilt from
        # its message alone, which this constructor does not take.
        return type(self), (self.source, self.problem)


class StoreError(PolicyLensError):
    """The database could not be opened or written."""


class DatabaseUnavailableError(StoreError):
    """The whole knowledge base refuses work now (not one input): a command stops at once."""


class DatabaseLockedError(DatabaseUnavailableError):
    """Another process held a lock on the knowledge base for longer than the lock timeout."""


class DiskFullError(DatabaseUnavailableError):
    """The disk under the knowledge base is full; the unfinished write was rolled back."""


class ReadOnlyDatabaseError(DatabaseUnavailableError):
    """The knowledge base can be read but not written by this user."""


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
