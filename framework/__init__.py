"""framework: a Starlette-compatible ASGI toolkit with a dependency-injected application layer.

Importing the package is cheap on purpose: it loads no toolkit module, no SQLAlchemy,
pydantic or Strawberry. Import what you use from its submodules.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
