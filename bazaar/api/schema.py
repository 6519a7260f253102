"""OpenAPI schema pieces that make `/api/schema/` exact (SPEC §2): a client generated from it works
unchanged, and the responses the server sends validate against it under a strict OpenAPI 3.0
validator.

- `AutoSchema` writes operation descriptions for the API's users (what the endpoint does and the
  permission code it needs), not the views' docstrings.
- Field extensions give each rule the server applies to one field alone: the patterns of the
  Iranian mobile/postal/national codes in every accepted input form, country codes, permission
  code enums, coordinates as numbers.
- `postprocess_exact_schema` (a postprocessing hook) fixes what drf-spectacular writes in a way
  OpenAPI 3.0 does not mean: nullable nested objects, the empty-email `oneOf`, request bodies
  open to unknown properties, `limit`/`offset` without bounds, docstring descriptions.

Register the hooks in settings (after drf-spectacular's own enum hook):

    SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bazaar.api.schema.postprocess_error_responses",
        "bazaar.api.schema.postprocess_ecma_patterns",
        "bazaar.api.schema.postprocess_exact_schema",
    ]
"""

import copy
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from bazaar.accounts.codes import ALL_CODES
from bazaar.api.limits import MAX_ID
from bazaar.api.text import WHITESPACE_CLASS

# --- patterns: exactly what the server accepts ----------------------------------------------------
# Each pattern is valid, and means the same, in ECMA-262 (clients, validators) and Python's `re`
# (schemathesis and hypothesis generate from it). They mirror bazaar.accounts.validators: the
# value is trimmed (Python's whitespace), Persian and Arabic-Indic digits count as digits, and
# whitespace, dashes, parentheses and the zero-width/direction marks may appear anywhere.
_WHITESPACE = WHITESPACE_CLASS
_SEP = rf"[{_WHITESPACE}\u200c\u200e\u200f()-]*"
_DIGIT = "[0-9\u06f0-\u06f9\u0660-\u0669]"
_ZERO, _EIGHT, _NINE = "[0\u06f0\u0660]", "[8\u06f8\u0668]", "[9\u06f9\u0669]"
_MOBILE_BODY = (
    rf"{_SEP}(?:\+{_SEP}{_NINE}{_SEP}{_EIGHT}{_SEP}|{_ZERO}{_SEP}{_ZERO}{_SEP}{_NINE}{_SEP}"
    rf"{_EIGHT}{_SEP}|{_ZERO}{_SEP})?{_NINE}(?:{_SEP}{_DIGIT}){{9}}{_SEP}"
)
MOBILE_INPUT_PATTERN = rf"^{_MOBILE_BODY}$"
MOBILE_INPUT_OR_BLANK_PATTERN = rf"^(?:[{_WHITESPACE}]*|{_MOBILE_BODY})$"
TEN_DIGITS_INPUT_PATTERN = rf"^{_SEP}(?:{_DIGIT}{_SEP}){{10}}$"
MOBILE_PATTERN = "^09[0-9]{9}$"
TEN_DIGITS_PATTERN = "^[0-9]{10}$"
# A text field that may not be blank: at least one character that trimming keeps.
NOT_BLANK_PATTERN = rf"[^{_WHITESPACE}]"


def _input_pattern(normalizer) -> tuple[str, str] | None:
    """(request pattern, description) of a normalising text field, by its normaliser."""
    from bazaar.accounts import validators

    return {
        validators.normalize_mobile: (
            MOBILE_INPUT_PATTERN,
            "An Iranian mobile number: 09xxxxxxxxx, +989xxxxxxxxx, 00989xxxxxxxxx or "
            "9xxxxxxxxx, with spaces or dashes, in Latin, Persian or Arabic-Indic digits; "
            "stored and returned as 09xxxxxxxxx.",
        ),
        validators.normalize_postal_code: (
            TEN_DIGITS_INPUT_PATTERN,
            "10 digits (Latin, Persian or Arabic-Indic; spaces and dashes are dropped).",
        ),
        validators.normalize_national_code: (
            TEN_DIGITS_INPUT_PATTERN,
            "10 digits with a valid Iranian national-code check digit (Latin, Persian or "
            "Arabic-Indic; spaces and dashes are dropped).",
        ),
    }.get(normalizer)


# Text fields whose request pattern bounds their length (see _insert_field_validators).
LENGTH_BOUNDED_FIELDS = frozenset({"NormalizedCharField", "MobileNumberField", "CodeField"})


def ordering_pattern(fields: list[str]) -> str:
    """`ordering` as the server reads it: comma-separated terms, each trimmed, `-` for
    descending, empty terms skipped (bazaar.api.filters.OrderingFilter)."""
    term = rf"[{_WHITESPACE}]*(?:-?(?:{'|'.join(fields)}))?[{_WHITESPACE}]*"
    return rf"^(?:{term},)*{term}$"


def _is_id_filter(parameter: dict[str, Any]) -> bool:
    """A filter by a related row's id (`customer`, `billing_city_in`, ...): ids start at 1."""
    schema = parameter.get("schema", {})
    target = schema.get("items", schema)
    return (
        parameter.get("in") == "query"
        and target.get("type") == "integer"
        and (parameter["name"].removesuffix("_in") in ID_FILTERS)
    )


ID_FILTERS = frozenset(
    {
        "customer", "payment_method", "shipping_method", "pickup_branch", "image", "country",
        "state", "city", "billing_country", "billing_state", "billing_city", "shipping_country",
        "shipping_state", "shipping_city", "product", "role", "roles", "coupon",
    }
)  # fmt: skip


def _allowing_empty(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """On every list an empty value (`?status=`, what an HTML form sends for a field left blank)
    is the parameter not given: the filter does not filter, `limit` and `offset` keep their
    defaults. OpenAPI 3.0 says so with `allowEmptyValue`, which leaves each value's type as it is
    (an `anyOf` with `""` would make every typed client parameter a union)."""
    for parameter in parameters:
        if parameter.get("in") == "query":
            parameter["allowEmptyValue"] = True
    return parameters


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with descriptions written for the API's users."""

    def get_description(self) -> str:
        view_name = self.view.__class__.__name__
        action = getattr(self.view, "action", None) or self.method.lower()
        parts = [OPERATION_DESCRIPTIONS.get((view_name, action), "")]
        if not parts[0]:
            parts = [RESOURCE_DESCRIPTIONS.get(view_name, "")]
        code = self._permission_code(action)
        if code is not None:
            parts.append(f"Needs permission code {code} (Admins need none).")
        return " ".join(part for part in parts if part)

    def _permission_code(self, action: str) -> int | None:
        from bazaar.accounts.codes import code_for
        from bazaar.api.permissions import ACTION_OFFSETS

        block = getattr(self.view, "permission_block", None)
        explicit = getattr(self.view, "action_permission_codes", {}).get(action)
        if explicit:
            return explicit[0]
        if block is None or action not in ACTION_OFFSETS:
            return None
        return code_for(block, ACTION_OFFSETS[action])

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter.get("name") == "ordering":
                fields = self._ordering_fields()
                if fields:
                    schema["pattern"] = ordering_pattern(fields)
                    parameter["description"] = (
                        "Comma-separated fields, `-` for descending: " + ", ".join(fields) + "."
                    )
            elif parameter.get("name", "").startswith("has_"):
                # `has_image` filters on `image__isnull`: a boolean, whatever the column's type.
                parameter["schema"] = {"type": "boolean"}
            elif _is_id_filter(parameter):
                target = schema.get("items", schema)
                target.update(minimum=1, maximum=MAX_ID)
        return _allowing_empty(parameters)

    def _get_pagination_parameters(self):
        return _allowing_empty(super()._get_pagination_parameters())

    def _ordering_fields(self) -> list[str]:
        from bazaar.api.filters import OrderingFilter

        try:
            queryset = self.view.get_queryset()
        except Exception:  # noqa: BLE001 - a view that needs a request: no pattern then
            return []
        return OrderingFilter().allowed_fields(self.view, queryset)

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if type(field).__name__ in LENGTH_BOUNDED_FIELDS:
            # The pattern says it all; DRF checks the lengths after trimming and normalising,
            # so a padded "+98 912 ..." longer than max_length is accepted.
            schema.pop("minLength", None)
            schema.pop("maxLength", None)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not isinstance(field, serializers.ChoiceField)
            and not field.allow_blank
            and field.trim_whitespace
            and "pattern" not in schema
            and schema.get("type") == "string"
        ):
            # DRF trims text and then refuses it when blank: "   " is as blank as "".
            schema["pattern"] = NOT_BLANK_PATTERN
        return schema


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
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class CustomerReferenceFieldSchema(OpenApiSerializerFieldExtension):
    """An order's `customer`: an id (SPEC §5) or an inline customer object (SPEC §11)."""

    target_class = "bazaar.orders.serializers.inputs.CustomerReferenceField"

    def map_serializer_field(self, auto_schema, direction):
        from bazaar.orders.serializers.inputs import InlineCustomerSerializer

        if direction == "response":
            return {"type": "integer"}
        inline = auto_schema.resolve_serializer(InlineCustomerSerializer, direction)
        return {
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, inline.ref],
            "description": "A customer id, or a customer given inline: matched by mobile "
            "number, created when no customer has it.",
        }


class PrimaryKeyRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """A related row by id (DRF's own field, on model serializers): ids start at 1 and are
    64-bit."""

    target_class = "rest_framework.relations.PrimaryKeyRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class NormalizedCharFieldSchema(OpenApiSerializerFieldExtension):
    """Mobile numbers, postal and national codes: every input form the server accepts."""

    target_class = "bazaar.orders.serializers.inputs.NormalizedCharField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema.pop("minLength", None)
        schema.pop("maxLength", None)  # the pattern bounds it; the limit applies after trimming
        known = _input_pattern(self.target.normalizer)
        if known is not None and direction == "request":
            schema["pattern"], schema["description"] = known
        return schema


class MobileNumberFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "bazaar.accounts.serializers.MobileNumberField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema.pop("minLength", None)
        schema.pop("maxLength", None)
        if direction == "request":
            schema["pattern"] = (
                MOBILE_INPUT_OR_BLANK_PATTERN if self.target.allow_blank else MOBILE_INPUT_PATTERN
            )
            schema["description"] = _input_pattern_mobile_description()
        else:
            schema["pattern"] = "^(?:09[0-9]{9})?$" if self.target.allow_blank else MOBILE_PATTERN
        return schema


def _input_pattern_mobile_description() -> str:
    from bazaar.accounts.validators import normalize_mobile

    return _input_pattern(normalize_mobile)[1]


class CoordinateFieldSchema(OpenApiSerializerFieldExtension):
    """Latitude/longitude: JSON numbers (not DRF's decimal-as-string), within their range."""

    target_class = "bazaar.orders.serializers.inputs.CoordinateField"

    def map_serializer_field(self, auto_schema, direction):
        schema = {
            "type": "number",
            "minimum": float(self.target.min_value),
            "maximum": float(self.target.max_value),
            "description": "Degrees; 6 decimals are kept (more are rounded).",
        }
        if self.target.allow_null:
            schema["nullable"] = True
        return schema


class PermissionCodesFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "bazaar.accounts.serializers.PermissionCodesField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "array",
            "items": {"$ref": "#/components/schemas/PermissionCodeEnum"},
            "description": "Permission codes (GET /api/auth/permissions/ names them).",
        }


class CountryCodeFieldSchema(OpenApiSerializerFieldExtension):
    """Geo codes are trimmed and upper-cased before their rule is checked."""

    target_class = "bazaar.geo.serializers.CodeField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        rule = next((v.regex.pattern for v in self.target.validators if hasattr(v, "regex")), None)
        if rule is None:
            return schema
        if direction == "response":
            schema["pattern"] = rule
            return schema
        # The same rule over the trimmed, upper-cased text: either case, any padding.
        body = rule.removeprefix("^").removesuffix("$").replace("A-Z", "A-Za-z")
        schema["pattern"] = rf"^[{_WHITESPACE}]*{body}[{_WHITESPACE}]*$"
        schema.pop("minLength", None)
        schema.pop("maxLength", None)
        return schema


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


# Python's `\w` (what Django's Unicode slug and username validators use) matches any letter or
# digit of any script; OpenAPI patterns are ECMA-262, where `\w` is ASCII only. drf-spectacular
# copies the Python pattern verbatim, so a Persian slug or a username such as `nï` that the
# server rightly returns "violates" it. No pattern means the same in both dialects (Python's `re`
# has no `\p{L}`), so these are dropped.
_PYTHON_ONLY_PATTERNS = {
    *(rf"^{body}+{end}" for body in (r"[-\w]", r"[\w.@+-]") for end in ("$", r"\Z", r"\z"))
}


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


# --- exactness ------------------------------------------------------------------------------------

# What `null` is in OpenAPI 3.0, where `nullable: true` means something only beside a `type` in
# the same schema object: `{"allOf": [{"$ref": ...}], "nullable": true}` admits no null at all
# under a strict validator. A nullable composite is written `oneOf: [<the object>, NULL_SCHEMA]`.
NULL_SCHEMA: dict[str, Any] = {"type": "object", "nullable": True, "enum": [None]}

PERMISSION_CODE_COMPONENT = "PermissionCodeEnum"

# Component descriptions, for the API's users (by component name without `Patched`/`Request`).
COMPONENT_DESCRIPTIONS: dict[str, str] = {
    "Branch": "A pickup branch, for orders with `delivery_method: pickup`.",
    "BranchData": "The pickup branch of an order.",
    "City": "A city; its name is unique within its state.",
    "CityData": "A city of an order's address.",
    "Country": "A country; its code is unique.",
    "Customer": "A customer of the shop. Usernames and mobile numbers are unique across all "
    "users, staff included.",
    "CustomerData": "The customer of an order.",
    "Image": "An uploaded image with its thumbnails (64, 128, 512 and 1080 px boxes).",
    "ImageUpdate": "Only the name of an image changes; a new picture is a new upload. The "
    "other fields of a GET body may be sent back and are ignored.",
    "ImageUpload": "A multipart/form-data upload: `file`, and optionally `name`.",
    "InlineCustomer": "A customer given inside an order: matched by mobile number, created when "
    "no customer has it; an existing customer is never modified.",
    "InlineItem": "An item inside `POST /api/orders/`: the product by `product` (id) or "
    "`product_code` (SKU), exactly one of them.",
    "Me": "The user the token belongs to, with every permission code they hold.",
    "MethodData": "A payment or shipping method of an order.",
    "Order": "An order with its items, payments and totals (integers, smallest currency unit).",
    "OrderChange": "An order changed after the cursor, in its latest version; `change` is "
    "`delete` when its status is `deleted`.",
    "OrderChangePage": "A page of the change feed. Continue from `next_cursor` (always given, "
    "also when `has_more` is false); an order changed several times between two reads may "
    "appear once, and an order may appear again in a later page.",
    "OrderItem": "A line item. `product_data` is a snapshot taken when the item was added.",
    "OrderItemWrite": "A line item. `unit_price` defaults to the product's price plus the "
    "chosen options' deltas; `unit_discount` may not exceed it.",
    "OrderPayment": "A payment of an order; approved payments count towards `amount_paid`.",
    "OrderPaymentWrite": "A payment. Approving it may not take `amount_paid` above the total.",
    "OrderWrite": "A new order. Every field is optional; `items` and `payments` may be given "
    "inline, and the whole order is made in one step or not at all.",
    "OrderUpdate": "An order's fields. Items and payments have their own endpoints; the "
    "read-only fields of a GET body (`items` and `payments` included) may be sent back and are "
    "ignored.",
    "PaymentMethod": "A payment method; `image` is written as an image id.",
    "PermissionCode": "A permission code and its name.",
    "PlaceData": "A country or state of an order's address.",
    "Product": "A product of the catalogue; `image` is written as an image id.",
    "ProductOptionGroup": "An option group of a product (e.g. colour) with its values.",
    "ProductOptionValue": "A value of an option group, with its price difference.",
    "Role": "A role: a named set of permission codes given to staff users.",
    "ShippingMethod": "A shipping method; `image` is written as an image id.",
    "StaffUser": "A staff user or Admin. `permission_codes` are the direct grants; roles add "
    "theirs.",
    "State": "A state (province); its code is unique within its country.",
    "Thumbnail": "A thumbnail: `size` is the edge of the box it fits in.",
    "Token": "An API token: send it as `Authorization: Token <token>`.",
    "TokenCreate": "A username and password.",
}

RESOURCE_DESCRIPTIONS: dict[str, str] = {
    "TokenView": "Log in (POST) for a new token, or revoke the token used (DELETE).",
    "MeView": "The user the token belongs to.",
    "PermissionListView": "Every permission code with its name.",
    "RoleViewSet": "Roles: named sets of permission codes.",
    "StaffUserViewSet": "Staff users and Admins; customers are at /api/customers/.",
    "CustomerViewSet": "The shop's customers; staff users are at /api/users/.",
    "CountryViewSet": "Countries.",
    "StateViewSet": "States (provinces); `country` narrows the list to one country.",
    "CityViewSet": "Cities; `state` (or `country`) narrows the list.",
    "ImageViewSet": "Images with thumbnails: upload with multipart/form-data; only the name "
    "can change later.",
    "ProductViewSet": "Products. A product that order items use cannot be deleted (409): "
    "deactivate it instead.",
    "PaymentMethodViewSet": "Payment methods.",
    "ShippingMethodViewSet": "Shipping methods.",
    "BranchViewSet": "Pickup branches.",
    "OrderViewSet": "Orders, each with its items, payments and totals.",
    "OrderItemViewSet": "The items of one order; writes answer with the whole order.",
    "OrderPaymentViewSet": "The payments of one order; writes answer with the whole order.",
}

OPERATION_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("TokenView", "post"): "Log in with a username and password; answers a new token.",
    ("TokenView", "delete"): "Revoke the token used for this request.",
    ("OrderViewSet", "create"): "Create an order, optionally whole in one call: the customer "
    "by id or inline, items by product id or SKU, payments. All or nothing: any error is a 400 "
    "that points at the entry. Inline items need code 2221 and inline payments 2241 as well.",
    ("OrderViewSet", "list"): "Orders, newest first, each complete with items and payments. "
    "Deleted orders are left out unless `status`/`status_in` asks for them.",
    ("OrderViewSet", "update"): "Change an order's fields; status moves follow the allowed "
    "transitions. Items and payments are changed through their own endpoints.",
    ("OrderViewSet", "partial_update"): "Change some of an order's fields; status moves follow "
    "the allowed transitions. Items and payments are changed through their own endpoints.",
    ("OrderViewSet", "destroy"): "Soft delete: the status becomes `deleted` (the order stays "
    "readable by id).",
    ("OrderChangesViewSet", "list"): "The change feed: every order changed after the cursor, "
    "in its latest version, at least once, in the order the changes committed; a change made "
    "by a slow transaction that commits after a faster, later one is never skipped. A cursor "
    "stays valid for at least 7 days; an expired one is a 410.",
    ("OrderExportViewSet", "list"): "The orders of the list, with its filters, search and "
    "ordering, as CSV (UTF-8 with a byte-order mark, RFC 4180 quoting), streamed: one row per "
    "order, or per item with `rows=items`. Amounts are integers, timestamps ISO, "
    "`created_at_jalali` is the Solar Hijri date and time in the shop's time zone; a cell that "
    "a spreadsheet would run as a formula is prefixed with `'`.",
    ("OrderItemViewSet", "create"): "Add an item; answers the whole updated order.",
    ("OrderPaymentViewSet", "create"): "Add a payment; answers the whole updated order.",
}

RESPONSE_PATTERNS: dict[str, dict[str, str]] = {
    "Order": {
        "billing_mobile_number": MOBILE_PATTERN,
        "shipping_mobile_number": MOBILE_PATTERN,
        "billing_postal_code": TEN_DIGITS_PATTERN,
        "shipping_postal_code": TEN_DIGITS_PATTERN,
        "billing_national_code": TEN_DIGITS_PATTERN,
    },
    "CustomerData": {"mobile_number": MOBILE_PATTERN},
}

_BOUNDS = {"limit": {"minimum": 1}, "offset": {"minimum": 0}}


def _walk(node: Any, visit) -> None:
    """Call `visit(dict)` on every schema-like dict, children first."""
    if isinstance(node, dict):
        for value in node.values():
            _walk(value, visit)
        visit(node)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _fix_nullable_composite(node: dict[str, Any]) -> None:
    if node.get("nullable") is not True or "type" in node:
        return
    if "allOf" in node and len(node["allOf"]) == 1:
        node["oneOf"] = [node.pop("allOf")[0], NULL_SCHEMA]
    elif "oneOf" in node:
        node["oneOf"] = [*node["oneOf"], NULL_SCHEMA]
    elif "anyOf" in node:
        node["anyOf"] = [*node["anyOf"], NULL_SCHEMA]
    else:
        return
    del node["nullable"]


def _fix_overlapping_strings(node: dict[str, Any]) -> None:
    """`oneOf: [email, empty string]` matches "" twice where `format` is not asserted: both
    branches are strings, so `anyOf` says what is meant."""
    branches = node.get("oneOf")
    if branches and all(isinstance(b, dict) and b.get("type") == "string" for b in branches):
        node["anyOf"] = node.pop("oneOf")


def _base_name(component: str) -> str:
    return component.removeprefix("Patched").removesuffix("Request")


def postprocess_exact_schema(result, generator, request, public, **kwargs):
    """Make the generated schema say exactly what the server does (see the module docstring)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    _walk(result, _fix_nullable_composite)
    _walk(result, _fix_overlapping_strings)

    components[PERMISSION_CODE_COMPONENT] = {
        "type": "integer",
        "enum": list(ALL_CODES),
        "description": "A permission code: the resource's block plus 1 create, 2 list, "
        "3 retrieve, 4 update, 5 delete, and 2206 exports orders (GET /api/auth/permissions/ "
        "names each).",
    }
    for name in ("PermissionCode", "Me", "Role", "StaffUser"):
        for variant in (name, f"{name}Request", f"Patched{name}Request"):
            props = components.get(variant, {}).get("properties", {})
            if "code" in props and name == "PermissionCode":
                props["code"] = {"$ref": f"#/components/schemas/{PERMISSION_CODE_COMPONENT}"}
            if "permission_codes" in props:
                props["permission_codes"] = {
                    "type": "array",
                    "items": {"$ref": f"#/components/schemas/{PERMISSION_CODE_COMPONENT}"},
                    "description": "Permission codes (GET /api/auth/permissions/ names them).",
                }

    for name, fields in RESPONSE_PATTERNS.items():
        props = components.get(name, {}).get("properties", {})
        for field, pattern in fields.items():
            if field in props:
                props[field]["pattern"] = pattern
    for name in ("OrderWriteRequest", "PatchedOrderWriteRequest"):
        props = components.get(name, {}).get("properties", {})
        if "extra" in props:
            props["extra"] = {
                "type": "object",
                "nullable": True,
                "additionalProperties": True,
                "description": "Any JSON object, up to 64 KiB (null stores `{}`).",
            }

    _password_rules(components)

    # PUT/PATCH of an order take no `items`/`payments` (they are POST's alone, SPEC §11).
    _order_update_components(result, components)

    for name, schema in components.items():
        described = COMPONENT_DESCRIPTIONS.get(_base_name(name))
        if described:
            schema["description"] = described
        elif name not in {DETAIL_COMPONENT, VALIDATION_COMPONENT, PERMISSION_CODE_COMPONENT}:
            schema.pop("description", None)
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False

    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                bounds = _BOUNDS.get(parameter.get("name"))
                if bounds and parameter.get("in") == "query":
                    parameter.setdefault("schema", {}).update(bounds)
                if parameter.get("in") == "query" and parameter.get("name") == "format":
                    # DRF's content negotiation reads an empty `?format=` as no format.
                    parameter["allowEmptyValue"] = True
    return result


def _password_rules(components) -> None:
    """The configured minimum password length (AUTH_PASSWORD_VALIDATORS), on every password a
    request sets; the other validators (common passwords, likeness to the username, digits only)
    are not single-field patterns and are named in the description."""
    from django.contrib.auth.password_validation import (
        MinimumLengthValidator,
        get_default_password_validators,
    )

    minimum = max(
        (
            v.min_length
            for v in get_default_password_validators()
            if isinstance(v, MinimumLengthValidator)
        ),
        default=None,
    )
    for name in ("StaffUserRequest", "PatchedStaffUserRequest"):
        password = components.get(name, {}).get("properties", {}).get("password")
        if password is None:
            continue
        if minimum:
            password["minLength"] = minimum
        password["description"] = (
            "Write-only. At least the minimum length, not too common, not all digits and not too "
            "like the user's names or email."
        )


def _order_update_components(result, components) -> None:
    patched = components.get("PatchedOrderWriteRequest")
    full = components.get("OrderWriteRequest")
    if patched is None or full is None:
        return
    for source, target in ((full, "OrderUpdateRequest"), (patched, "PatchedOrderUpdateRequest")):
        update = copy.deepcopy(source)
        for name in ("items", "payments"):
            update.get("properties", {}).pop(name, None)
        update["required"] = [
            n for n in update.get("required", []) if n not in {"items", "payments"}
        ]
        if not update["required"]:
            del update["required"]
        components[target] = update
    del components["PatchedOrderWriteRequest"]
    item = result["paths"].get("/api/orders/{id}/", {})
    for method, target in (("put", "OrderUpdateRequest"), ("patch", "PatchedOrderUpdateRequest")):
        body = item.get(method, {}).get("requestBody", {})
        for media in body.get("content", {}).values():
            media["schema"] = {"$ref": f"#/components/schemas/{target}"}
