"""Show with EXPLAIN that the order list reads indexes (issue 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_bench_1000000 \\
        .venv/bin/python bench/explain.py [--out docs/performance-explain.md]

For each scenario of `GET /api/orders/` (default page, status, customer, date range, searches,
a deep offset) the real request is sent through Django's test client, in process, and every SQL
statement it runs is captured. Each captured SELECT that reads orders_order, orders_orderitem or
orders_orderpayment is then run again under `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT)`, exactly as
captured (on PostgreSQL the captured SQL is psycopg's own interpolation, runnable as is). The
script does not depend on the shape of the read path: whatever statements the request runs are
the ones explained, so it can be re-run after the list is rewritten.

The request parameters are taken from the data, deterministically. Nothing is written to the
database except the `admin` user (`ensure_admin`) and one API token, deleted at the end; the
throttle counters are kept in process memory (not the database cache) and the EXPLAINs run in a
READ ONLY transaction. `--vacuum-analyze` runs VACUUM ANALYZE on the order tables first (what
autovacuum does in a real deployment after a bulk load).

Exit status: 0 when every checked scenario's page query reads orders_order through an index;
1 when one falls back to a Seq Scan on orders_order (the report is written anyway); 2 when a
request did not answer 200 or the set-up failed. The deep-offset scenario is for information
and never fails the run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from terms import MOBILE_PART_SQL, MOBILE_PART_TARGET

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/bazaar_bench_1000000"
ORDER_TABLES = ("orders_order", "orders_orderitem", "orders_orderpayment")

SEQ_SCAN_ORDERS = re.compile(r"Seq Scan on orders_order\b")
INDEX_LINE = re.compile(
    r"(?P<kind>Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)?"
    r" (?:using|on) (?P<index>[\w\"]+)(?: on (?P<table>\w+))?"
)
SCAN_LINE = re.compile(
    r"(?P<kind>(?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan"
    r"|Bitmap Index Scan))(?: Backward)? (?:using (?P<index>\S+) )?on (?P<rel>\w+)"
)
EXEC_TIME = re.compile(r"Execution Time: ([\d.]+) ms")
PLAN_TIME = re.compile(r"Planning Time: ([\d.]+) ms")
FROM_TABLE = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)
IMPORTANT = re.compile(
    r"Scan|Index Cond|Recheck Cond|Filter|Rows Removed|Sort|Limit|Aggregate|Gather|SubPlan"
    r"|Execution Time|Planning Time|JIT"
)
PLAN_KEEP = 60  # plans longer than this many lines are trimmed (scan lines are always kept)


def configure_environment(dsn: str | None) -> str:
    env = os.environ
    env["DATABASE_URL"] = dsn or env.get("DATABASE_URL") or DEFAULT_DSN
    env.setdefault("DJANGO_SETTINGS_MODULE", "bazaar.settings")
    env.setdefault("DEBUG", "false")
    env.setdefault("SECRET_KEY", "explain-only-secret-key-not-for-production-" + "x" * 24)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    env.setdefault("TIME_ZONE", "UTC")
    env.setdefault("THROTTLE_TOKEN_RATE", "1000000/min")  # a rate, not a secret
    env.setdefault("THROTTLE_ANON_RATE", "1000000/min")
    env.setdefault("LOG_LEVEL", "WARNING")
    env.setdefault("BAZAAR_DATA_DIR", "/tmp/bazaar-explain-data")  # noqa: S108
    Path(env["BAZAAR_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    return env["DATABASE_URL"]


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    label: str
    query: dict[str, str]
    checked: bool = True  # a Seq Scan on orders_order in its page query fails the run
    note: str = ""

    @property
    def path(self) -> str:
        return "/api/orders/?" + urlencode(self.query, quote_via=quote)


@dataclass
class Statement:
    role: str
    sql: str
    plan: str = ""
    exec_ms: list[float] = field(default_factory=list)
    plan_ms: list[float] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)  # "index (table)" in plan order
    seq_scans: list[str] = field(default_factory=list)  # relations read by a Seq Scan
    seq_scan_orders: bool = False
    error: str = ""

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.exec_ms) if self.exec_ms else None


@dataclass
class Result:
    scenario: Scenario
    status: int = 0
    wall_ms: list[float] = field(default_factory=list)
    queries: int = 0
    statements: list[Statement] = field(default_factory=list)
    error: str = ""

    def first(self, role: str) -> Statement | None:
        return next((s for s in self.statements if s.role == role), None)

    @property
    def page(self) -> Statement | None:
        return self.first("page")

    @property
    def count(self) -> Statement | None:
        return self.first("count")

    @property
    def failed(self) -> bool:
        page = self.page
        return self.scenario.checked and page is not None and page.seq_scan_orders


def one(sql: str, *params: Any) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def pick_scenarios(warm_offset: int) -> list[Scenario]:
    """Request parameters taken from the data, deterministically."""
    from bazaar.orders.status import Status

    counts = {
        status: one("SELECT count(*) FROM orders_order WHERE status = %s", status)
        for status in ("processing", "new", "hold", "shipped")
    }
    status = next((s for s, n in counts.items() if n), None)
    if status is None:  # any non-deleted status that exists
        status = one(
            "SELECT status FROM orders_order WHERE status <> %s GROUP BY 1 "
            "ORDER BY count(*), 1 LIMIT 1",
            Status.DELETED,
        )
    common = one(
        "SELECT status FROM orders_order WHERE status <> %s GROUP BY 1 "
        "ORDER BY count(*) DESC, 1 LIMIT 1",
        Status.DELETED,
    )
    customer = one(
        "SELECT customer_id FROM orders_order WHERE customer_id IS NOT NULL AND status <> %s "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        Status.DELETED,
    )
    # The seed's own rows: whatever a benchmark run added later is left out.
    newest = one("SELECT max(created_at) FROM orders_order WHERE notes IS DISTINCT FROM 'bench'")
    oldest = one("SELECT min(created_at) FROM orders_order")
    if newest is None or customer is None:
        raise SystemExit("the database has no orders (or none with a customer): seed it first")
    day = (newest - timedelta(days=10)).date()
    if day < oldest.date():
        day = oldest.date()
    name = one(
        "SELECT first_name FROM accounts_user WHERE NOT is_staff AND NOT is_superuser "
        "AND length(first_name) >= 3 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    median_id = one(
        "SELECT id FROM orders_order WHERE status <> %s ORDER BY id "
        "OFFSET (SELECT count(*) / 2 FROM orders_order WHERE status <> %s) LIMIT 1",
        Status.DELETED,
        Status.DELETED,
    )
    key = one("SELECT key FROM orders_order WHERE id = %s", median_id)
    # As bench/run.py picks them (bench/terms.py): four digits of a mobile number that match
    # about a thousand orders, and the most common last name with a yeh or a kaf typed with
    # Arabic letters (SPEC §16).
    mobile_part = one(MOBILE_PART_SQL, MOBILE_PART_TARGET)
    arabic = one(
        "SELECT last_name FROM accounts_user WHERE NOT is_staff AND NOT is_superuser "
        "AND last_name ~ '[یک]' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )

    page = {"limit": "100"}
    scenarios = [
        Scenario("default", "default page", dict(page)),
        Scenario("status", f"status={status}", {**page, "status": status}),
        Scenario(
            "status_common",
            f"status={common} (most common)",
            {**page, "status": common},
            note="the most common status: the count reads the most index entries",
        ),
        Scenario("customer", "customer (most orders)", {**page, "customer": str(customer)}),
        Scenario(
            "dates",
            "created_from/to (2 days)",
            {
                **page,
                "created_from": day.isoformat(),
                "created_to": (day + timedelta(days=1)).isoformat(),
            },
        ),
    ]
    if name:
        scenarios.append(
            Scenario(
                "search_name",
                "search=<common first name>",
                {**page, "search": name},
                note="the most common customer first name",
            )
        )
    if mobile_part:
        scenarios.append(
            Scenario(
                "search_mobile",
                "search=<4 digits of a mobile>",
                {**page, "search": mobile_part},
                note="four digits of a mobile number that match about a thousand orders",
            )
        )
    if arabic:
        scenarios.append(
            Scenario(
                "search_arabic",
                "search=<name in Arabic letters>",
                {**page, "search": arabic.translate(str.maketrans("یک", "يك"))},
                note="the most common last name with ی or ک, typed with Arabic ي and ك",
            )
        )
    scenarios += [
        Scenario(
            "search_key",
            "search=<key prefix>",
            {**page, "search": key[:8]},
            note="the first 8 characters of one order's key",
        ),
        Scenario(
            "search_id",
            "search=<order id>",
            {**page, "search": str(median_id)},
            note="an order id: matches id, customer id, and digits in the text fields",
        ),
        Scenario(
            "deep_offset",
            f"offset={warm_offset}",
            {**page, "offset": str(warm_offset)},
            checked=False,
            note="for information only: an offset page reads and throws away `offset` rows",
        ),
    ]
    return scenarios


# --- requests and plans --------------------------------------------------------------------------


def primary_table(sql: str) -> str | None:
    match = FROM_TABLE.search(sql)
    return match.group(1) if match else None


def reads_order_tables(sql: str) -> bool:
    head = sql.lstrip()[:10].upper()
    return head.startswith(("SELECT", "WITH")) and any(t in sql for t in ORDER_TABLES)


def classify(sqls: list[str]) -> list[Statement]:
    """Name the statements that read the order tables, whatever shape the read path has: the
    count, the page (the first other SELECT whose FROM is orders_order), then the rest."""
    out: list[Statement] = []
    seen_page = False
    for sql in sqls:
        if not reads_order_tables(sql):
            continue
        table = primary_table(sql)
        select_list = sql[: sql.upper().find(" FROM ")].upper()
        if table == "orders_order" and "COUNT(" in select_list:
            role = "count"
        elif table == "orders_order" and not seen_page:
            role, seen_page = "page", True
        elif table == "orders_orderitem":
            role = "items"
        elif table == "orders_orderpayment":
            role = "payments"
        else:
            role = f"other ({table})"
        out.append(Statement(role=role, sql=sql))
    return out


def index_tables() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")
        return dict(cursor.fetchall())


def explain(stmt: Statement, runs: int, tables: dict[str, str]) -> None:
    from django.db import DatabaseError, connection, transaction

    for _ in range(runs):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                # No parameters: the captured SQL is final, and '%' in it is a LIKE wildcard.
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + stmt.sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
        except DatabaseError as exc:  # a statement EXPLAIN cannot repeat is reported, not fatal
            stmt.error = f"{type(exc).__name__}: {exc}".strip()
            return
        stmt.plan = plan
        if m := EXEC_TIME.search(plan):
            stmt.exec_ms.append(float(m.group(1)))
        if m := PLAN_TIME.search(plan):
            stmt.plan_ms.append(float(m.group(1)))
    indexes: list[str] = []
    seq: list[str] = []
    for line in stmt.plan.splitlines():
        if m := INDEX_LINE.search(line):
            index = m.group("index").strip('"')
            label = f"{index} ({m.group('table') or tables.get(index, '?')})"
            if label not in indexes:
                indexes.append(label)
        m = SCAN_LINE.search(line)
        if m and "Seq Scan" in m.group("kind") and m.group("rel") not in seq:
            seq.append(m.group("rel"))
    stmt.indexes, stmt.seq_scans = indexes, seq
    stmt.seq_scan_orders = bool(SEQ_SCAN_ORDERS.search(stmt.plan))


def run_scenario(
    scenario: Scenario, client: Any, auth: str, warm: int, runs: int, tables: dict[str, str]
) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Result(scenario)
    headers = {"HTTP_AUTHORIZATION": auth, "HTTP_HOST": "127.0.0.1"}
    for _ in range(warm):
        started = time.perf_counter()
        response = client.get(scenario.path, **headers)
        result.wall_ms.append((time.perf_counter() - started) * 1000)
        result.status = response.status_code
        if response.status_code != 200:
            result.error = f"HTTP {response.status_code}: {response.content[:300]!r}"
            return result
    with CaptureQueriesContext(connection) as captured:
        response = client.get(scenario.path, **headers)
    result.status = response.status_code
    if response.status_code != 200:
        result.error = f"HTTP {response.status_code}: {response.content[:300]!r}"
        return result
    result.queries = len(captured.captured_queries)
    result.statements = classify([q["sql"] for q in captured.captured_queries])
    for stmt in result.statements:
        explain(stmt, runs, tables)
    return result


# --- report --------------------------------------------------------------------------------------


def sh(*args: str) -> str:
    try:
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def git_state() -> str:
    commit = sh("git", "rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = [line[3:] for line in sh("git", "status", "--porcelain").splitlines() if line]
    if not dirty:
        return f"`{commit}` (clean tree)"
    shown = ", ".join(f"`{p}`" for p in dirty[:8]) + (" …" if len(dirty) > 8 else "")
    return f"`{commit}` + uncommitted changes in {len(dirty)} path(s): {shown}"


def database_facts() -> dict[str, Any]:
    db_name = one("SELECT current_database()")
    return {
        "database": db_name,
        "orders": one("SELECT count(*) FROM orders_order"),
        "items": one("SELECT count(*) FROM orders_orderitem"),
        "payments": one("SELECT count(*) FROM orders_orderpayment"),
        "orders_size": one("SELECT pg_size_pretty(pg_total_relation_size('orders_order'))"),
        "orders_heap": one("SELECT pg_size_pretty(pg_relation_size('orders_order'))"),
        "version": one("SHOW server_version"),
        "shared_buffers": one("SHOW shared_buffers"),
        "work_mem": one("SHOW work_mem"),
        "jit": one("SHOW jit"),
        "analyzed": one(
            "SELECT greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
            "WHERE relname = 'orders_order'"
        ),
    }


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def trim_plan(plan: str) -> str:
    lines = plan.splitlines()
    if len(lines) <= PLAN_KEEP:
        return plan
    keep = set(range(30)) | set(range(len(lines) - 6, len(lines)))
    keep |= {i for i, line in enumerate(lines) if IMPORTANT.search(line)}
    out: list[str] = []
    skipped = 0
    for i, line in enumerate(lines):
        if i in keep:
            if skipped:
                out.append(f"   … ({skipped} line(s) trimmed)")
                skipped = 0
            out.append(line)
        else:
            skipped += 1
    return "\n".join(out)


@dataclass
class ScanNode:
    kind: str
    index: str | None
    lines: list[str]

    @property
    def filter(self) -> str:
        return next((x for x in self.lines if x.startswith("Filter:")), "")

    @property
    def rows_removed(self) -> int:
        for line in self.lines:
            if m := re.match(r"Rows Removed by Filter: (\d+)", line):
                return int(m.group(1))
        return 0


def order_scans(plan: str) -> list[ScanNode]:
    """The plan's scan nodes on orders_order, each with its own attribute lines (Filter, Index
    Cond, Rows Removed …: the lines between the node and its first child or sub-plan)."""
    nodes: list[ScanNode] = []
    current: ScanNode | None = None
    for raw in plan.splitlines():
        line = raw.strip()
        m = SCAN_LINE.search(line)
        if m or line.startswith("->") or re.match(r"(SubPlan|InitPlan)\b", line):
            current = None
            if m and m.group("rel") == "orders_order":
                current = ScanNode(m.group("kind"), m.group("index"), [])
                nodes.append(current)
        elif current is not None:
            current.lines.append(line)
    return nodes


def page_rows_removed(stmt: Statement) -> int:
    """Rows the scans on orders_order read and threw away (the cost of a filter on an index that
    only gives the order)."""
    return sum(node.rows_removed for node in order_scans(stmt.plan))


SUBPLAN_WHY = (
    "the filter ORs in `IN (SELECT …)` arms (`hashed SubPlan` in the plan). An OR becomes a"
    " BitmapOr of index scans only when every arm is an index condition, and the planner cannot"
    " estimate a SubPlan arm, so it guesses that most orders match and reads orders_order in"
    " `created_at` order, filtering row by row, instead. Resolving the sub-selects first (their"
    " ids as a literal list, arms with no match left out) lets every arm use its index: the"
    " trigram, key-prefix, primary-key and customer indexes all exist."
)
OFFSET_WHY = (
    "an OFFSET page reads (and joins) every skipped row before the 100 it returns; its cost grows"
    " linearly with the offset."
)


def hints(result: Result, walk: int) -> list[tuple[str, str]]:
    """(what, why) for a page query that reads far more of orders_order than it shows."""
    page = result.page
    if page is None or not page.plan:
        return []
    out = []
    for node in order_scans(page.plan):
        if "Seq Scan" in node.kind:
            what = "Seq Scan on orders_order"
        elif node.rows_removed > walk:
            what = f"`{node.index}` walked, {node.rows_removed:,} rows filtered out"
        else:
            continue
        if "SubPlan" in node.filter:
            out.append((what, SUBPLAN_WHY))
        elif "offset" not in result.scenario.query:
            out.append((what, f"the index gives the order, not the filter: `{node.filter[:300]}`"))
    if "offset" in result.scenario.query:
        out.append((f"offset {result.scenario.query['offset']}", OFFSET_WHY))
    return out


def index_cell(stmt: Statement | None) -> str:
    if stmt is None:
        return "–"
    if stmt.error:
        return "EXPLAIN failed"
    names = [i.split(" ")[0] for i in stmt.indexes if i.endswith("(orders_order)")]
    cell = ", ".join(f"`{n}`" for n in names) or "none"
    if stmt.seq_scan_orders:
        cell = "**Seq Scan on orders_order**" + (f" (+ {cell})" if names else "")
    return cell


def render(results: list[Result], facts: dict[str, Any], args: argparse.Namespace) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# The order list under EXPLAIN (issue 5)",
        "",
        "Generated by `bench/explain.py` — re-run with:",
        "",
        "```sh",
        f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/{facts['database']} \\",
        "    .venv/bin/python bench/explain.py --out docs/performance-explain.md",
        "```",
        "",
        f"- Date: {now}",
        f"- Commit: {git_state()}",
        f"- Database `{facts['database']}`: {facts['orders']:,} orders, {facts['items']:,} items,"
        f" {facts['payments']:,} payments; `orders_order` {facts['orders_size']} with its indexes"
        f" and TOAST ({facts['orders_heap']} heap)",
        f"- PostgreSQL {facts['version']}, shared_buffers {facts['shared_buffers']}, work_mem"
        f" {facts['work_mem']}, jit {facts['jit']}; orders_order last analyzed"
        f" {facts['analyzed'] or 'never'}",
        f"- Each request sent {args.warm} times through Django's test client in process (DEBUG"
        f" off, throttle counters in memory), once more with its SQL captured; each captured"
        f" SELECT on orders_order / orders_orderitem / orders_orderpayment then run {args.runs}"
        " times under `EXPLAIN (ANALYZE, BUFFERS)`. Times are medians; the cache is warm.",
        "- Timings are noisy: the machine has 2 cores and other work ran at the same time. Read"
        " them for their order of magnitude; the plans (which index, how many rows) are the"
        " result.",
        "",
        "## Summary",
        "",
        "Page query = the first SELECT from orders_order after the count; count = the exact"
        ' `count(*)` the paginator runs (SPEC keeps it exact). "rows thrown away" counts the'
        " rows the page query's scans on orders_order read and then dropped by a filter.",
        "",
        "| scenario | request | queries | index(es) on orders_order, page query | page query ms"
        " | rows thrown away | count index(es) | count ms | whole request ms |",
        "|---|---|---:|---|---:|---:|---|---:|---:|",
    ]
    for r in results:
        s = r.scenario
        if r.error:
            out.append(f"| {s.label} | `{s.path}` | – | {r.error} | | | | | |")
            continue
        page, count = r.page, r.count
        flag = "" if s.checked else " (info)"
        out.append(
            f"| {s.label}{flag} | `{s.path}` | {r.queries} | {index_cell(page)}"
            f" | {ms(page.median_ms if page else None)}"
            f" | {page_rows_removed(page) if page else '–':,}"
            f" | {index_cell(count)} | {ms(count.median_ms if count else None)}"
            f" | {ms(statistics.median(r.wall_ms) if r.wall_ms else None)} |"
        )
    failed = [r for r in results if r.failed]
    walked = [
        r
        for r in results
        if r.scenario.checked
        and r.page
        and not r.page.seq_scan_orders
        and page_rows_removed(r.page) > args.walk
    ]
    out += ["", "## Verdict", ""]
    if failed:
        out.append(
            "Page queries that read orders_order with a **Seq Scan**: "
            + ", ".join(f"`{r.scenario.name}`" for r in failed)
            + ". See their plans below."
        )
    else:
        out.append(
            "Every checked scenario's page query reads orders_order through an index (no Seq"
            " Scan on orders_order)"
            + ("; some of them walk most of an index, see below." if walked else ".")
        )
    counts_seq = [r for r in results if r.count and r.count.seq_scan_orders]
    if counts_seq:
        out.append(
            "\nExact counts that read orders_order with a Seq Scan: "
            + ", ".join(f"`{r.scenario.name}` ({ms(r.count.median_ms)} ms)" for r in counts_seq)
            + "."
        )
    if walked:
        out.append(
            "\nPage queries that use an index for the order only and filter the rows they walk"
            f" (more than {args.walk:,} rows thrown away, close to a full scan when it is most of"
            " the table): "
            + ", ".join(f"`{r.scenario.name}` ({page_rows_removed(r.page):,} rows)" for r in walked)
            + "."
        )
    why: dict[str, list[str]] = {}
    for r in results:
        for what, reason in hints(r, args.walk):
            why.setdefault(reason, []).append(f"`{r.scenario.name}` ({what})")
    if why:
        out += ["", "Why, read from the plans:", ""]
        out += [f"- {'; '.join(names)}: {reason}" for reason, names in why.items()]
    other: dict[str, set[str]] = {}
    for r in results:
        for st in r.statements:
            for rel in st.seq_scans:
                if rel != "orders_order":
                    other.setdefault(rel, set()).add(r.scenario.name)
    if other:
        out.append(
            "\nSeq Scans on other tables (small reference tables are expected to be scanned): "
            + "; ".join(
                f"`{rel}` in {', '.join(sorted(names))}" for rel, names in sorted(other.items())
            )
            + "."
        )

    if args.notes:
        out += ["", "## Notes", "", args.notes.read_text(encoding="utf-8").strip()]

    out += ["", "## Plans", ""]
    for r in results:
        s = r.scenario
        out += [f"### {s.label}", "", f"`GET {s.path}`" + (f" — {s.note}" if s.note else ""), ""]
        if r.error:
            out += [f"Request failed: {r.error}", ""]
            continue
        out += [
            f"{r.queries} queries in the request, {len(r.statements)} of them on the order"
            f" tables; whole request median {ms(statistics.median(r.wall_ms))} ms over"
            f" {len(r.wall_ms)} runs.",
            "",
        ]
        for st in r.statements:
            head = f"**{st.role}** — execution median {ms(st.median_ms)} ms"
            if st.plan_ms:
                head += f", planning {ms(statistics.median(st.plan_ms))} ms"
            if st.indexes:
                head += "; indexes: " + ", ".join(f"`{i}`" for i in st.indexes)
            if st.seq_scans:
                head += "; Seq Scan on: " + ", ".join(f"`{t}`" for t in st.seq_scans)
            out += [head, ""]
            sql = st.sql if len(st.sql) <= 4000 else st.sql[:4000] + " …"
            out += ["<details><summary>SQL</summary>", "", "```sql", sql, "```", "", "</details>"]
            out += [""]
            if st.error:
                out += [f"EXPLAIN failed: `{st.error}`", ""]
            else:
                out += ["```text", trim_plan(st.plan), "```", ""]
    return "\n".join(out).rstrip() + "\n"


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    parser.add_argument("--dsn", help="database URL (default: $DATABASE_URL, else the 1M bench)")
    parser.add_argument("--warm", type=int, default=5, help="timed requests per scenario (5)")
    parser.add_argument("--runs", type=int, default=3, help="EXPLAIN ANALYZE runs per query (3)")
    parser.add_argument("--offset", type=int, default=500_000, help="the deep offset (500000)")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--walk",
        type=int,
        default=10_000,
        help="report page queries that filter out more rows of orders_order than this (10000)",
    )
    parser.add_argument(
        "--max-walk",
        type=int,
        default=0,
        help="also fail (exit 1) when a checked page query filters out more rows than this"
        " (default 0: off, only a Seq Scan fails)",
    )
    parser.add_argument("--notes", type=Path, help="a Markdown file added to the report as Notes")
    parser.add_argument(
        "--vacuum-analyze", action="store_true", help="VACUUM ANALYZE the order tables first"
    )
    args = parser.parse_args(argv)
    args.warm, args.runs = max(1, args.warm), max(1, args.runs)

    dsn = configure_environment(args.dsn)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from knox.models import AuthToken

    from bazaar.accounts.models import User

    if connection.vendor != "postgresql":
        print(f"bench/explain.py needs PostgreSQL; DATABASE_URL is {dsn}", file=sys.stderr)
        return 2
    if args.vacuum_analyze:
        with connection.cursor() as cursor:
            for table in ORDER_TABLES:
                print(f"VACUUM ANALYZE {table}", flush=True)
                cursor.execute(f'VACUUM ANALYZE "{table}"')

    scenarios = pick_scenarios(args.offset)
    if args.only:
        wanted = set(args.only.split(","))
        scenarios = [s for s in scenarios if s.name in wanted]
    facts = database_facts()
    tables = index_tables()

    call_command("ensure_admin")
    token_row, token = AuthToken.objects.create(User.objects.get(username="admin"))
    results: list[Result] = []
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    try:
        with override_settings(CACHES=locmem):
            client = Client()
            for scenario in scenarios:
                print(f"{scenario.name}: GET {scenario.path}", flush=True)
                result = run_scenario(
                    scenario, client, f"Token {token}", args.warm, args.runs, tables
                )
                results.append(result)
                page = result.page
                print(
                    f"  {result.error or 'ok'}; page: {index_cell(page)}"
                    f" {ms(page.median_ms if page else None)} ms;"
                    f" count {ms(result.count.median_ms if result.count else None)} ms;"
                    f" request {ms(statistics.median(result.wall_ms)) if result.wall_ms else '–'}"
                    " ms",
                    flush=True,
                )
    finally:
        token_row.delete()

    report = render(results, facts, args)
    if args.out:
        out = args.out if args.out.is_absolute() else ROOT / args.out
        out.write_text(report, encoding="utf-8")
        print(f"wrote {out}")
    else:
        sys.stdout.write(report)

    if any(r.error for r in results):
        return 2
    failed = [r.scenario.name for r in results if r.failed]
    if failed:
        print(
            f"Seq Scan on orders_order in the page query of: {', '.join(failed)}", file=sys.stderr
        )
    walked = [
        r.scenario.name
        for r in results
        if args.max_walk
        and r.scenario.checked
        and r.page
        and page_rows_removed(r.page) > args.max_walk
    ]
    if walked:
        print(
            f"page query filters out more than {args.max_walk:,} rows: {', '.join(walked)}",
            file=sys.stderr,
        )
    if failed or walked:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
