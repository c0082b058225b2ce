"""JSON sign-up, sign-in and sign-out for API clients; they share the session cookie with the pages."""

from __future__ import annotations

from example_app.domain.errors import SignInRequired
from example_app.domain.identity import SignedInUser
from example_app.domain.schemas import LoginIn, UserIn, UserOut
from example_app.services.users import UserService
from example_app.web.auth import sign_in, sign_out
from framework.controllers import controller, get, post
from framework.requests import Request

__all__ = ["AuthController"]


@controller("/api/auth", tags=["auth"])
class AuthController:
    """Accounts over JSON."""

    def __init__(self, users: UserService) -> None:
        self._users = users

    @post("/signup", status_code=201, summary="Create an account and sign in")
    async def sign_up(self, data: UserIn, request: Request) -> UserOut:
        user = await self._users.sign_up(data)
        sign_in(request, user)
        return UserOut.model_validate(user)

    @post("/login", summary="Sign in")
    async def log_in(self, data: LoginIn, request: Request) -> UserOut:
        user = await self._users.authenticate(data)
        sign_in(request, user)
        return UserOut.model_validate(user)

    @post("/logout", status_code=204, summary="Sign out")
    async def log_out(self, request: Request) -> None:
        sign_out(request)

    @get("/me", summary="The signed-in user")
    async def get_me(self, request: Request) -> UserOut:
        user = request.scope.get("user")
        if not isinstance(user, SignedInUser):
            raise SignInRequired()
        return UserOut(id=user.id, username=user.username)
