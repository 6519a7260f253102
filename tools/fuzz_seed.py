"""Top up a fuzzing instance with at least one row of every kind, through the public API.

    python tools/fuzz_seed.py http://127.0.0.1:PORT TOKEN

Used by tools/fuzz.sh after `seed_demo` (or instead of it when it fails), so schemathesis finds
existing ids to read, edit and delete. Prints (stdout, one JSON line) a fresh order with one item
and one payment, `{"order": id, "item": id, "payment": id}`: the nested item/payment routes are
pinned to it, since random order ids mostly give (correct) 404s. Only the standard library; any
refusal is reported on stderr and ignored (the data is a convenience, the fuzz run is the test).
"""

import io
import json
import sys
import urllib.error
import urllib.request
import uuid


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.headers = {"Authorization": f"Token {token}"}

    def call(self, method: str, path: str, body=None, *, raw=None, content_type=None):
        headers = dict(self.headers)
        data = None
        if raw is not None:
            data, headers["Content-Type"] = raw, content_type
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = f"{self.base}{path}"  # http(s) only: the base comes from tools/fuzz.sh
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                text = response.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            sys.stderr.write(f"fuzz_seed: {method} {path} -> {exc.code} {exc.read()[:300]!r}\n")
            return None

    def first_or_create(self, path: str, body: dict) -> int | None:
        page = self.call("GET", f"{path}{'' if '?' in path else '?'}limit=1")
        if page and page.get("results"):
            return page["results"][0]["id"]
        made = self.call("POST", path.split("?")[0], body)
        return made["id"] if made else None


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def upload_image(api: Api) -> int | None:
    page = api.call("GET", "/api/images/?limit=1")
    if page and page.get("results"):
        return page["results"][0]["id"]
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nfuzz\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="fuzz.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + png_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    made = api.call(
        "POST", "/api/images/", raw=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    return made["id"] if made else None


def main(base: str, token: str) -> None:
    api = Api(base, token)
    image = upload_image(api)
    country = api.first_or_create("/api/countries/", {"name": "ایران", "code": "IR"})
    state = api.first_or_create(
        f"/api/states/?country={country}&", {"name": "تهران", "code": "THR", "country": country}
    )
    city = api.first_or_create(f"/api/cities/?state={state}&", {"name": "تهران", "state": state})
    api.first_or_create(
        "/api/branches/", {"name": "شعبه مرکزی", "code": "FZ1", "city": city, "is_active": True}
    )
    customer = api.first_or_create(
        "/api/customers/", {"mobile_number": "09121234567", "first_name": "علی"}
    )
    product = api.first_or_create(
        "/api/products/",
        {"code": "FUZZ-1", "title": "کالای آزمایشی", "price": 9780000, "image": image},
    )
    payment_method = api.first_or_create(
        "/api/payment-methods/", {"name": "درگاه اینترنتی", "image": image, "is_active": True}
    )
    shipping_method = api.first_or_create(
        "/api/shipping-methods/", {"name": "پست پیشتاز", "is_active": True}
    )
    api.first_or_create("/api/roles/", {"name": "fuzz-role", "permission_codes": [2202, 2203]})
    api.first_or_create(
        "/api/users/", {"username": "fuzz-staff", "is_staff": True, "permission_codes": [2202]}
    )
    made = api.call(
        "POST",
        "/api/orders/",
        {
            "customer": customer,
            "payment_method": payment_method,
            "shipping_method": shipping_method,
            "shipping_cost": 75000,
            "billing_country": country,
            "billing_state": state,
            "billing_city": city,
            "notes": "fuzz",
        },
    )
    pinned = {"order": None, "item": None, "payment": None, "webhook": None}
    # A public address literal: valid without DNS, and never sent to (no worker runs here).
    pinned["webhook"] = api.first_or_create(
        "/api/webhooks/", {"url": "https://93.184.215.14/fuzz", "events": ["*"]}
    )
    if pinned["webhook"]:
        api.call("POST", f"/api/webhooks/{pinned['webhook']}/ping/")
    if made is not None:
        pinned["order"] = made["id"]
        if product is not None:
            body = {"product": product, "quantity": 5, "unit_discount": 80000}
            order = api.call("POST", f"/api/orders/{made['id']}/items/", body)
            if order and order["items"]:
                pinned["item"] = order["items"][0]["id"]
        body = {"payment_method": payment_method, "amount": 500000, "approved": True}
        order = api.call("POST", f"/api/orders/{made['id']}/payments/", body)
        if order and order["payments"]:
            pinned["payment"] = order["payments"][0]["id"]
    sys.stdout.write(json.dumps(pinned) + "\n")


# Operations whose valid-looking requests may rightly be refused, and why (docs/reliability.md):
# the schema describes each field alone and cannot say which ids exist, which unique values are
# taken, or the rules that tie one field to another or to the row's current state.
POSITIVE_DATA_EXCLUDED: dict[str, str] = {
    "auth_token_create": "which username/password pairs exist",
    "orders_destroy": "status moves: a processing/shipped/completed order cannot be deleted",
    "orders_changes_list": "a cursor is opaque: only the ones the feed issued are accepted",
    "images_create": "the file must be a decodable image",
    "orders_shipments_destroy": "only a pending shipment can be deleted (SPEC §14)",
    "webhooks_deliveries_retry_create": "only a failed delivery can be retried (409)",
}
for _prefix, _why in {
    "branches": "city ids that exist, a unique code",
    "coupons": "a unique code (ignoring case), max_discount on percent coupons only, valid_from "
    "before valid_to, a code that orders hold cannot change",
    "cities": "state ids that exist, a name unique within its state",
    "countries": "a unique code",
    "customers": "unique usernames and mobile numbers",
    "orders": "ids that exist, state within country, status moves, national-code check digit",
    "orders_items": "product ids/options that exist, unit_discount <= unit_price, locked orders",
    "orders_payments": "payment method ids that exist, approved amount <= outstanding",
    "orders_shipments": "item ids of the order, quantities left to ship, the shipment status "
    "table, the order's status (SPEC §14)",
    "orders_refunds": "approved payments of the order, amounts and quantities left (SPEC §14)",
    "payment_methods": "image ids that exist",
    "shipping_methods": "image ids that exist",
    "products": "unique code and slug, image ids, price + option delta >= 0",
    "roles": "a unique name",
    "states": "country ids that exist, a code unique within its country",
    "users": "unique usernames and mobile numbers, role ids that exist",
    "webhooks": "a URL whose host is, or resolves (DNS) to, a public address",
}.items():
    for _action in ("create", "update", "partial_update"):
        POSITIVE_DATA_EXCLUDED[f"{_prefix}_{_action}"] = _why


# A multipart body carries every value as text: an "integer" `name` and the text "131072" are
# the same bytes on the wire, so schemathesis' type-changed negative data is valid there.
NEGATIVE_DATA_EXCLUDED: dict[str, str] = {
    "images_create": "multipart/form-data: every value is text, a mutated type cannot be seen",
}

# Narrower than turning the check off: valid-looking data may be a 400 there, and still never a
# 5xx, a 422 or anything else undeclared.
POSITIVE_MAY_BE_400 = (
    'checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", '
    '"409", "414", "429"]'
)

# On every operation: gunicorn answers 414 to a request line over 4094 bytes (a long `*_in` list
# of ids, say) before Django sees it. The schema declares that 414, and no field's schema can
# bound it (the limit is on all the query parameters together), so it is an accepted answer to
# valid and invalid data alike; otherwise each check keeps schemathesis' own list.
EVERY_OPERATION = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "414", "429", "5xx"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428",
    "429", "5xx"]
"""


def schemathesis_config(pinned: dict) -> str:
    """A schemathesis.toml: `order_pk` (and the item/payment `id`) pinned to the fresh order, and
    a 400 allowed for valid-looking data where only state decides (POSITIVE_DATA_EXCLUDED)."""
    lines = [EVERY_OPERATION]
    parameters = []
    if pinned["order"]:
        parameters.append(f'"path.order_pk" = {pinned["order"]}')
    if pinned.get("webhook"):
        parameters.append(f'"path.webhook_pk" = {pinned["webhook"]}')
    if parameters:
        lines += ["[parameters]", *parameters, ""]
    excluded = dict(POSITIVE_DATA_EXCLUDED)
    for kind in ("item", "payment"):
        if pinned[kind]:
            # One entry per operation: schemathesis applies the first [[operations]] that matches.
            for action in ("retrieve", "update", "partial_update", "destroy"):
                operation_id = f"orders_{kind}s_{action}"
                lines += [
                    "[[operations]]",
                    f'include-operation-id = "{operation_id}"',
                    f'parameters = {{ "path.id" = {pinned[kind]} }}',
                ]
                if excluded.pop(operation_id, None):
                    lines.append(POSITIVE_MAY_BE_400)
                lines.append("")
    for operation_id, why in NEGATIVE_DATA_EXCLUDED.items():
        lines += [
            f"# {why}",
            "[[operations]]",
            f'include-operation-id = "{operation_id}"',
            'checks.negative_data_rejection.expected-statuses = ["2xx", "400", "401", "403", '
            '"404", "409", "413", "414", "415", "422", "429"]',
            "",
        ]
    lines += [
        "[[operations]]",
        f"include-operation-id = {json.dumps(sorted(excluded))}",
        POSITIVE_MAY_BE_400,
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "--config":
        sys.stdout.write(schemathesis_config(json.loads(sys.argv[2])))
    else:
        main(*sys.argv[1:3])
