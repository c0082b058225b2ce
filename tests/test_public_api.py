"""The public names of every module, pinned: an accidental export or removal shows up in review."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

from framework import status
from framework.exceptions import StarletteDeprecationWarning

PUBLIC_API: dict[str, set[str]] = {
    "framework.types": {
        "ASGIApp", "AppType", "ExceptionHandler", "HTTPExceptionHandler", "Lifespan", "Message", "Receive",
        "Scope", "Send", "StatefulLifespan", "StatelessLifespan", "WebSocketExceptionHandler",
    },
    "framework.exceptions": {
        "ApplicationDeprecationWarning", "HTTPException", "StarletteDeprecationWarning", "WebSocketException",
    },
    "framework.background": {"BackgroundTask", "BackgroundTasks"},
    "framework.concurrency": {"iterate_in_threadpool", "run_in_threadpool", "run_until_first_complete"},
    "framework.config": {"Config", "Environ", "EnvironError", "environ", "undefined"},
    "framework.datastructures": {
        "Address", "CommaSeparatedStrings", "FormData", "Headers", "ImmutableMultiDict", "MultiDict",
        "MutableHeaders", "QueryParams", "Secret", "State", "URL", "URLPath", "UploadFile",
    },
    "framework.requests": {
        "ClientDisconnect", "HTTPConnection", "JSONBodyDecodeError", "Request", "cookie_parser",
        "empty_receive", "empty_send",
    },
    "framework.responses": {
        "FileResponse", "HTMLResponse", "JSONResponse", "PlainTextResponse", "RedirectResponse", "Response",
        "StreamingResponse",
    },
    "framework.websockets": {
        "WebSocket", "WebSocketClose", "WebSocketDisconnect", "WebSocketDisconnected", "WebSocketState",
    },
    "framework.endpoints": {"HTTPEndpoint", "WebSocketEndpoint"},
    "framework.routing": {
        "BaseRoute", "Host", "Match", "Mount", "NoMatchFound", "Route", "Router", "WebSocketRoute",
        "compile_path", "get_name", "replace_params", "request_response", "websocket_session",
    },
    "framework.convertors": {
        "CONVERTOR_TYPES", "Convertor", "FloatConvertor", "IntegerConvertor", "PathConvertor",
        "StringConvertor", "UUIDConvertor", "register_url_convertor",
    },
    "framework.applications": {"Application"},
    "framework.middleware": {"Middleware"},
    "framework.middleware.base": {"BaseHTTPMiddleware", "DispatchFunction", "RequestResponseEndpoint"},
    "framework.middleware.cors": {"ALL_METHODS", "CORSMiddleware", "SAFELISTED_HEADERS"},
    "framework.middleware.gzip": {
        "DEFAULT_EXCLUDED_CONTENT_TYPES", "GZipMiddleware", "GZipResponder", "IdentityResponder",
    },
    "framework.middleware.trustedhost": {"ENFORCE_DOMAIN_WILDCARD", "TrustedHostMiddleware"},
    "framework.middleware.httpsredirect": {"HTTPSRedirectMiddleware"},
    "framework.middleware.sessions": {"Session", "SessionMiddleware"},
    "framework.middleware.authentication": {"AuthenticationMiddleware"},
    "framework.middleware.errors": {"ServerErrorMiddleware"},
    "framework.middleware.exceptions": {"ExceptionMiddleware"},
    "framework.middleware.body_limit": {
        "DEFAULT_MAX_BODY_SIZE", "MAX_BODY_SIZE_SCOPE_KEY", "RequestBodyLimitMiddleware",
    },
    "framework.middleware.opentelemetry": {"OpenTelemetryMiddleware"},
    "framework.middleware.wsgi": {"WSGIMiddleware", "WSGIResponder", "build_environ"},
    "framework.staticfiles": {"NotModifiedResponse", "PathLike", "StaticFiles"},
    "framework.templating": {"Jinja2Templates"},
    "framework.formparsers": {"FormMessage", "FormParser", "MultiPartException", "MultiPartParser"},
    "framework.authentication": {
        "AuthCredentials", "AuthenticationBackend", "AuthenticationError", "BaseUser", "SimpleUser",
        "UnauthenticatedUser", "has_required_scope", "requires",
    },
    "framework.schemas": {"BaseSchemaGenerator", "EndpointInfo", "OpenAPIResponse", "SchemaGenerator"},
    "framework.testclient": {"TestClient", "WebSocketDenialResponse", "WebSocketTestSession"},
    # Application layer.
    "framework.controllers": {
        "controller", "delete", "get", "head", "options", "patch", "post", "put", "route", "websocket",
    },
    "framework.bootstrap": {"ConfigurationError", "create_app"},
    "framework.di": {
        "ConfigurationError", "CurrentRequest", "CurrentScope", "CurrentWebSocket", "RequestScope",
        "RequestScopeMiddleware", "RequestScoped", "current_scope", "get_current_scope", "in_fresh_scopes",
        "open_scope",
    },
    "framework.binding": {
        "BindingError", "Body", "CompiledHandler", "Cookie", "ErrorItem", "Form", "Header", "ParamMarker",
        "ParameterInfo", "Query", "RawJSONResponse", "RequestValidationError", "UnsupportedMediaType",
        "compile_handler",
    },
    "framework.problems": {
        "Conflict", "DomainError", "NotFound", "PROBLEM_MEDIA_TYPE", "PermissionDenied", "ProblemDetails",
        "Unauthorized", "domain_error_handler", "domain_error_problem", "http_exception_handler",
        "http_exception_problem", "problem_exception_handlers", "problem_response",
    },
    "framework.openapi": {
        "DocsAssets", "Operation", "PROBLEM_SCHEMAS", "REF_TEMPLATE", "ROUTE_ATTRIBUTE", "RouteMetadata",
        "build_openapi", "docs_html", "iter_operations", "openapi_path", "openapi_routes",
    },
    "framework.testing": {"AsyncTestClient", "overrides", "sqlite_test_database", "transactional_database"},
    "framework.cli": {"COMMANDS", "build_parser", "main"},
    "framework.db": {
        "Database", "InvalidQuery", "Model", "NAMING_CONVENTION", "Repository", "RequestSession", "begin_write",
        "database_exception_handlers", "on_commit", "retryable", "transactional",
    },
    "framework.db.testing": {"sqlite_test_database", "transactional_database"},
    "framework.settings": {"Settings"},
    "framework.graphql": {
        "GraphQLContext", "GraphQLLimits", "GraphQLRequestError", "GraphQLRoute", "GraphQLView", "scoped_loader",
    },
}  # fmt: skip


# Deprecated modules warn when imported, by design (their own tests check the warning).
DEPRECATED_ON_IMPORT = {"framework.middleware.wsgi"}


@pytest.mark.parametrize("module_name", sorted(PUBLIC_API))
def test_module_exports_exactly_its_public_names(module_name: str) -> None:
    with warnings.catch_warnings():
        if module_name in DEPRECATED_ON_IMPORT:
            warnings.simplefilter("ignore", StarletteDeprecationWarning)
        module = importlib.import_module(module_name)
    assert set(module.__all__) == PUBLIC_API[module_name]
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ names {name!r}, which does not exist"


def test_status_exports_only_status_constants() -> None:
    assert status.__all__, "framework.status must export its constants"
    assert all(name.startswith(("HTTP_", "WS_")) for name in status.__all__)
    assert status.HTTP_404_NOT_FOUND == 404
    assert status.WS_1008_POLICY_VIOLATION == 1008


def test_toolkit_import_loads_no_application_layer_dependency() -> None:
    """Importing the toolkit must not pay for SQLAlchemy, pydantic, Strawberry or dependency-injector."""
    code = (
        "import sys\n"
        "import framework.applications, framework.routing, framework.testclient, framework.staticfiles\n"
        "import framework.templating, framework.middleware.cors, framework.middleware.sessions\n"
        "heavy = [m for m in ('sqlalchemy', 'pydantic', 'strawberry', 'dependency_injector') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
