"""Pages anyone can open: the board (or a welcome page), sign-up, log-in, log-out."""

from __future__ import annotations

from example_app.controllers.html import html_errors, local_path, read_form
from example_app.domain.errors import InvalidCredentials, UsernameTaken
from example_app.domain.identity import SignedInUser
from example_app.domain.schemas import LoginIn, UserIn
from example_app.services.projects import ProjectService
from example_app.services.users import UserService
from example_app.web.auth import sign_in, sign_out
from example_app.web.csrf import CSRF_FIELD, verify_csrf_token
from framework.controllers import controller, get, post
from framework.requests import Request
from framework.responses import RedirectResponse, Response
from framework.templating import Jinja2Templates

__all__ = ["AccountPageController"]


@controller(tags=["pages"])
class AccountPageController:
    """The public pages; forms post back to the same path and show their errors in place."""

    def __init__(self, users: UserService, projects: ProjectService, templates: Jinja2Templates) -> None:
        self._users = users
        self._projects = projects
        self.templates = templates

    @get("/", include_in_schema=False)
    async def show_board(self, request: Request) -> Response:
        user = request.scope.get("user")
        projects = []
        if isinstance(user, SignedInUser):
            items, _ = await self._projects.list_projects(user, limit=100, offset=0, order="name")
            projects = list(items)
        return self.templates.TemplateResponse(request, "board.html", {"projects": projects})

    @get("/signup", include_in_schema=False)
    async def show_signup(self, request: Request) -> Response:
        return self.templates.TemplateResponse(request, "signup.html", {"values": {}, "errors": {}})

    @post("/signup", include_in_schema=False)
    @html_errors
    async def submit_signup(self, request: Request) -> Response:
        values, data, errors = await read_form(request, UserIn)
        if data is not None:
            try:
                user = await self._users.sign_up(data)
            except UsernameTaken as error:
                errors = {"username": error.detail or "Taken."}
            else:
                sign_in(request, user)
                return RedirectResponse(request.url_for("show_board"), status_code=303)
        context = {"values": values, "errors": errors}
        return self.templates.TemplateResponse(request, "signup.html", context, status_code=422)

    @get("/login", include_in_schema=False)
    async def show_login(self, request: Request) -> Response:
        context = {"values": {}, "errors": {}, "next_url": local_path(request.query_params.get("next"))}
        return self.templates.TemplateResponse(request, "login.html", context)

    @post("/login", include_in_schema=False)
    @html_errors
    async def submit_login(self, request: Request) -> Response:
        values, data, errors = await read_form(request, LoginIn)
        next_field = (await request.form()).get("next")  # the form is parsed once; this is the cached copy
        next_url = local_path(next_field if isinstance(next_field, str) else None)
        if data is not None:
            try:
                user = await self._users.authenticate(data)
            except InvalidCredentials as error:
                errors = {"__all__": error.detail or "Invalid credentials."}
            else:
                sign_in(request, user)
                return RedirectResponse(next_url, status_code=303)
        context = {"values": values, "errors": errors, "next_url": next_url}
        return self.templates.TemplateResponse(request, "login.html", context, status_code=422)

    @post("/logout", include_in_schema=False)
    @html_errors
    async def submit_logout(self, request: Request) -> Response:
        verify_csrf_token(request, (await request.form()).get(CSRF_FIELD))
        sign_out(request)
        return RedirectResponse(request.url_for("show_board"), status_code=303)
