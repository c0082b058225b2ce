"""Streaming parsers for ``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies.

Both parsers consume the request body chunk by chunk and enforce their limits while streaming,
so a hostile body fails as soon as it crosses a limit instead of after it has been buffered.
Uploaded files are spooled to memory and roll over to a temporary file; once on disk, every
write happens in a worker thread so the event loop never blocks on the filesystem.
"""

from __future__ import annotations

import codecs
import re
import warnings
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from enum import Enum, EnumMeta
from tempfile import SpooledTemporaryFile
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import unquote_plus, unquote_to_bytes

import anyio
import anyio.to_thread
import python_multipart as multipart
from python_multipart.exceptions import FormParserError

from framework.datastructures import FormData, Headers, UploadFile
from framework.exceptions import StarletteDeprecationWarning

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks, QuerystringCallbacks

__all__ = ["FormMessage", "FormParser", "MultiPartException", "MultiPartParser"]


class _DeprecatedEnumType(EnumMeta):
    """Warn when the enum is looked up by value; nothing in the parsers uses it any more."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"`{cls.__name__}` is deprecated and will be removed in a future version.",
            category=StarletteDeprecationWarning,
            stacklevel=2,
        )
        return super().__call__(*args, **kwargs)


class FormMessage(Enum, metaclass=_DeprecatedEnumType):
    FIELD_START = 1
    FIELD_NAME = 2
    FIELD_DATA = 3
    FIELD_END = 4
    END = 5


class MultiPartException(Exception):
    """A form body broke the rules or a limit; ``message`` is safe to show to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _user_safe_decode(src: bytes | bytearray, codec: str) -> str:
    # A client-chosen charset may be unknown or wrong: fall back to latin-1, which never fails.
    try:
        return src.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return src.decode("latin-1")


def _part_too_large(max_part_size: int) -> MultiPartException:
    return MultiPartException(f"Part exceeded maximum size of {int(max_part_size / 1024)}KB.")


def _field_too_large(max_part_size: int) -> MultiPartException:
    return MultiPartException(f"Field exceeded maximum size of {int(max_part_size / 1024)}KB.")


def _resolve_charset(charset: str) -> str:
    # Looked up once per body: an unknown charset is not cached by `codecs`, so decoding every part
    # with it would repeat the (failing) codec search. Unknown charsets read as latin-1.
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "latin-1"


def _too_many_fields(max_fields: int | float) -> MultiPartException:
    return MultiPartException(f"Too many fields. Maximum number of fields is {max_fields}.")


# Header parameter parsing. Every pattern below consumes what it scans and none of them can
# backtrack over its own input, so a megabyte of hostile parameters parses in linear time.
_PARAM_KEY = re.compile(r"[ \t;]*([^=;]*)")
_QUOTED_VALUE = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"?[^;]*', re.DOTALL)
_TOKEN_VALUE = re.compile(r"[^;]*")


def _unquote_header_value(value: str) -> str:
    return value.replace("\\\\", "\\").replace('\\"', '"')


def _decode_extended_value(value: str) -> str:
    """Decode an RFC 5987 ``charset'language'percent-encoded`` value."""
    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    return _user_safe_decode(unquote_to_bytes(encoded), charset or "utf-8")


def _parse_options_header(value: str | bytes | None) -> tuple[bytes, dict[bytes, bytes]]:
    """Split ``type; key=value; key="quoted"`` into the lower-cased type and its parameters.

    Keys are lower-cased. ``filename*`` (RFC 5987) is kept, decoded to UTF-8, under
    ``b"filename*"`` so a caller can fall back to it when the plain ``filename`` is absent.
    """
    if not value:
        return b"", {}
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    main, sep, _ = value.partition(";")
    content_type = main.strip(" \t").lower().encode("latin-1")
    options: dict[bytes, bytes] = {}
    position, end = len(main) + len(sep), len(value)
    while position < end:
        key_match = _PARAM_KEY.match(value, position)
        assert key_match is not None  # the pattern matches the empty string
        key = key_match.group(1).strip(" \t").lower()
        position = key_match.end()
        if position >= end or value[position] != "=":
            continue
        position += 1
        while position < end and value[position] in " \t":
            position += 1
        quoted = _QUOTED_VALUE.match(value, position) if position < end and value[position] == '"' else None
        if quoted is not None:
            raw, position = _unquote_header_value(quoted.group(1)), quoted.end()
        else:
            token = _TOKEN_VALUE.match(value, position)
            assert token is not None
            raw, position = token.group(0).strip(" \t"), token.end()
        _store_option(options, key, raw)
    return content_type, options


def _store_option(options: dict[bytes, bytes], key: str, raw: str) -> None:
    if key == "filename*":
        options[b"filename*"] = _decode_extended_value(raw).encode("utf-8")
        return
    if not key or "*" in key:
        # RFC 7578 forbids other extended parameters in form data; the plain key stays authoritative.
        return
    if key == "filename" and (raw[1:3] == ":\\" or raw[:2] == "\\\\"):
        # Old browsers send the client's full Windows path: keep the file name only.
        raw = raw.rsplit("\\", 1)[-1]
    options[key.encode("latin-1")] = raw.encode("latin-1")


def _decode_form_value(raw: bytearray) -> str:
    return unquote_plus(raw.decode("utf-8", errors="replace"))


class FormParser:
    """Parse an ``application/x-www-form-urlencoded`` body into :class:`FormData`.

    The number of fields and the combined size of each field's name and value are limited, so a
    huge body cannot be turned into an unbounded number or size of strings.
    """

    def __init__(
        self,
        headers: Headers,
        stream: AsyncIterable[bytes],
        *,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> None:
        self.headers = headers
        self.stream = stream
        self.max_fields = max_fields
        self.max_part_size = max_part_size
        self.items: list[tuple[str, str | UploadFile]] = []
        self._current_fields = 0
        self._current_field_size = 0
        self._field_name = bytearray()
        self._field_value = bytearray()

    def on_field_start(self) -> None:
        self._current_field_size = 0
        self._field_name = bytearray()
        self._field_value = bytearray()

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self._grow(end - start)
        self._field_name += data[start:end]

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self._grow(end - start)
        self._field_value += data[start:end]

    def on_field_end(self) -> None:
        self._current_fields += 1
        if self._current_fields > self.max_fields:
            raise _too_many_fields(self.max_fields)
        self.items.append((_decode_form_value(self._field_name), _decode_form_value(self._field_value)))

    def on_end(self) -> None:
        pass

    def _grow(self, size: int) -> None:
        # Checked before buffering: the limit holds even when one chunk carries the whole body.
        self._current_field_size += size
        if self._current_field_size > self.max_part_size:
            raise _field_too_large(self.max_part_size)

    async def parse(self) -> FormData:
        callbacks: QuerystringCallbacks = {
            "on_field_start": self.on_field_start,
            "on_field_name": self.on_field_name,
            "on_field_data": self.on_field_data,
            "on_field_end": self.on_field_end,
            "on_end": self.on_end,
        }
        parser = multipart.QuerystringParser(callbacks)
        finalized = False
        try:
            async for chunk in self.stream:
                if chunk:
                    parser.write(chunk)
                elif not finalized:
                    parser.finalize()
                    finalized = True
            if not finalized:
                parser.finalize()
        except FormParserError as exc:
            await _aclose(self.stream)
            raise MultiPartException(f"Malformed form body: {exc}") from None
        except BaseException:
            await _aclose(self.stream)
            raise
        return FormData(self.items)


@dataclass
class MultipartPart:
    content_disposition: bytes | None = None
    field_name: str = ""
    data: bytearray = field(default_factory=bytearray)
    file: UploadFile | None = None
    item_headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class MultiPartParser:
    """Parse a ``multipart/form-data`` body into :class:`FormData` of strings and :class:`UploadFile`."""

    spool_max_size = 1024 * 1024
    """Bytes of an uploaded file kept in memory before it rolls over to a temporary file."""
    max_part_size = 1024 * 1024
    """Maximum size of a non-file part."""

    def __init__(
        self,
        headers: Headers,
        stream: AsyncIterable[bytes],
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> None:
        self.headers = headers
        self.stream = stream
        self.max_files = max_files
        self.max_fields = max_fields
        self.max_part_size = max_part_size
        self.items: list[tuple[str, str | UploadFile]] = []
        self._current_files = 0
        self._current_fields = 0
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""
        self._current_part = MultipartPart()
        self._charset = "utf-8"
        self._file_parts_to_write: list[tuple[MultipartPart, bytes]] = []
        self._file_parts_to_finish: list[MultipartPart] = []
        self._files: list[SpooledTemporaryFile[bytes]] = []

    def on_part_begin(self) -> None:
        self._current_part = MultipartPart()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is None:
            if len(part.data) + (end - start) > self.max_part_size:
                raise _part_too_large(self.max_part_size)
            part.data += data[start:end]
        else:
            # Writing may touch the disk, which must not happen inside this synchronous callback.
            self._file_parts_to_write.append((part, data[start:end]))

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            self.items.append((part.field_name, _user_safe_decode(part.data, self._charset)))
        else:
            self._file_parts_to_finish.append(part)
            self.items.append((part.field_name, part.file))

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._current_partial_header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._current_partial_header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._current_partial_header_name.lower()
        if name == b"content-disposition":
            self._current_part.content_disposition = self._current_partial_header_value
        self._current_part.item_headers.append((name, self._current_partial_header_value))
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""

    def on_headers_finished(self) -> None:
        _, options = _parse_options_header(self._current_part.content_disposition)
        try:
            self._current_part.field_name = _user_safe_decode(options[b"name"], self._charset)
        except KeyError:
            raise MultiPartException('The Content-Disposition header field "name" must be provided.') from None
        filename = self._filename(options)
        if filename is None:
            self._current_fields += 1
            if self._current_fields > self.max_fields:
                raise _too_many_fields(self.max_fields)
            self._current_part.file = None
            return
        self._current_files += 1
        if self._current_files > self.max_files:
            raise MultiPartException(f"Too many files. Maximum number of files is {self.max_files}.")
        # Not a context manager: the file outlives this callback and is closed by parse() or the app.
        tempfile: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=self.spool_max_size)  # noqa: SIM115
        self._files.append(tempfile)
        self._current_part.file = UploadFile(
            file=cast("BinaryIO", tempfile),
            size=0,
            filename=filename,
            headers=Headers(raw=self._current_part.item_headers),
        )

    def _filename(self, options: dict[bytes, bytes]) -> str | None:
        if b"filename" in options:
            return _user_safe_decode(options[b"filename"], self._charset)
        if b"filename*" in options:
            return options[b"filename*"].decode("utf-8")
        return None

    def on_end(self) -> None:
        pass

    def _boundary(self) -> bytes:
        _, params = _parse_options_header(self.headers.get("Content-Type", ""))
        self._charset = _resolve_charset(params.get(b"charset", b"utf-8").decode("latin-1"))
        boundary = params.get(b"boundary")
        if not boundary:
            raise MultiPartException("Missing boundary in multipart.")
        return boundary

    async def parse(self) -> FormData:
        boundary = self._boundary()
        callbacks: MultipartCallbacks = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }
        try:
            try:
                parser = multipart.MultipartParser(boundary, callbacks)
                async for chunk in self.stream:
                    parser.write(chunk)
                    await self._flush_files()
                parser.finalize()
            except FormParserError as exc:
                # The parser's own wording may echo client bytes or internals: keep the client message fixed.
                raise MultiPartException("Invalid multipart data.") from exc
        except BaseException:
            # Parse errors, limits, client disconnects and cancellation all end here: no file leaks.
            self._close_files(self._files)
            await _aclose(self.stream)
            raise
        # A truncated body can leave a file part that never ended: it is not returned, so close it.
        returned = {id(value.file) for _, value in self.items if isinstance(value, UploadFile)}
        self._close_files([file for file in self._files if id(file) not in returned])
        return FormData(self.items)

    async def _flush_files(self) -> None:
        for part, data in self._file_parts_to_write:
            upload = part.file
            assert upload is not None
            await _write_spooled(upload, data, self.spool_max_size)
        for part in self._file_parts_to_finish:
            upload = part.file
            assert upload is not None
            if _is_rolled(upload.file):
                await anyio.to_thread.run_sync(upload.file.seek, 0)
            else:
                upload.file.seek(0)
        self._file_parts_to_write.clear()
        self._file_parts_to_finish.clear()

    @staticmethod
    def _close_files(files: list[SpooledTemporaryFile[bytes]]) -> None:
        for file in files:
            file.close()


async def _aclose(stream: AsyncIterable[bytes]) -> None:
    """Finalise an abandoned body generator now rather than when it is garbage collected."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        with anyio.CancelScope(shield=True):
            await aclose()


def _is_rolled(file: IO[bytes]) -> bool:
    return bool(getattr(file, "_rolled", True))


async def _write_spooled(upload: UploadFile, data: bytes, spool_max_size: int) -> None:
    """Append to the upload's file: in memory inline, in a thread once the write reaches the disk."""
    size = upload.size or 0
    if not _is_rolled(upload.file) and size + len(data) <= spool_max_size:
        upload.file.write(data)
    else:
        # This write either rolls the spool over to disk or writes to the disk file.
        await anyio.to_thread.run_sync(upload.file.write, data)
    upload.size = size + len(data)
