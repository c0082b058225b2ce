"""Who is making a request: the signed-in user as the session cookie names them."""

from __future__ import annotations

from dataclasses import dataclass

from framework.authentication import BaseUser

__all__ = ["SignedInUser"]


@dataclass(frozen=True, slots=True)
class SignedInUser(BaseUser):
    """A user whose id and name come from the signed session cookie; no database read per request."""

    id: int
    username: str

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return str(self.id)
