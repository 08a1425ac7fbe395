"""The HTTP API (FastAPI): :func:`create_app` builds one app per service instance."""

from spotarb.api.app import create_app

__all__ = ["create_app"]
