"""Keeping a long run's long-lived objects out of the cyclic garbage collector's full passes.

A full collection visits every tracked object: the ~110,000 that the imported libraries and
the loaded resources make took ~60 ms a pass, and an ingest of 200 documents ran three of
them (a tenth of its time) though none of those objects ever becomes garbage. Frozen, they
are out of the collector's reach (reference counting still frees them); the collector
works on what the run itself makes.

The frozen set is the whole process's, so only a run on the main thread freezes it: runs on
other threads (a web server's uploads) could overlap, and one that froze objects after
another had given them back would leave them frozen for the life of the process.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType


class FrozenHeap:
    """While open, the objects alive when it opened (and at each ``freeze``) are out of the
    collector's reach. Closing gives them back, unless the heap was frozen already when it
    opened: a caller's freeze is left to that caller. Off the main thread it does nothing."""

    def __init__(self) -> None:
        self._active = False
        self._unfreeze = False

    def open(self) -> FrozenHeap:
        """Put the objects alive now out of the collector's reach; return this heap."""
        self._active = threading.current_thread() is threading.main_thread()
        if self._active:
            self._unfreeze = gc.get_freeze_count() == 0
            gc.freeze()
        return self

    def freeze(self) -> None:
        """Put the objects alive now out of reach too (libraries imported on first use,
        resources loaded since opening)."""
        if self._active:
            gc.freeze()

    def close(self) -> None:
        """Give the frozen objects back to the collector, if this heap froze them first."""
        if self._active and self._unfreeze:
            gc.unfreeze()
        self._active = self._unfreeze = False

    def __enter__(self) -> FrozenHeap:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the collector from running inside the block (on the main thread only: the
    switch is the whole process's), for work that makes many objects and no cycles."""
    pause = threading.current_thread() is threading.main_thread() and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.enable()


__all__ = ["FrozenHeap", "collector_paused"]
