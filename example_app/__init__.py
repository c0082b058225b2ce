"""Team task board: the example application built on `framework`.

Layers, outermost first: `controllers` (HTTP, HTML, WebSocket) -> `services` (business rules) ->
`repositories` (queries) -> `domain` (ORM models, schemas, errors). `container.py` wires them;
`app.py` builds the ASGI application.
"""

from __future__ import annotations

__all__: list[str] = []
