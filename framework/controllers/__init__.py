"""Class-based controllers: `@controller` on a class, route decorators on its methods.

The decorators only attach metadata; `framework.bootstrap.create_app` compiles the classes it is given into
toolkit routes and creates a controller per request from the container.
"""

from __future__ import annotations

from framework.controllers.decorators import controller, delete, get, head, options, patch, post, put, route, websocket

__all__ = ["controller", "delete", "get", "head", "options", "patch", "post", "put", "route", "websocket"]
