"""Alembic migrations of the knowledge base schema (run by Store when a database opens)."""
