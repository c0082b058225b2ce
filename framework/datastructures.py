"""Value types for requests and responses: URL, headers, query strings, forms, uploads, app state.

These sit on the request hot path, so the scope-backed ones keep ASGI's raw data and build
Python objects only when a caller asks for them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, MutableMapping, Sequence, ValuesView
from shlex import shlex
from typing import IO, Any, NamedTuple, TypeVar, overload
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from framework._utils import parse_host_header
from framework.concurrency import run_in_threadpool
from framework.types import Scope

__all__ = [
    "URL",
    "Address",
    "CommaSeparatedStrings",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MultiDict",
    "MutableHeaders",
    "QueryParams",
    "Secret",
    "State",
    "URLPath",
    "UploadFile",
]


class Address(NamedTuple):
    host: str
    port: int


_KeyType = TypeVar("_KeyType")
# Mapping keys are invariant but values are covariant, like typing.Mapping.
_CovariantValueType = TypeVar("_CovariantValueType", covariant=True)
_DefaultType = TypeVar("_DefaultType")

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# Characters of a raw path that urlsplit would read as the start of a query or fragment (or that
# browsers treat as "/"): escaped so that the URL keeps the path the server actually received.
_PATH_ESCAPES = str.maketrans({"?": "%3F", "#": "%23", "\\": "%5C"})

# Schemes urlsplit hands back exactly as given; any other one goes through urlsplit itself.
_PLAIN_SCHEMES = frozenset(("http", "https", "ws", "wss"))
# Server hosts that form a netloc urlsplit reads back unchanged (IPv6 addresses are accepted separately).
_PLAIN_SERVER_HOST = re.compile(r"[A-Za-z0-9._-]+")
# Servers report the same address on every request: remember the verdict for a few of them.
_plain_server_hosts: dict[str, bool] = {}
_PLAIN_SERVER_HOSTS_MAX = 64
# A server hands every request on a connection the same address tuple: the last plain one is known at a glance.
_last_plain_server: tuple[str, int | None] | None = None

# A site sees a handful of Host values over and over: remember each one's verdict (valid authority or None).
# Bounded in entries and key length (a DNS name is at most 253 characters), as clients choose these bytes.
_host_authorities: dict[bytes, str | None] = {}
_HOST_CACHE_MAX = 256
_HOST_CACHE_KEY_MAX = 260

# What `URL(scope=...)` keeps of the scope: scheme, path, query string, Host header, server address.
_ScopeParts = tuple[Any, str, bytes, "bytes | None", Any]


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _header_authority(host_header: bytes | None) -> str | None:
    """The Host header when it is a valid authority (an attacker-chosen one must not move host or path)."""
    if host_header is None:
        return None
    authority = _host_authorities.get(host_header, "")  # "" never is a valid authority: not seen yet.
    if authority == "":
        parsed = parse_host_header(host_header.decode("latin-1"))
        authority = parsed.authority if parsed is not None and parsed.is_valid_port else None
        if len(host_header) <= _HOST_CACHE_KEY_MAX:
            if len(_host_authorities) >= _HOST_CACHE_MAX:
                # Clients choose these values: start over rather than grow or keep stale junk forever.
                _host_authorities.clear()
            _host_authorities[host_header] = authority
    return authority


def _server_netloc(server: Any, scheme: str) -> str:
    host, port = server
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # An IPv6 address needs brackets inside a URL.
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return str(host)
    return f"{host}:{port}"


def _is_plain_server(server: Any) -> bool:
    """Whether the server address gives a netloc that urlsplit would read back exactly as written."""
    global _last_plain_server
    if server is _last_plain_server:
        return True
    host, port = server
    if type(host) is not str or (port is not None and type(port) is not int):
        return False
    plain = _plain_server_hosts.get(host)
    if plain is None:
        plain = _PLAIN_SERVER_HOST.fullmatch(host) is not None or _is_ipv6(host)
        if len(_plain_server_hosts) < _PLAIN_SERVER_HOSTS_MAX:
            _plain_server_hosts[host] = plain
    if plain and type(server) is tuple:  # Immutable (a str and an int or None): the verdict cannot go stale.
        _last_plain_server = server
    return plain


def _decode_query(query_string: bytes) -> str:
    # Query strings should be ASCII, but servers pass raw bytes through; never fail on them.
    try:
        return query_string.decode()
    except UnicodeDecodeError:
        return query_string.decode("latin-1")


def _url_from_parts(parts: _ScopeParts) -> str:
    scheme, path, query_string, host_header, server = parts
    path = path.translate(_PATH_ESCAPES)
    netloc = _header_authority(host_header)
    if netloc is None and server is not None:
        netloc = _server_netloc(server, scheme)
    if netloc is not None:
        if path and not path.startswith("/"):
            # "@evil.com" or "http://x" must stay in the path, not extend the authority.
            path = "/" + path
        url = f"{scheme}://{netloc}{path}"
    elif path.startswith("//"):
        # With no authority in front, "//x" would itself be read as one.
        url = "/%2F" + path[2:]
    else:
        url = path
    if query_string:
        url += "?" + _decode_query(query_string)
    return url


# The fast paths below give exactly what urlsplit would read from `_url_from_parts`, without building and
# parsing that string. They apply when urlsplit would change nothing: a plain scheme, an authority that is
# known to be there and plain, no tab/CR/LF (urlsplit deletes them) and no "#" in the query (a fragment).
# Anything else returns None and the caller falls back to urlsplit.


def _has_plain_authority(parts: _ScopeParts) -> bool:
    # With a plain server address the netloc is that or a validated Host header: present and plain either way.
    server = parts[4]
    return parts[0] in _PLAIN_SCHEMES and server is not None and _is_plain_server(server)


def _plain_scope_path(parts: _ScopeParts) -> str | None:
    """`_has_plain_authority(parts)` and `_plain_path(parts[1])` in one call: `URL.path` is on the hot path."""
    scheme, path, _, _, server = parts
    if scheme not in _PLAIN_SCHEMES or server is None:
        return None
    if server is not _last_plain_server and not _is_plain_server(server):
        return None
    return _plain_path(path)


def _plain_path(path: str) -> str | None:
    """The path as urlsplit reads it back from a URL with an authority."""
    if "\t" in path or "\r" in path or "\n" in path:
        return None
    if "?" in path or "#" in path or "\\" in path:
        path = path.translate(_PATH_ESCAPES)
    if path and path[0] != "/":
        path = "/" + path
    return path


def _plain_query(query_string: bytes) -> str | None:
    if not query_string:
        return ""
    query = _decode_query(query_string)
    if "#" in query or "\t" in query or "\r" in query or "\n" in query:
        return None
    return query


def _split_parts(parts: _ScopeParts) -> SplitResult | None:
    """The components of `_url_from_parts(parts)`, built directly; None when only urlsplit can tell."""
    scheme, path, query_string, host_header, server = parts
    if scheme not in _PLAIN_SCHEMES:
        return None
    netloc = _header_authority(host_header)  # Validated: always plain.
    if netloc is None:
        if server is None or not _is_plain_server(server):
            return None
        netloc = _server_netloc(server, scheme)
    plain_path = _plain_path(path)
    query = _plain_query(query_string)
    if plain_path is None or query is None:
        return None
    return SplitResult(scheme, netloc, plain_path, query, "")


class URL:
    """An absolute or relative URL, parsed lazily; built from a string, an ASGI scope or components.

    Built from a scope, it keeps the parts it needs and answers `path`, `scheme` and `query` from them:
    the full string is only assembled when asked for (str, equality, hashing, a new URL).
    """

    __slots__ = ("_components", "_parts", "_url")

    _components: SplitResult | None
    _parts: _ScopeParts | None
    _url: str | None

    def __init__(self, url: str = "", scope: Scope | None = None, **components: Any) -> None:
        self._components = None
        if scope is not None:
            assert not url, 'Cannot set both "url" and "scope".'
            assert not components, 'Cannot set both "scope" and "**components".'
            # Taken now, so the URL describes the request as it was when built even if a layer edits the scope.
            scheme = scope.get("scheme", "http")
            server = scope.get("server")
            path = scope["path"]
            query_string = scope.get("query_string", b"")
            host: bytes | None = None
            for key, value in scope["headers"]:
                if key == b"host":
                    host = value
                    break
            self._parts = (scheme, path, query_string, host, server)
            self._url = None
            return
        self._parts = None
        if components:
            assert not url, 'Cannot set both "url" and "**components".'
            url = URL("").replace(**components).components.geturl()
        self._url = url

    @property
    def components(self) -> SplitResult:
        components = self._components
        if components is None:
            parts = self._parts
            if parts is not None:
                components = _split_parts(parts)
            if components is None:
                components = urlsplit(str(self))
            self._components = components
        return components

    @property
    def scheme(self) -> str:
        parts = self._parts
        if parts is not None and self._components is None and _has_plain_authority(parts):
            scheme: str = parts[0]
            return scheme
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        parts = self._parts
        if parts is not None and self._components is None:
            path = _plain_scope_path(parts)
            if path is not None:
                return path
        return self.components.path

    @property
    def query(self) -> str:
        parts = self._parts
        if parts is not None and self._components is None and _has_plain_authority(parts):
            query = _plain_query(parts[2])
            if query is not None:
                return query
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def replace(self, **kwargs: Any) -> URL:
        """Return a copy with some components changed (scheme, netloc, path, query, fragment,
        or the netloc parts username, password, hostname, port)."""
        if "username" in kwargs or "password" in kwargs or "hostname" in kwargs or "port" in kwargs:
            kwargs["netloc"] = self._build_netloc(kwargs)
        components = self.components._replace(**kwargs)
        return self.__class__(components.geturl())

    def _build_netloc(self, kwargs: dict[str, Any]) -> str:
        hostname = kwargs.pop("hostname", None)
        port = kwargs.pop("port", self.port)
        username = kwargs.pop("username", self.username)
        password = kwargs.pop("password", self.password)

        if hostname is None:
            # Keep the current host exactly as written (case, IPv6 brackets), minus userinfo and port.
            _, _, hostname = self.netloc.rpartition("@")
            if hostname and hostname[-1] != "]":
                hostname = hostname.rsplit(":", 1)[0]
        elif ":" in hostname and not hostname.startswith("[") and _is_ipv6(hostname):
            # A bare IPv6 address (as `.hostname` returns it) goes back inside brackets.
            hostname = f"[{hostname}]"

        netloc = str(hostname)
        if port is not None:
            netloc += f":{port}"
        if username is not None:
            userpass = str(username)
            if password is not None:
                userpass += f":{password}"
            netloc = f"{userpass}@{netloc}"
        return netloc

    def include_query_params(self, **kwargs: Any) -> URL:
        params = MultiDict(parse_qsl(self.query, keep_blank_values=True))
        params.update({str(key): str(value) for key, value in kwargs.items()})
        return self.replace(query=urlencode(params.multi_items()))

    def replace_query_params(self, **kwargs: Any) -> URL:
        return self.replace(query=urlencode([(str(key), str(value)) for key, value in kwargs.items()]))

    def remove_query_params(self, keys: str | Sequence[str]) -> URL:
        if isinstance(keys, str):
            keys = [keys]
        params = MultiDict(parse_qsl(self.query, keep_blank_values=True))
        for key in keys:
            params.pop(key, None)
        return self.replace(query=urlencode(params.multi_items()))

    def __eq__(self, other: Any) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        url = self._url
        if url is None:
            assert self._parts is not None
            url = self._url = _url_from_parts(self._parts)
        return url

    def __repr__(self) -> str:
        url = str(self)
        if self.password:
            url = str(self.replace(password="********"))
        return f"{self.__class__.__name__}({url!r})"


class URLPath(str):
    """A path produced by `url_path_for`, carrying the protocol and host it must be served on.

    `make_absolute_url` turns it into a full URL against the request's base URL.
    """

    protocol: str
    host: str

    def __new__(cls, path: str, protocol: str = "", host: str = "") -> URLPath:
        assert protocol in ("http", "websocket", "")
        # A backslash or a leading "//" would let a browser read the path as another host.
        path = path.replace("\\", "%5C")
        if path.startswith("//"):
            path = "/%2F" + path[2:]
        return str.__new__(cls, path)

    def __init__(self, path: str, protocol: str = "", host: str = "") -> None:
        self.protocol = protocol
        self.host = host

    def make_absolute_url(self, base_url: str | URL) -> URL:
        if isinstance(base_url, str):
            base_url = URL(base_url)
        if self.protocol == "http":
            scheme = "https" if base_url.is_secure else "http"
        elif self.protocol == "websocket":
            scheme = "wss" if base_url.is_secure else "ws"
        else:
            scheme = base_url.scheme
        netloc = self.host or base_url.netloc
        path = base_url.path.rstrip("/") + str(self)
        return URL(scheme=scheme, netloc=netloc, path=path)


class Secret:
    """A string (password, key) whose repr does not leak it into logs and tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)


class CommaSeparatedStrings(Sequence[str]):
    """A comma-separated setting ("a, b, 'c, d'") as a sequence; quotes protect commas."""

    def __init__(self, value: str | Sequence[str]) -> None:
        if isinstance(value, str):
            splitter = shlex(value, posix=True)
            splitter.whitespace = ","
            splitter.whitespace_split = True
            self._items = [item.strip() for item in splitter]
        else:
            self._items = list(value)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int | slice) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({list(self)!r})"

    def __str__(self) -> str:
        return ", ".join(repr(item) for item in self)


def _multi_items_equal(left: list[tuple[Any, Any]], right: list[tuple[Any, Any]]) -> bool:
    """Equal when each key has the same values in the same order; the order between keys does not matter."""
    if len(left) != len(right):
        return False
    # A stable sort on the key alone keeps each key's values in their original order.
    return sorted(left, key=_item_key) == sorted(right, key=_item_key)


def _item_key(item: tuple[Any, Any]) -> Any:
    return item[0]


def _keep_get_consistent(cls: type) -> None:
    """Give `Mapping.get` back to a subclass that redefines `__getitem__`, so `get` still goes through it.

    The classes below define `get` directly (no `__getitem__` call, no KeyError raised for a missing key),
    which would otherwise bypass a subclass's own lookup.
    """
    if "__getitem__" in cls.__dict__ and "get" not in cls.__dict__:
        setattr(cls, "get", Mapping.get)  # noqa: B010 (mypy refuses a direct assignment to a method)


class ImmutableMultiDict(Mapping[_KeyType, _CovariantValueType]):
    """A read-only mapping where a key may repeat; `[key]` gives the last value, `getlist` all."""

    __slots__ = ("_dict", "_list")

    _dict: dict[_KeyType, _CovariantValueType]
    _list: list[tuple[_KeyType, _CovariantValueType]]

    def __init__(
        self,
        *args: ImmutableMultiDict[_KeyType, _CovariantValueType]
        | Mapping[_KeyType, _CovariantValueType]
        | Iterable[tuple[_KeyType, _CovariantValueType]],
        **kwargs: Any,
    ) -> None:
        assert len(args) < 2, "Too many arguments."
        value: Any = args[0] if args else []
        if kwargs:
            value = ImmutableMultiDict(value).multi_items() + ImmutableMultiDict(kwargs).multi_items()

        if not value:
            items: list[tuple[Any, Any]] = []
        elif hasattr(value, "multi_items"):
            items = list(value.multi_items())
        elif hasattr(value, "items"):
            items = list(value.items())
        else:
            items = list(value)

        self._dict = dict(items)
        self._list = items

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _keep_get_consistent(cls)

    @overload
    def get(self, key: _KeyType, /) -> _CovariantValueType | None: ...
    @overload
    def get(self, key: _KeyType, default: _CovariantValueType, /) -> _CovariantValueType: ...  # type: ignore[misc]
    @overload
    def get(self, key: _KeyType, default: _DefaultType, /) -> _CovariantValueType | _DefaultType: ...
    def get(self, key: Any, default: Any = None) -> Any:
        return self._dict.get(key, default)

    def getlist(self, key: Any) -> list[_CovariantValueType]:
        return [item_value for item_key, item_value in self._list if item_key == key]

    def keys(self) -> KeysView[_KeyType]:
        return self._dict.keys()

    def values(self) -> ValuesView[_CovariantValueType]:
        return self._dict.values()

    def items(self) -> ItemsView[_KeyType, _CovariantValueType]:
        return self._dict.items()

    def multi_items(self) -> list[tuple[_KeyType, _CovariantValueType]]:
        return list(self._list)

    def __getitem__(self, key: _KeyType) -> _CovariantValueType:
        return self._dict[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[_KeyType]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, self.__class__):
            return False
        return _multi_items_equal(self._list, other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.multi_items()!r})"


class MultiDict(ImmutableMultiDict[Any, Any]):
    """The mutable multi-dict: assignment replaces all values of a key, `append` adds one."""

    __slots__ = ()

    def __setitem__(self, key: Any, value: Any) -> None:
        self.setlist(key, [value])

    def __delitem__(self, key: Any) -> None:
        self._list = [(k, v) for k, v in self._list if k != key]
        del self._dict[key]

    def pop(self, key: Any, default: Any = None) -> Any:
        self._list = [(k, v) for k, v in self._list if k != key]
        return self._dict.pop(key, default)

    def popitem(self) -> tuple[Any, Any]:
        key, value = self._dict.popitem()
        self._list = [(k, v) for k, v in self._list if k != key]
        return key, value

    def poplist(self, key: Any) -> list[Any]:
        values = [v for k, v in self._list if k == key]
        self.pop(key)
        return values

    def clear(self) -> None:
        self._dict.clear()
        self._list.clear()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self._dict[key] = default
            self._list.append((key, default))
        return self[key]

    def setlist(self, key: Any, values: list[Any]) -> None:
        if not values:
            self.pop(key, None)
            return
        self._list = [(k, v) for k, v in self._list if k != key]
        self._list.extend((key, value) for value in values)
        self._dict[key] = values[-1]

    def append(self, key: Any, value: Any) -> None:
        self._list.append((key, value))
        self._dict[key] = value

    def update(
        self,
        *args: MultiDict | Mapping[Any, Any] | list[tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        value = MultiDict(*args, **kwargs)
        new_keys = value.keys()
        self._list = [(k, v) for k, v in self._list if k not in new_keys]
        self._list.extend(value.multi_items())
        self._dict.update(value)


def _parse_query(query: str) -> list[tuple[str, str]]:
    """`parse_qsl(query, keep_blank_values=True)`, several times faster when there is nothing to unquote."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    return _split_query(query)


def _split_query(query: str) -> list[tuple[str, str]]:
    # What parse_qsl gives for a query without "%" or "+": fields split on "&", empty ones skipped.
    items = []
    for field in query.split("&"):
        if field:
            name, _, value = field.partition("=")
            items.append((name, value))
    return items


class QueryParams(ImmutableMultiDict[str, str]):
    """An immutable multi-dict of query string parameters.

    Built from a raw query string (str or bytes): a plain one is split at once, one with escapes to
    decode is parsed on first use only. Malformed percent-escapes decode leniently instead of raising.
    """

    __slots__ = ("_raw",)

    def __init__(
        self,
        *args: ImmutableMultiDict[Any, Any] | Mapping[Any, Any] | list[tuple[Any, Any]] | str | bytes,
        **kwargs: Any,
    ) -> None:
        assert len(args) < 2, "Too many arguments."
        value: Any = args[0] if args else []
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str) and not kwargs:
            if not value:
                self._list = []
                self._dict = {}
            elif "%" in value or "+" in value:
                self._raw = value  # unquoting costs: parsed by __getattr__ when _list/_dict is first read
            else:
                # Nothing to unquote: splitting now is cheaper than the lazy path's first read.
                items = _split_query(value)
                self._list = items
                self._dict = dict(items)
            return
        if isinstance(value, str):
            super().__init__(_parse_query(value), **kwargs)
        else:
            super().__init__(value, **kwargs)
        self._list = [(str(k), str(v)) for k, v in self._list]
        self._dict = {str(k): str(v) for k, v in self._dict.items()}

    def __getattr__(self, name: str) -> Any:
        # Only reached while the `_list`/`_dict` slots are still empty.
        if name in ("_list", "_dict"):
            try:
                raw = object.__getattribute__(self, "_raw")
            except AttributeError:
                raw = ""
            items = _parse_query(raw)
            self._list = items
            self._dict = dict(items)
            return object.__getattribute__(self, name)
        raise AttributeError(f"'{self.__class__.__name__}' object has no attribute '{name}'")

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str(self)!r})"


class UploadFile:
    """An uploaded file: a spooled temporary file plus its name, size and part headers.

    The async methods run in the thread pool once the file has rolled over to disk, so a large
    upload never blocks the event loop; in-memory files are handled inline (cheaper).
    """

    def __init__(
        self,
        file: IO[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.filename = filename
        self.file = file
        self.size = size
        self.headers = headers or Headers()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type", None)

    @property
    def _in_memory(self) -> bool:
        # SpooledTemporaryFile sets `_rolled` once it moves to disk; other file objects count as on disk.
        rolled_to_disk = getattr(self.file, "_rolled", True)
        return not rolled_to_disk

    def _will_roll(self, extra: int) -> bool:
        """Whether writing `extra` bytes touches the disk (already rolled over, or about to)."""
        if not self._in_memory:
            return True
        max_size: int = getattr(self.file, "_max_size", 0)
        return bool(max_size) and self.file.tell() + extra > max_size

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        # The write that makes a SpooledTemporaryFile roll over copies everything to disk: not on the loop.
        if self._will_roll(len(data)):
            await run_in_threadpool(self.file.write, data)
        else:
            self.file.write(data)

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(filename={self.filename!r}, size={self.size!r}, headers={self.headers!r})"


class FormData(ImmutableMultiDict[str, "UploadFile | str"]):
    """Parsed form fields; file fields are UploadFile instances that `close()` releases."""

    __slots__ = ()

    def __init__(
        self,
        *args: FormData | Mapping[str, str | UploadFile] | list[tuple[str, str | UploadFile]],
        **kwargs: str | UploadFile,
    ) -> None:
        super().__init__(*args, **kwargs)

    async def close(self) -> None:
        for _, value in self.multi_items():
            if isinstance(value, UploadFile):
                await value.close()


def _encode_key(key: str) -> bytes:
    return key.lower().encode("latin-1")


# Code looks up the same few names ("content-type", "Accept") on every request: keep them encoded.
# Bounded, as a caller might look up names taken from the request itself.
_lookup_keys: dict[str, bytes] = {}
_LOOKUP_KEYS_MAX = 256


def _lookup_key(key: str) -> bytes:
    """`_encode_key(key)`, remembered; callers try `_lookup_keys[key]` first."""
    encoded = key.lower().encode("latin-1")
    if type(key) is str:
        if len(_lookup_keys) >= _LOOKUP_KEYS_MAX:
            _lookup_keys.clear()
        _lookup_keys[key] = encoded
    return encoded


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only HTTP headers backed by ASGI's raw `[(name, value)]` byte list.

    Built from a scope it only keeps a reference to that list; lookups decode on demand.
    """

    __slots__ = ("_list",)

    _list: list[tuple[bytes, bytes]]

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: list[tuple[bytes, bytes]] | None = None,
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        if scope is not None and headers is None and raw is None:
            raw_headers = scope["headers"]
            # The scope may hold a tuple or another iterable; share one list with it from now on.
            if type(raw_headers) is not list:
                raw_headers = scope["headers"] = list(raw_headers)
            self._list = raw_headers
            return
        self._list = []
        if headers is not None:
            assert raw is None, 'Cannot set both "headers" and "raw".'
            assert scope is None, 'Cannot set both "headers" and "scope".'
            self._list = [(_encode_key(key), value.encode("latin-1")) for key, value in headers.items()]
        elif raw is not None:
            assert scope is None, 'Cannot set both "raw" and "scope".'
            self._list = raw

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _keep_get_consistent(cls)

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1") for key, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self._list]

    def getlist(self, key: str) -> list[str]:
        try:
            wanted = _lookup_keys[key]
        except (KeyError, TypeError):
            wanted = _lookup_key(key)
        return [value.decode("latin-1") for name, value in self._list if name == wanted]

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=self._list[:])

    def __getitem__(self, key: str) -> str:
        try:
            wanted = _lookup_keys[key]
        except (KeyError, TypeError):
            wanted = _lookup_key(key)
        for name, value in self._list:
            if name == wanted:
                return value.decode("latin-1")
        raise KeyError(key)

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: _DefaultType, /) -> str | _DefaultType: ...
    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get, without raising and catching a KeyError for every absent header.
        try:
            wanted = _lookup_keys[key]
        except (KeyError, TypeError):
            wanted = _lookup_key(key)
        for name, value in self._list:
            if name == wanted:
                return value.decode("latin-1")
        return default

    def __contains__(self, key: Any) -> bool:
        if not isinstance(key, str):
            return False
        try:
            wanted = _lookup_keys[key]
        except KeyError:
            try:
                wanted = _lookup_key(key)
            except UnicodeEncodeError:
                return False
        for name, _ in self._list:  # noqa: SIM110 (a plain loop: any() and its generator cost more here)
            if name == wanted:
                return True
        return False

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Headers):
            return False
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{self.__class__.__name__}({as_dict!r})"
        return f"{self.__class__.__name__}(raw={self.raw!r})"


_FORBIDDEN_VALUE_CHARS = re.compile(r"[\r\n\x00]")


def _encode_value(value: str) -> bytes:
    # A CR/LF in a header value would let a caller (often echoing client input) split the response.
    if _FORBIDDEN_VALUE_CHARS.search(value):
        raise ValueError("Header values must not contain CR, LF or NUL characters.")
    return value.encode("latin-1")


class MutableHeaders(Headers):
    """Headers that can be changed in place, e.g. a response's headers from inside middleware."""

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        """Set the header to this single value, dropping any other occurrence of it."""
        set_key = _encode_key(key)
        set_value = _encode_value(value)
        found = [idx for idx, (name, _) in enumerate(self._list) if name == set_key]
        for idx in reversed(found[1:]):
            del self._list[idx]
        if found:
            self._list[found[0]] = (set_key, set_value)
        else:
            self._list.append((set_key, set_value))

    def __delitem__(self, key: str) -> None:
        """Remove every occurrence of the header (nothing happens if it is absent)."""
        del_key = _encode_key(key)
        found = [idx for idx, (name, _) in enumerate(self._list) if name == del_key]
        for idx in reversed(found):
            del self._list[idx]

    def __ior__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        self.update(other)
        return self

    def __or__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        new = self.mutablecopy()
        new.update(other)
        return new

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def setdefault(self, key: str, value: str) -> str:
        """Return the header's value, setting it to `value` first if it is absent."""
        set_key = _encode_key(key)
        for name, existing in self._list:
            if name == set_key:
                return existing.decode("latin-1")
        self._list.append((set_key, _encode_value(value)))
        return value

    def update(self, other: Mapping[str, str]) -> None:
        for key, value in other.items():
            self[key] = value

    def append(self, key: str, value: str) -> None:
        """Add one more occurrence of the header (e.g. another set-cookie)."""
        self._list.append((_encode_key(key), _encode_value(value)))

    def add_vary_header(self, vary: str) -> None:
        # Folds every existing Vary line into one, so values sent on separate lines are not lost.
        self["vary"] = ", ".join([*self.getlist("vary"), vary])


class State:
    """Arbitrary values by attribute or by key, e.g. `app.state.db` or `request.state["user"]`.

    Backed by a plain dict (the ASGI scope's "state" for requests), which is shared, not copied.
    """

    _state: dict[str, Any]

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        if state is None:
            state = {}
        object.__setattr__(self, "_state", state)  # Not through our __setattr__; cheaper than super().

    def __setattr__(self, key: Any, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: Any) -> Any:
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(f"'{self.__class__.__name__}' object has no attribute '{key}'") from None

    def __delattr__(self, key: Any) -> None:
        del self._state[key]

    # Item access mirrors attribute access; it lets lifespan state be typed with a TypedDict.
    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._state

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)
