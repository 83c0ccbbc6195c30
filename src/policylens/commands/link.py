"""Commands over linked policies: policies, policy, merge, split."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""
