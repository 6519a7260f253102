"""OpenAPI schema pieces: the token auth scheme and the post-processing hooks that make the
generated schema describe what the server really sends (SPEC §2: "the schema is accurate").

Register the hooks in settings (after drf-spectacular's own enum hook):

    SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bazaar.api.schema.postprocess_error_responses",
        "bazaar.api.schema.postprocess_ecma_patterns",
    ]
"""

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "bazaar.accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: get a key from POST /api/auth/token/ or "
            "`python manage.py create_token USERNAME`.",
        }


class RelatedIdFieldSchema(OpenApiSerializerFieldExtension):
    """A related row written and read as its integer id (not drf-spectacular's "string")."""

    target_class = "bazaar.api.relations.RelatedIdField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


class CustomerReferenceFieldSchema(OpenApiSerializerFieldExtension):
    """An order's `customer`: an id (SPEC §5) or an inline customer object (SPEC §11)."""

    target_class = "bazaar.orders.serializers.CustomerReferenceField"

    def map_serializer_field(self, auto_schema, direction):
        from bazaar.orders.serializers import InlineCustomerSerializer

        if direction == "response":
            return {"type": "integer"}
        inline = auto_schema.resolve_serializer(InlineCustomerSerializer, direction)
        return {"oneOf": [{"type": "integer", "minimum": 1}, inline.ref]}


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

DETAIL_COMPONENT = "ErrorDetail"
VALIDATION_COMPONENT = "ValidationErrors"

# Every error SPEC §2 names, with what it means on any endpoint. 400 is a field-errors object
# ({"field": ["message"], "non_field_errors": [...], nested for inline items}) or, for a body that
# is not parseable at all, {"detail": "..."}; every other error is {"detail": "..."}.
ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": (VALIDATION_COMPONENT, "Invalid request: field errors, or a malformed body or query."),
    "401": (DETAIL_COMPONENT, "No token, or an invalid one."),
    "403": (DETAIL_COMPONENT, "Not allowed: inactive user, customer, or a missing code."),
    "404": (DETAIL_COMPONENT, "No such object (or path)."),
    "405": (DETAIL_COMPONENT, "Method not allowed on this path."),
    "409": (DETAIL_COMPONENT, "Conflict: the object is referenced, locked, or a race was lost."),
    "413": (DETAIL_COMPONENT, "The request body is too large."),
    "415": (DETAIL_COMPONENT, "Unsupported Content-Type."),
    "429": (DETAIL_COMPONENT, "Too many requests; see Retry-After."),
    "503": (DETAIL_COMPONENT, "The database is unreachable or busy; retry later."),
}


def _error_components() -> dict[str, dict[str, Any]]:
    return {
        DETAIL_COMPONENT: {
            "type": "object",
            "description": 'Any error other than field validation: `{"detail": "message"}`.',
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
        VALIDATION_COMPONENT: {
            "type": "object",
            "description": "Field errors, Django REST framework's shape: each key is a field "
            "(`non_field_errors` for cross-field rules) with a list of messages, or nested "
            'errors for nested data (`{"items": [{}, {"product_code": ["..."]}]}`). A body '
            'that cannot be parsed gives `{"detail": "message"}`.',
            "additionalProperties": {},
        },
    }


def postprocess_error_responses(result, generator, request, public, **kwargs):
    """Declare SPEC §2's error responses on every /api/ operation that does not already."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _error_components().items():
        components.setdefault(name, schema)
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, (component, description) in ERROR_RESPONSES.items():
                if status in responses:
                    continue
                responses[status] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{component}"}
                        }
                    },
                }
            responses.setdefault("414", URI_TOO_LONG)
    return result


# gunicorn refuses a request line over 4094 bytes (`limit_request_line`) before Django sees it,
# with an HTML page; a long enough query string (many `*_in` ids) meets it.
URI_TOO_LONG = {
    "description": "The URL is longer than the server accepts (gunicorn: 4094 bytes of request "
    "line); sent by the HTTP server itself, as HTML.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


# Python's `\w` (what Django's Unicode slug validator uses) matches any letter or digit of any
# script; OpenAPI patterns are ECMA-262, where `\w` is ASCII only. drf-spectacular copies the
# Python pattern verbatim, so a Persian slug the server rightly returns "violates" it.
_PYTHON_ONLY_PATTERNS = {r"^[-\w]+$", r"^[-\w]+\Z", r"^[-\w]+\z"}


def _drop_python_patterns(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("pattern") in _PYTHON_ONLY_PATTERNS:
            del node["pattern"]
        for value in node.values():
            _drop_python_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _drop_python_patterns(value)


def postprocess_ecma_patterns(result, generator, request, public, **kwargs):
    """Drop regex patterns whose meaning differs between Python (server) and ECMA (clients)."""
    _drop_python_patterns(result)
    return result
