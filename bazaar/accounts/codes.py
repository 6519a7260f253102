"""Permission codes (SPEC §3): one block per resource, the action is the offset in the block.

    create = +1, list = +2, retrieve = +3, update (PUT/PATCH) = +4, delete = +5

so orders (block 2200) are 2201 create ... 2205 delete. A few blocks have an action beyond the
five (`EXTRA_ACTIONS`): orders are exported with 2206 (SPEC §3, §15). Views declare their block;
the permission class adds the offset. Each code is also a Django permission `accounts.code_<n>`,
so roles (groups), direct grants and the admin use Django's own machinery.
"""

from enum import IntEnum

from django.utils.translation import gettext, gettext_noop


class Action(IntEnum):
    CREATE = 1
    LIST = 2
    RETRIEVE = 3
    UPDATE = 4
    DELETE = 5
    EXPORT = 6


class Block(IntEnum):
    USERS = 1000
    ROLES = 1020
    CUSTOMERS = 1100
    PRODUCTS = 1200
    IMAGES = 1300
    COUNTRIES = 1400
    STATES = 1420
    CITIES = 1440
    BRANCHES = 1500
    PAYMENT_METHODS = 2000
    SHIPPING_METHODS = 2100
    ORDERS = 2200
    ORDER_ITEMS = 2220
    ORDER_PAYMENTS = 2240
    ORDER_SHIPMENTS = 2260
    ORDER_REFUNDS = 2280
    COUPONS = 2300
    WEBHOOKS = 2400


# English, as the API names the codes (GET /api/auth/permissions/) and as the permission rows are
# stored; marked with gettext_noop so that the admin can show them translated (`code_label`).
BLOCK_LABELS: dict[Block, str] = {
    Block.USERS: gettext_noop("staff users"),
    Block.ROLES: gettext_noop("roles"),
    Block.CUSTOMERS: gettext_noop("customers"),
    Block.PRODUCTS: gettext_noop("products"),
    Block.IMAGES: gettext_noop("images"),
    Block.COUNTRIES: gettext_noop("countries"),
    Block.STATES: gettext_noop("states"),
    Block.CITIES: gettext_noop("cities"),
    Block.BRANCHES: gettext_noop("pickup branches"),
    Block.PAYMENT_METHODS: gettext_noop("payment methods"),
    Block.SHIPPING_METHODS: gettext_noop("shipping methods"),
    Block.ORDERS: gettext_noop("orders"),
    Block.ORDER_ITEMS: gettext_noop("order items"),
    Block.ORDER_PAYMENTS: gettext_noop("order payments"),
    Block.ORDER_SHIPMENTS: gettext_noop("order shipments"),
    Block.ORDER_REFUNDS: gettext_noop("order refunds"),
    Block.COUPONS: gettext_noop("coupons"),
    Block.WEBHOOKS: gettext_noop("webhooks"),
}

ACTION_NAMES: dict[Action, str] = {
    Action.CREATE: gettext_noop("Create %(resource)s"),
    Action.LIST: gettext_noop("List %(resource)s"),
    Action.RETRIEVE: gettext_noop("Retrieve %(resource)s"),
    Action.UPDATE: gettext_noop("Update %(resource)s"),
    Action.DELETE: gettext_noop("Delete %(resource)s"),
    Action.EXPORT: gettext_noop("Export %(resource)s"),
}

# The actions every block has, and those only some blocks have (SPEC §3: "beyond the five").
BASIC_ACTIONS: tuple[Action, ...] = (
    Action.CREATE,
    Action.LIST,
    Action.RETRIEVE,
    Action.UPDATE,
    Action.DELETE,
)
EXTRA_ACTIONS: dict[Block, tuple[Action, ...]] = {Block.ORDERS: (Action.EXPORT,)}
# Blocks with fewer than the five basic actions: refunds are never edited or deleted (SPEC §3,
# §14), so 2284 and 2285 do not exist.
BLOCK_ACTIONS: dict[Block, tuple[Action, ...]] = {
    Block.ORDER_REFUNDS: (Action.CREATE, Action.LIST, Action.RETRIEVE),
}

# PermissionCode.ORDERS_CREATE == 2201, PermissionCode.ORDER_ITEMS_LIST == 2222, ...
PermissionCode = IntEnum(
    "PermissionCode",
    {
        f"{block.name}_{action.name}": block + action
        for block in Block
        for action in (*BLOCK_ACTIONS.get(block, BASIC_ACTIONS), *EXTRA_ACTIONS.get(block, ()))
    },
)


def code_for(block: Block, action: Action) -> int:
    return int(block) + int(action)


def code_name(code: int) -> str:
    """The code's English name: "Create orders"."""
    block, action = Block(code - code % 20), Action(code % 20)
    return ACTION_NAMES[action] % {"resource": BLOCK_LABELS[block]}


def code_label(code: int) -> str:
    """The code's name in the active language, for the admin: "ایجاد سفارش‌ها"."""
    block, action = Block(code - code % 20), Action(code % 20)
    return gettext(ACTION_NAMES[action]) % {"resource": gettext(BLOCK_LABELS[block])}


def codename(code: int) -> str:
    """The Django permission codename that carries a code."""
    return f"code_{code}"


ALL_CODES: tuple[int, ...] = tuple(sorted(int(code) for code in PermissionCode))
