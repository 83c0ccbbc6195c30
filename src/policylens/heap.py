"""Keeping a long run's long-lived objects out of the cyclic garbage collector's full passes.

A full collection visits every tracked object: the ~110,000 that the imported libraries and
the loaded resources make took ~60 ms a pass, and an ingest of 200 documents ran three of
them (a tenth of its time) though none of those objects ever becomes garbage. Frozen, they
are out of the collector's reach (reference counting still frees them); the collector
works on what the run itself makes.
"""

from __future__ import annotations

import gc
from types import TracebackType


class FrozenHeap:
    """While open, the objects alive when it opened (and at each ``freeze``) are out of the
    collector's reach. Closing gives them back, unless the heap was frozen already when it
    opened: a caller's freeze is left to that caller."""

    def __init__(self) -> None:
        self._unfreeze = False

    def open(self) -> FrozenHeap:
        """Put the objects alive now out of the collector's reach; return this heap."""
        self._unfreeze = gc.get_freeze_count() == 0
        gc.freeze()
        return self

    def close(self) -> None:
        """Give the frozen objects back to the collector, if this heap froze them first."""
        if self._unfreeze:
            gc.unfreeze()
            self._unfreeze = False

    def __enter__(self) -> FrozenHeap:
        return self.open()

    def freeze(self) -> None:
        """Put the objects alive now out of reach too (libraries imported on first use,
        resources loaded since opening)."""
        gc.freeze()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["FrozenHeap"]
