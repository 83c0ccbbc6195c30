"""The web app: a REST API (``/api``, schema at ``/openapi.json``) and server-rendered pages.

>>> from policylens.serve import create_app
>>> app = create_app()            # the configured knowledge base (POLICYLENS_DB)

Run it with ``policylens serve`` (127.0.0.1:8000 by default).
"""

from __future__ import annotations

from policylens.serve.app import create_app

__all__ = ["create_app"]
