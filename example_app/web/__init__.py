"""HTTP plumbing of the app that is not a controller: authentication, CSRF defence, templates."""

from __future__ import annotations

__all__: list[str] = []
