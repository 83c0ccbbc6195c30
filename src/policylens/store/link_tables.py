"""Tables of the link stage (registered on the shared declarative Base)."""

from __future__ import annotations

from policylens.store.schema import Base

__all__ = ["Base"]
