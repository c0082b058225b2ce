"""Parameter markers: say where a handler argument comes from when its name and type do not.

`Query[int]` is shorthand for `Annotated[int, Query()]`; `Annotated[int, Query(alias="page-size", default=20)]`
adds options. The markers only carry metadata; `framework.binding.compiler` reads them once at start-up.

For type checkers `Query[int]` must mean `int` inside the handler, so under `TYPE_CHECKING` the public names
are generic `Annotated` aliases; at run time they are the marker classes below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

__all__ = ["UNSET", "Body", "Cookie", "Form", "Header", "ParamMarker", "Query"]

_T = TypeVar("_T")


class _Unset:
    """Sentinel type for "no default given" (None is a legitimate default)."""

    _instance: ClassVar[_Unset | None] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


class ParamMarker:
    """Base of the markers: where a value comes from, its wire name, its default and its description."""

    source: ClassVar[str] = ""
    __slots__ = ("alias", "default", "description")

    def __init__(self, *, alias: str | None = None, default: Any = UNSET, description: str | None = None) -> None:
        self.alias = alias
        self.default = default
        self.description = description

    def __class_getitem__(cls, item: Any) -> Any:
        # `Query[int]` -> `Annotated[int, Query()]`: the annotation stays a normal type for pydantic and IDEs.
        return Annotated[item, cls()]

    def __repr__(self) -> str:
        options = [f"{name}={getattr(self, name)!r}" for name in ("alias", "default", "description")]
        shown = ", ".join(option for option in options if not option.endswith(("=None", "=UNSET")))
        return f"{type(self).__name__}({shown})"


class _Header(ParamMarker):
    """Header marker: the wire name defaults to the parameter name with "_" turned into "-"."""

    source = "header"
    __slots__ = ("convert_underscores",)

    def __init__(
        self,
        *,
        alias: str | None = None,
        default: Any = UNSET,
        description: str | None = None,
        convert_underscores: bool = True,
    ) -> None:
        super().__init__(alias=alias, default=default, description=description)
        self.convert_underscores = convert_underscores


if TYPE_CHECKING:
    Query = Annotated[_T, ParamMarker]
    Header = Annotated[_T, ParamMarker]
    Cookie = Annotated[_T, ParamMarker]
    Body = Annotated[_T, ParamMarker]
    Form = Annotated[_T, ParamMarker]
else:

    class Query(ParamMarker):
        """A query-string parameter (`?name=value`); `list[T]` reads repeated keys."""

        source = "query"
        __slots__ = ()

    class Header(_Header):
        """A request header, matched case-insensitively; `list[T]` reads repeated headers."""

        __slots__ = ()

    class Cookie(ParamMarker):
        """A cookie sent by the client."""

        source = "cookie"
        __slots__ = ()

    class Body(ParamMarker):
        """The JSON request body, validated as the annotated type."""

        source = "body"
        __slots__ = ()

    class Form(ParamMarker):
        """Form data: a model/dataclass annotation takes the whole form, a scalar one a single field."""

        source = "form"
        __slots__ = ()
