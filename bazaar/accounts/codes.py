"""Permission codes (SPEC §3): one block per resource, the action is the offset in the block.

    create = +1, list = +2, retrieve = +3, update (PUT/PATCH) = +4, delete = +5

so orders (block 2200) are 2201 create ... 2205 delete. Views declare their block; the permission
class adds the offset. Each code is also a Django permission `accounts.code_<n>`, so roles (groups),
direct grants and the admin use Django's own machinery.
"""

from enum import IntEnum


class Action(IntEnum):
    CREATE = 1
    LIST = 2
    RETRIEVE = 3
    UPDATE = 4
    DELETE = 5


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
    COUPONS = 2300


BLOCK_LABELS: dict[Block, str] = {
    Block.USERS: "staff users",
    Block.ROLES: "roles",
    Block.CUSTOMERS: "customers",
    Block.PRODUCTS: "products",
    Block.IMAGES: "images",
    Block.COUNTRIES: "countries",
    Block.STATES: "states",
    Block.CITIES: "cities",
    Block.BRANCHES: "pickup branches",
    Block.PAYMENT_METHODS: "payment methods",
    Block.SHIPPING_METHODS: "shipping methods",
    Block.ORDERS: "orders",
    Block.ORDER_ITEMS: "order items",
    Block.ORDER_PAYMENTS: "order payments",
    Block.COUPONS: "coupons",
}

ACTION_VERBS: dict[Action, str] = {
    Action.CREATE: "Create",
    Action.LIST: "List",
    Action.RETRIEVE: "Retrieve",
    Action.UPDATE: "Update",
    Action.DELETE: "Delete",
}

# PermissionCode.ORDERS_CREATE == 2201, PermissionCode.ORDER_ITEMS_LIST == 2222, ...
PermissionCode = IntEnum(
    "PermissionCode",
    {f"{block.name}_{action.name}": block + action for block in Block for action in Action},
)


def code_for(block: Block, action: Action) -> int:
    return int(block) + int(action)


def code_name(code: int) -> str:
    block, action = Block(code - code % 20), Action(code % 20)
    return f"{ACTION_VERBS[action]} {BLOCK_LABELS[block]}"


def codename(code: int) -> str:
    """The Django permission codename that carries a code."""
    return f"code_{code}"


ALL_CODES: tuple[int, ...] = tuple(sorted(int(code) for code in PermissionCode))
