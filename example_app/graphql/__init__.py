"""The task board's GraphQL API (`/graphql`): a Strawberry schema over the same services as the JSON API."""

from __future__ import annotations

from example_app.graphql.schema import schema

__all__ = ["schema"]
