"""Serve files from directories (or packages) as an ASGI app, with conditional requests and ranges.

The request path is resolved against each directory and the result must stay inside it (after
resolving symlinks unless ``follow_symlink=True``), so no spelling of ``..``, an absolute path or a
symlink can reach a file outside the root: such requests get the same 404 as a missing file.
Every filesystem call runs in a worker thread.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import stat
from email.utils import parsedate
from typing import TypeAlias

import anyio.to_thread

from framework._utils import get_route_path
from framework.datastructures import URL, Headers
from framework.exceptions import HTTPException
from framework.responses import FileResponse, RedirectResponse, Response
from framework.types import Receive, Scope, Send
from framework.websockets import WebSocketClose

__all__ = ["NotModifiedResponse", "PathLike", "StaticFiles"]

PathLike: TypeAlias = str | os.PathLike[str]

# OS errors that mean "this path cannot name a servable file" rather than a server fault.
_NOT_FOUND_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL})


class NotModifiedResponse(Response):
    """A 304 carrying only the validator and caching headers of the response it replaces."""

    NOT_MODIFIED_HEADERS = ("cache-control", "content-location", "date", "etag", "expires", "vary")

    def __init__(self, headers: Headers) -> None:
        super().__init__(
            status_code=304,
            headers={name: value for name, value in headers.items() if name in self.NOT_MODIFIED_HEADERS},
        )


class StaticFiles:
    """An ASGI app answering GET and HEAD with the files under ``directory`` and ``packages``.

    A WebSocket handshake that reaches it is closed (code 1000): there is nothing to stream.
    """

    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        self.directory = directory
        self.packages = packages
        self.all_directories = self.get_directories(directory, packages)
        self.html = html
        self.config_checked = False
        self.follow_symlink = follow_symlink
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(f"Directory '{directory}' does not exist")

    def get_directories(
        self,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
    ) -> list[PathLike]:
        """Every directory to search, in order: ``directory`` first, then each package's statics folder."""
        directories: list[PathLike] = []
        if directory is not None:
            directories.append(directory)
        for package in packages or []:
            package_name, statics_dir = package if isinstance(package, tuple) else (package, "statics")
            spec = importlib.util.find_spec(package_name)
            assert spec is not None, f"Package {package_name!r} could not be found."
            assert spec.origin is not None, f"Package {package_name!r} could not be found."
            package_directory = os.path.normpath(os.path.join(spec.origin, "..", statics_dir))
            assert os.path.isdir(package_directory), (
                f"Directory '{statics_dir!r}' in package {package_name!r} could not be found."
            )
            directories.append(package_directory)
        return directories

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        assert scope["type"] == "http"
        if not self.config_checked:
            await self.check_config()
            self.config_checked = True
        path = self.get_path(scope)
        response = await self.get_response(path, scope)
        await response(scope, receive, send)

    def get_path(self, scope: Scope) -> str:
        """The request path as a relative OS path with ``.`` and ``..`` segments collapsed.

        A leading ``..`` can survive; :meth:`lookup_path` refuses anything that resolves outside a root.
        """
        route_path = get_route_path(scope)
        return os.path.normpath(os.path.join(*route_path.split("/")))

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})

        full_path, stat_result = await self._lookup(path)
        if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
            return self.file_response(full_path, stat_result, scope)

        if stat_result is not None and stat.S_ISDIR(stat_result.st_mode) and self.html:
            full_path, stat_result = await self._lookup(os.path.join(path, "index.html"))
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                if not scope["path"].endswith("/"):
                    # Relative links in the index page only resolve if the directory URL ends in "/".
                    url = URL(scope=scope)
                    return RedirectResponse(url=url.replace(path=url.path + "/"))
                return self.file_response(full_path, stat_result, scope)

        if self.html:
            full_path, stat_result = await self._lookup("404.html")
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                return FileResponse(full_path, stat_result=stat_result, status_code=404)
        raise HTTPException(status_code=404)

    async def _lookup(self, path: str) -> tuple[str, os.stat_result | None]:
        try:
            return await anyio.to_thread.run_sync(self.lookup_path, path)
        except PermissionError:
            raise HTTPException(status_code=401) from None
        except ValueError:
            # An embedded NUL byte or a similar path the OS cannot even represent.
            raise HTTPException(status_code=404) from None
        except OSError as exc:
            if exc.errno in _NOT_FOUND_ERRNOS:
                raise HTTPException(status_code=404) from None
            raise

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """Find ``path`` under the first directory that has it; ``("", None)`` when none does.

        Blocking: call it from a worker thread.
        """
        if "\x00" in path or os.path.isabs(path):
            return "", None
        for directory in self.all_directories:
            joined_path = os.path.join(directory, path)
            if self.follow_symlink:
                full_path, root = os.path.abspath(joined_path), os.path.abspath(directory)
            else:
                full_path, root = os.path.realpath(joined_path), os.path.realpath(directory)
            # commonpath compares whole components: "/static-secret" is not inside "/static".
            if os.path.commonpath([full_path, root]) != root:
                continue
            try:
                return full_path, os.stat(full_path)
            except (FileNotFoundError, NotADirectoryError):
                continue
        return "", None

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response

    async def check_config(self) -> None:
        """Fail loudly on a missing or wrong ``directory`` instead of answering 404 forever."""
        if self.directory is None:
            return
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.directory)
        except FileNotFoundError:
            raise RuntimeError(f"StaticFiles directory '{self.directory}' does not exist.") from None
        if not (stat.S_ISDIR(stat_result.st_mode) or stat.S_ISLNK(stat_result.st_mode)):
            raise RuntimeError(f"StaticFiles path '{self.directory}' is not a directory.")

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        """Whether the client's cached copy is current, so a 304 can replace the body.

        ``If-None-Match`` takes precedence: when present, ``If-Modified-Since`` is ignored (RFC 9110).
        """
        if_none_match = request_headers.get("if-none-match")
        if if_none_match:
            # "*" matches any current file, but only as the whole field value, never as a list member.
            if if_none_match.strip(" \t") == "*":
                return True
            etag = response_headers["etag"]
            tags = [_strip_weak(tag) for tag in if_none_match.split(",")]
            return _strip_weak(etag) in tags
        if_modified_since = request_headers.get("if-modified-since")
        last_modified = response_headers.get("last-modified")
        if not if_modified_since or not last_modified:
            return False
        since, modified = parsedate(if_modified_since), parsedate(last_modified)
        return since is not None and modified is not None and since[:6] >= modified[:6]


def _strip_weak(tag: str) -> str:
    tag = tag.strip(" \t")
    return tag[2:] if tag.startswith("W/") else tag
