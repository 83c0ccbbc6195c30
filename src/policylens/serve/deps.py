"""What every route needs: the app's state, the write token check and page parameters."""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from policylens.config import Settings
from policylens.resources import Resources, load_resources
from policylens.store import Store

TOKEN_VARIABLE = "POLICYLENS_TOKEN"
MAX_PAGE = 200  # rows per page of a list endpoint
MAX_OFFSET = 1_000_000


@dataclass(slots=True)
class ServeState:
    """The settings a server runs with, its write token (None: writes are open) and resources."""

    settings: Settings
    token: str | None = None
    _resources: list[Resources] = field(default_factory=list)
    _stores: list[Store] = field(default_factory=list)

    @property
    def db(self) -> str:
        """Return the database URL the API functions are given."""
        return self.settings.db_url

    def resources(self) -> Resources:
        """Return the rule data (loaded once, on first use)."""
        if not self._resources:
            self._resources.append(load_resources())
        return self._resources[0]

    def store(self) -> Store:
        """Return the store searches read (opened once: its connections and page cache stay
        warm between requests, where opening one per search cost a cold cache each time)."""
        if not self._stores:
            self._stores.append(Store(self.settings.db_url, self.settings.lock_timeout_s))
        return self._stores[0]

    def close(self) -> None:
        """Release the store's connections."""
        while self._stores:
            self._stores.pop().close()


def token_from_environment() -> str | None:
    """Return POLICYLENS_TOKEN, or None when it is unset or empty."""
    return os.environ.get(TOKEN_VARIABLE) or None


def get_state(request: Request) -> ServeState:
    """Return the state create_app() stored on the app."""
    state: ServeState = request.app.state.policylens
    return state


State = Annotated[ServeState, Depends(get_state)]

_bearer = HTTPBearer(
    auto_error=False,
    description=f"Needed for writes when the server has a token ({TOKEN_VARIABLE}).",
)


def require_token(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse a write without the server's token (when it has one): 401."""
    if state.token is None:
        return
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode("utf-8"), state.token.encode("utf-8")):
        raise HTTPException(
            status_code=401,
            detail=f"this server needs its token for writes: send 'Authorization: Bearer …' "
            f"with the value of {TOKEN_VARIABLE}",
            headers={"WWW-Authenticate": "Bearer"},
        )


WriteAccess = Depends(require_token)


@dataclass(frozen=True, slots=True)
class Paging:
    """A page of a list: at most ``limit`` rows after skipping ``offset``."""

    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
) -> Paging:
    """Return the page asked for (FastAPI checks the bounds: 422 outside them)."""
    return Paging(limit, offset)


Page = Annotated[Paging, Depends(paging)]
