"""The floor: the same order pages as the API, read with hand-written SQL through psycopg and
dumped with orjson in one process, with no web framework, ORM or HTTP in the way.

It answers "how fast could this page be at all on this machine and database?": each scenario's
API latency is reported as a ratio to it. The JSON built here is the API's, every key of it
(SPEC §5, §11-§14: places, shipments, refunds, the status machine's next statuses, snapshot
image URLs); `run.py` compares the two for every read scenario and fails on any difference, so
a floor that drifted from the real shape cannot flatter the API.

A few queries per page, like a careful hand-written implementation would use: the count, the
page of orders joined to their customer and methods, then the page's billing places (one query
per kind), its items (with product title), its payments (with method), its shipments and
refunds (with their lines) and one query for every image and thumbnail involved.
Timestamps are formatted by PostgreSQL and JSON columns are passed through as raw JSON text
(`orjson.Fragment`), the cheapest honest way to produce the same bytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from urllib.parse import urlencode

import orjson
import psycopg

from bazaar.api.text import term_spellings
from bazaar.orders.status import allowed_next  # the status machine's table, pure Python

ISO = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""


def ts(column: str) -> str:
    return f"to_char({column} AT TIME ZONE 'UTC', {ISO})"


ORDER_COLUMNS = f"""
    o.id, o.key, o.status, o.shipping_cost, o.notes, o.extra::text,
    {ts("o.created_at")}, {ts("o.updated_at")},
    o.billing_address, o.billing_postal_code, o.billing_national_code,
    o.billing_mobile_number, o.billing_first_name, o.billing_last_name,
    o.item_count, o.item_quantity, o.items_subtotal, o.items_discount, o.amount_paid,
    c.id, c.username, c.mobile_number, c.first_name, c.last_name,
    pm.id, pm.name, pm.image_id, sm.id, sm.name, sm.image_id,
    o.billing_country_id, o.billing_state_id, o.billing_city_id,
    o.coupon_id, o.coupon_code, o.coupon_kind, o.coupon_value, o.coupon_discount,
    o.order_discount, to_char(o.tax_rate, 'FM990.00'), o.tax, o.total, o.tags::text, o.source,
    o.billing_email, o.delivery_method, o.pickup_branch_id, o.shipping_first_name,
    o.shipping_last_name, o.shipping_mobile_number, o.shipping_country_id, o.shipping_state_id,
    o.shipping_city_id, o.shipping_address, o.shipping_postal_code, o.shipping_latitude::float8,
    o.shipping_longitude::float8, o.version, o.fulfilment_status, o.amount_refunded
"""

# Three joins: PostgreSQL's planning time grows steeply with the number of joined tables (13-19
# ms with the three billing places joined as well, for a page that executes in 1-5 ms), so the
# places are looked up by id afterwards, as the API does.
ORDER_FROM = """
    orders_order o
    LEFT JOIN accounts_user c ON c.id = o.customer_id
    LEFT JOIN methods_paymentmethod pm ON pm.id = o.payment_method_id
    LEFT JOIN methods_shippingmethod sm ON sm.id = o.shipping_method_id
"""

PLACES_SQL = {
    "countries": "SELECT id, name, code FROM geo_country WHERE id = ANY(%s)",
    "states": "SELECT id, name, code FROM geo_state WHERE id = ANY(%s)",
    "cities": "SELECT id, name FROM geo_city WHERE id = ANY(%s)",
    "branches": "SELECT id, name, code FROM methods_branch WHERE id = ANY(%s)",
}
# The order columns (positions in ORDER_COLUMNS) naming each kind of place.
PLACE_COLUMNS = {"countries": (30, 50), "states": (31, 51), "cities": (32, 52), "branches": (46,)}

# The snapshot's image path becomes its URL (the API builds it from the same media URL).
ITEMS_SQL = f"""
    SELECT i.order_id, i.id, i.product_id, p.title,
           (CASE WHEN coalesce(i.product_data->'image'->>'f', '') = '' THEN i.product_data
                 ELSE jsonb_set(i.product_data, '{{image,f}}',
                                to_jsonb(%s || (i.product_data->'image'->>'f'))) END)::text,
           i.unit_price, i.unit_discount, i.quantity, i.notes, {ts("i.created_at")},
           {ts("i.updated_at")}, i.options::text, i.quantity_shipped, i.quantity_returned
    FROM orders_orderitem i LEFT JOIN catalog_product p ON p.id = i.product_id
    WHERE i.order_id = ANY(%s) ORDER BY i.id
"""

# SPEC §14: a shipment or refund per line row (a LEFT JOIN), folded in Python.
SHIPMENTS_SQL = f"""
    SELECT s.order_id, s.id, s.status, m.id, m.name, m.image_id, s.tracking_number,
           s.tracking_url, s.notes, {ts("s.shipped_at")}, {ts("s.delivered_at")},
           {ts("s.created_at")}, {ts("s.updated_at")}, l.item_id, l.quantity
    FROM fulfilment_shipment s LEFT JOIN methods_shippingmethod m ON m.id = s.shipping_method_id
    LEFT JOIN fulfilment_shipmentitem l ON l.shipment_id = s.id
    WHERE s.order_id = ANY(%s) ORDER BY s.id, l.id
"""

REFUNDS_SQL = f"""
    SELECT r.order_id, r.id, r.payment_id, r.amount, r.reason, u.id, u.username,
           {ts("r.created_at")}, l.item_id, l.quantity
    FROM fulfilment_refund r LEFT JOIN accounts_user u ON u.id = r.actor_id
    LEFT JOIN fulfilment_refunditem l ON l.refund_id = r.id
    WHERE r.order_id = ANY(%s) ORDER BY r.id, l.id
"""

PAYMENTS_SQL = f"""
    SELECT y.order_id, y.id, m.id, m.name, m.image_id, y.approved, y.amount, y.transaction_id,
           y.notes, {ts("y.created_at")}, {ts("y.updated_at")}
    FROM orders_orderpayment y LEFT JOIN methods_paymentmethod m ON m.id = y.payment_method_id
    WHERE y.order_id = ANY(%s) ORDER BY y.id
"""

IMAGES_SQL = """
    SELECT im.id, im.name, im.file, im.size, im.width, im.height, im.mode, t.id, t.file, t.size
    FROM media_image im LEFT JOIN media_thumbnail t ON t.image_id = im.id
    WHERE im.id = ANY(%s) ORDER BY im.id, t.size, t.id
"""

# The order search of SPEC §5 and §16 for one term, as the API's filter writes it: the term is
# folded by the project's one folding function (bazaar/api/text.py, pure Python, no Django
# needed to call it) and looked for, in each of its spellings (two for a mobile number typed
# +98…), in the folded `search_text` columns that the database keeps, through the same trigram
# indexes; the customers and places it matches are looked up first, as the API does.
SEARCH_SQL = " OR ".join(
    [
        "o.key LIKE %(prefix)s",
        "o.search_text LIKE ANY(%(patterns)s)",
        "o.customer_id = ANY(%(customers)s)",
        "o.billing_country_id = ANY(%(countries)s)",
        "o.billing_state_id = ANY(%(states)s)",
        "o.billing_city_id = ANY(%(cities)s)",
        "o.coupon_id = ANY(%(coupons)s)",  # SPEC §12: a coupon code by prefix
    ]
)
# An integer term is also an order id or a customer id (exactly).
NUMBER_SQL = " OR o.id = %(number)s OR o.customer_id = %(number)s"
SEARCH_LOOKUPS = {
    "customers": "SELECT coalesce(array_agg(u.id), '{}') FROM accounts_user u "
    "WHERE NOT u.is_staff AND NOT u.is_superuser AND u.search_text LIKE ANY(%(patterns)s)",
    **{
        kind: f"SELECT coalesce(array_agg(id), '{{}}') FROM {table} "
        "WHERE search_text LIKE ANY(%(patterns)s)"
        for kind, table in (
            ("countries", "geo_country"),
            ("states", "geo_state"),
            ("cities", "geo_city"),
        )
    },
    # Only for a term that can begin a code (`code_prefix` is NULL otherwise), as the API does.
    "coupons": "SELECT coalesce(array_agg(id), '{}') FROM coupons_coupon "
    "WHERE code LIKE %(code_prefix)s",
}


DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} GB"


@dataclass
class Page:
    """One list or detail request: a WHERE clause with its parameters."""

    where: str
    params: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)  # the API's query, for the next link
    single: bool = False  # the detail endpoint: one object, no envelope
    # A page filtered by status alone is counted from the per-status tallies the database keeps
    # (orders_orderstatusdelta), as the API does: the cheapest exact count there is.
    count_statuses: str | None = None
    # Parameters read from the database before the page: name -> SQL returning one value.
    lookups: dict[str, str] = field(default_factory=dict)
    # A count other than the rows' (a search's, from the word postings, as the API does): the
    # count and the ids of the page (`page_ids`), from one statement.
    count_sql: str | None = None


# A search term's count and page from the word postings (selectors.order_term_matches): one
# word's newest postings read backwards from the primary key, or several words' union.
SEARCH_PAGE_SQL = (
    "WITH words AS MATERIALIZED (SELECT id FROM orders_search_word "
    "WHERE word LIKE ANY(%(patterns)s)), others AS MATERIALIZED ({others}), "
    "one AS (SELECT CASE WHEN count(*) = 1 THEN min(id) END AS id FROM words), "
    "matched AS MATERIALIZED (SELECT created_at, order_id FROM orders_search_posting "
    "WHERE word_id IN (SELECT id FROM words) UNION SELECT created_at, id FROM others) "
    "SELECT CASE WHEN (SELECT id FROM one) IS NOT NULL THEN "
    "(SELECT count(*) FROM orders_search_posting WHERE word_id = (SELECT id FROM one)) + "
    "(SELECT count(*) FROM others o WHERE NOT EXISTS (SELECT 1 FROM orders_search_posting p "
    "WHERE p.word_id = (SELECT id FROM one) AND p.created_at = o.created_at "
    "AND p.order_id = o.id)) ELSE (SELECT count(*) FROM matched) END, "
    "CASE WHEN (SELECT id FROM one) IS NOT NULL THEN ARRAY("
    "SELECT order_id FROM ((SELECT created_at, order_id FROM orders_search_posting "
    "WHERE word_id = (SELECT id FROM one) ORDER BY created_at DESC, order_id DESC "
    "LIMIT %(limit)s) UNION SELECT created_at, id FROM others) AS page "
    "ORDER BY created_at DESC, order_id DESC LIMIT %(limit)s) "
    "ELSE ARRAY(SELECT order_id FROM matched ORDER BY created_at DESC, order_id DESC "
    "LIMIT %(limit)s) END"
)

TALLY_SQL = "SELECT coalesce(sum(delta), 0)::bigint FROM orders_orderstatusdelta WHERE "


def page_for(scenario: str, query: dict[str, str]) -> Page:
    """The floor's version of each read scenario of run.py; `query` is the API's query string
    as a dict (for `retrieve`: {"id": ...})."""
    live = "o.status <> 'deleted'"
    if scenario == "list":
        return Page(live, {}, query, count_statuses="status <> 'deleted'")
    if scenario == "status":
        where = f"{live} AND o.status = %(status)s"
        return Page(where, {"status": query["status"]}, query, count_statuses="status = %(status)s")
    if scenario == "customer":
        return Page(f"{live} AND o.customer_id = %(c)s", {"c": int(query["customer"])}, query)
    if scenario == "dates":
        # Date-only bounds in UTC (the bench server's TIME_ZONE); `created_to` covers its day.
        start = datetime.combine(date.fromisoformat(query["created_from"]), dt_time(), UTC)
        end = datetime.combine(date.fromisoformat(query["created_to"]), dt_time(), UTC)
        where = f"{live} AND o.created_at >= %(start)s AND o.created_at < %(end)s"
        return Page(where, {"start": start, "end": end + timedelta(days=1)}, query)
    if scenario.startswith("search"):
        spellings = term_spellings(query["search"])
        values: dict[str, Any] = {
            "patterns": [f"%{_escape_like(spelling)}%" for spelling in spellings],
            "prefix": f"{_escape_like(spellings[0])}%",
        }
        where = SEARCH_SQL
        if spellings[0].isdecimal() and int(spellings[0]) < 2**63:
            where += NUMBER_SQL
            values["number"] = int(spellings[0])
        code = query["search"].translate(DIGITS).upper()
        code_like = code.isascii() and code.replace("-", "").replace("_", "").isalnum()
        values["code_prefix"] = f"{_escape_like(code)}%" if code_like else None
        if all(len(spelling) >= 3 and " " not in spelling for spelling in spellings):
            # As the API reads it (selectors.order_term_matches): in one statement, the exact
            # count and the page's ids from the word postings, which carry their order's sort
            # key (the order's own text and its customer's), with the orders matched otherwise.
            others = where.replace("o.search_text LIKE ANY(%(patterns)s)", "false").replace(
                "o.customer_id = ANY(%(customers)s)", "false"
            )
            lookups = {k: v for k, v in SEARCH_LOOKUPS.items() if k != "customers"}
            page = Page("o.id = ANY(%(page_ids)s)", values, query, lookups=lookups)
            page.count_sql = SEARCH_PAGE_SQL.format(
                others=f"SELECT o.id, o.created_at FROM orders_order o WHERE {live} AND ({others})"
            )
            return page
        return Page(f"{live} AND ({where})", values, query, lookups=SEARCH_LOOKUPS)
    if scenario == "coupon":
        return Page(f"{live} AND o.coupon_id = %(c)s", {"c": int(query["coupon"])}, query)
    if scenario == "retrieve":
        return Page("o.id = %(id)s", {"id": int(query["id"])}, single=True)
    raise KeyError(scenario)


class Floor:
    def __init__(self, dsn: str, base_url: str, media_url: str = "/media/") -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.base = base_url.rstrip("/")
        self.media = self.base + media_url
        self.currency = os.environ.get("CURRENCY", "IRR")  # the API's setting of the same name

    def close(self) -> None:
        self.conn.close()

    def _images(self, cur, ids: set[int]) -> dict[int, dict[str, Any]]:
        images: dict[int, dict[str, Any]] = {}
        if not ids:
            return images
        for iid, name, file, size, width, height, mode, tid, tfile, tsize in cur.execute(
            IMAGES_SQL, (list(ids),)
        ):
            image = images.get(iid)
            if image is None:
                image = images[iid] = {
                    "id": iid,
                    "type": "image",
                    "name": name,
                    "size": size,
                    "human_readable_size": human_size(size),
                    "f": self.media + file,
                    "width": width,
                    "height": height,
                    "mode": mode,
                    "thumbnails": [],
                }
            if tid is not None:
                image["thumbnails"].append({"id": tid, "f": self.media + tfile, "size": tsize})
        return images

    def render(self, page: Page, limit: int = 100) -> bytes:
        cur = self.conn.cursor()
        count = None
        for name, sql in page.lookups.items():
            page.params[name] = cur.execute(sql, page.params).fetchone()[0]
        where = page.where
        if page.count_sql is not None:
            page.params["limit"] = limit
            count, page.params["page_ids"] = cur.execute(page.count_sql, page.params).fetchone()
        elif page.count_statuses is not None:
            count = cur.execute(TALLY_SQL + page.count_statuses, page.params).fetchone()[0]
        elif not page.single:
            count = cur.execute(
                f"SELECT count(*) FROM orders_order o WHERE {page.where}", page.params
            ).fetchone()[0]
        rows = cur.execute(
            f"SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE {where} "
            f"ORDER BY o.created_at DESC, o.id DESC LIMIT {int(limit)}",
            page.params,
        ).fetchall()
        ids = [row[0] for row in rows]
        places: dict[str, dict[int, dict[str, Any]]] = {}
        for kind, columns in PLACE_COLUMNS.items():
            wanted = list({row[c] for row in rows for c in columns if row[c] is not None})
            places[kind] = {}
            if wanted:
                for place in cur.execute(PLACES_SQL[kind], (wanted,)):
                    keys = ("id", "name", "code")[: len(place)]
                    places[kind][place[0]] = dict(zip(keys, place, strict=True))
        items: dict[int, list] = {i: [] for i in ids}
        for (oid, iid, pid, title, pdata, price, disc, qty, notes, created, updated, options,
             shipped, returned) in cur.execute(ITEMS_SQL, (self.media, ids)):  # fmt: skip
            sub, dis = price * qty, disc * qty
            items[oid].append(
                {
                    "id": iid,
                    "product": pid,
                    "product_title": title,
                    "product_name": title,
                    "product_data": orjson.Fragment(pdata),
                    "unit_price": price,
                    "unit_discount": disc,
                    "quantity": qty,
                    "notes": notes,
                    "subtotal": sub,
                    "discount": dis,
                    "total": sub - dis,
                    "created_at": created,
                    "updated_at": updated,
                    "options": orjson.Fragment(options),
                    "quantity_shipped": shipped,
                    "quantity_returned": returned,
                }
            )
        payment_rows = cur.execute(PAYMENTS_SQL, (ids,)).fetchall()
        shipment_rows = cur.execute(SHIPMENTS_SQL, (ids,)).fetchall()
        refund_rows = cur.execute(REFUNDS_SQL, (ids,)).fetchall()
        image_ids = {r[26] for r in rows if r[26]} | {r[29] for r in rows if r[29]}
        image_ids |= {r[4] for r in payment_rows if r[4]}
        image_ids |= {r[5] for r in shipment_rows if r[5]}
        images = self._images(cur, image_ids)

        def method(mid, name, image_id):
            if mid is None:
                return None
            return {"id": mid, "name": name, "image": images.get(image_id)}

        payments: dict[int, list] = {i: [] for i in ids}
        for (
            oid,
            yid,
            mid,
            mname,
            mimg,
            approved,
            amount,
            txn,
            notes,
            created,
            updated,
        ) in payment_rows:
            payments[oid].append(
                {
                    "id": yid,
                    "payment_method_data": method(mid, mname, mimg),
                    "approved": approved,
                    "amount": amount,
                    "transaction_id": txn,
                    "notes": notes,
                    "created_at": created,
                    "updated_at": updated,
                }
            )
        shipments: dict[int, list] = {i: [] for i in ids}
        for (oid, sid, sstatus, mid, mname, mimg, tracking, url, snotes, shipped_at, delivered,
             screated, supdated, line_item, line_qty) in shipment_rows:  # fmt: skip
            found = shipments[oid]
            if not found or found[-1]["id"] != sid:
                found.append(
                    {
                        "id": sid,
                        "status": sstatus,
                        "shipping_method": mid,
                        "shipping_method_data": method(mid, mname, mimg),
                        "tracking_number": tracking,
                        "tracking_url": url,
                        "items": [],
                        "notes": snotes,
                        "shipped_at": shipped_at,
                        "delivered_at": delivered,
                        "created_at": screated,
                        "updated_at": supdated,
                    }
                )
            if line_item is not None:
                found[-1]["items"].append({"item": line_item, "quantity": line_qty})
        refunds: dict[int, list] = {i: [] for i in ids}
        for (oid, rid, payment, amount, reason, actor, actor_name, rcreated, line_item,
             line_qty) in refund_rows:  # fmt: skip
            found = refunds[oid]
            if not found or found[-1]["id"] != rid:
                found.append(
                    {
                        "id": rid,
                        "payment": payment,
                        "amount": amount,
                        "reason": reason,
                        "items": [],
                        "actor": None if actor is None else {"id": actor, "username": actor_name},
                        "created_at": rcreated,
                    }
                )
            if line_item is not None:
                found[-1]["items"].append({"item": line_item, "quantity": line_qty})
        results = []
        for r in rows:
            (oid, key, status, shipping, notes, extra, created, updated, addr, postal, national,
             mobile, first, last, count_, qty, isub, idisc, paid,
             cid, cuser, cmobile, cfirst, clast, pmid, pmname, pmimg, smid, smname, smimg,
             coid, stid, ciid, kid, kcode, kkind, kvalue, kdisc, odisc, rate, tax, total, tags,
             source, email, delivery, branch, sfirst, slast, smobile, scoid, sstid, sciid, saddr,
             spostal, lat, lng, version, fulfilment, refunded) = r  # fmt: skip
            outstanding = total - paid
            discounts = []
            if idisc:
                discounts.append({"type": "items", "amount": idisc})
            if kdisc:
                discounts.append({"type": "coupon", "code": kcode, "amount": kdisc})
            if odisc:
                discounts.append({"type": "order", "amount": odisc})
            results.append(
                {
                    "id": oid,
                    "key": key,
                    "status": status,
                    "customer_data": None
                    if cid is None
                    else {
                        "id": cid,
                        "username": cuser,
                        "mobile_number": cmobile,
                        "first_name": cfirst,
                        "last_name": clast,
                        "full_name": f"{cfirst} {clast}".strip(),
                    },
                    "payment_method_data": method(pmid, pmname, pmimg),
                    "shipping_method_data": method(smid, smname, smimg),
                    "shipping_cost": shipping,
                    "notes": notes,
                    "extra": orjson.Fragment(extra),
                    "created_at": created,
                    "updated_at": updated,
                    "billing_country_data": places["countries"].get(coid),
                    "billing_state_data": places["states"].get(stid),
                    "billing_city_data": places["cities"].get(ciid),
                    "billing_address": addr,
                    "billing_postal_code": postal,
                    "billing_national_code": national,
                    "billing_mobile_number": mobile,
                    "billing_first_name": first,
                    "billing_last_name": last,
                    "count": count_,
                    "quantity": qty,
                    "items_subtotal": isub,
                    "items_discount": idisc,
                    "subtotal": isub,
                    "total_discount": idisc + kdisc + odisc,
                    "total": total,
                    "amount_paid": paid,
                    "amount_outstanding": outstanding,
                    "is_paid": total > 0 and outstanding <= 0,
                    "is_payable": count_ > 0
                    and outstanding > 0
                    and status not in ("cancelled", "failed", "refunded", "deleted"),
                    "items": items[oid],
                    "payments": payments[oid],
                    # SPEC §12
                    "coupon_code": kcode,
                    "coupon_data": None
                    if kid is None
                    else {"id": kid, "code": kcode, "kind": kkind, "value": kvalue},
                    "coupon_discount": kdisc,
                    "order_discount": odisc,
                    "tax_rate": rate,
                    "tax": tax,
                    "currency": self.currency,
                    "discounts": discounts,
                    "tags": orjson.Fragment(tags),
                    "source": source,
                    # SPEC §11
                    "billing_email": email,
                    "delivery_method": delivery,
                    "pickup_branch_data": places["branches"].get(branch),
                    "shipping_first_name": sfirst,
                    "shipping_last_name": slast,
                    "shipping_mobile_number": smobile,
                    "shipping_country_data": places["countries"].get(scoid),
                    "shipping_state_data": places["states"].get(sstid),
                    "shipping_city_data": places["cities"].get(sciid),
                    "shipping_address": saddr,
                    "shipping_postal_code": spostal,
                    "shipping_latitude": lat,
                    "shipping_longitude": lng,
                    # SPEC §13
                    "version": version,
                    "allowed_next_statuses": allowed_next(status),
                    # SPEC §14
                    "fulfilment_status": fulfilment,
                    "amount_refunded": refunded,
                    "net_paid": paid - refunded,
                    "shipments": shipments[oid],
                    "refunds": refunds[oid],
                }
            )
        if page.single:
            return orjson.dumps(results[0] if results else None)
        following = None
        if count > limit:
            query = urlencode(sorted({**page.query, "offset": str(limit)}.items()))
            following = f"{self.base}/api/orders/?{query}"
        return orjson.dumps(
            {
                "count": count,
                "next": following,
                "previous": None,
                "results": results,
            }
        )

    def time(self, pages: list[Page], samples: int, warmup: int) -> list[float]:
        """Milliseconds per page, sequential, after `warmup` unmeasured renders."""
        for i in range(warmup):
            self.render(pages[i % len(pages)])
        out = []
        clock: Callable[[], float] = time.perf_counter
        for i in range(samples):
            started = clock()
            self.render(pages[i % len(pages)])
            out.append((clock() - started) * 1000)
        return out
