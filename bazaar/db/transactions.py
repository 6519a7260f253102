"""A service's transaction, without a savepoint where the request already holds one for it.

Every service that writes is all or nothing (`write_atomic`). Nested in another transaction,
Django's `atomic` makes that so with a savepoint: two statements more (SAVEPOINT, RELEASE) per
write. A request with an Idempotency-Key runs its handler inside a savepoint of its own, which
is rolled back when the answer is an error (`bazaar.idempotency.views`); a service called
directly inside it needs no second one, since the request's savepoint takes back exactly what
the service's would have. Only that outermost service call is covered: one nested in another
atomic block (a service calling a service, a `try` around an insert) keeps its savepoint,
because its caller may catch the error and go on."""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import connection, transaction

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH = "bazaar_request_savepoint_depth"


@contextmanager
def request_savepoint_covers() -> Iterator[None]:
    """While open: the atomic blocks as they are now end in a savepoint that the request rolls
    back on any error, so a service called at this depth needs none of its own."""
    setattr(connection, _DEPTH, len(connection.atomic_blocks))
    try:
        yield
    finally:
        setattr(connection, _DEPTH, None)


def _covered() -> bool:
    depth = getattr(connection, _DEPTH, None)
    return (
        depth is not None and connection.in_atomic_block and len(connection.atomic_blocks) == depth
    )


def write_atomic(func: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic`, with no savepoint where the request's covers the call."""

    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(savepoint=not _covered()):
            return func(*args, **kwargs)

    return inner
