"""`Idempotency-Key` in the request cycle of every DRF view under /api/ (SPEC §13).

A keyed unsafe request, once DRF has authenticated it, checked its permissions and throttles (a
401/403/429 takes no lock and stores nothing) and parsed its body, runs in one transaction:

    BEGIN
      claim: advisory lock on (user, key) -> 409 | stored answer -> replay or 422
      SAVEPOINT
        the handler, whose services' own atomic blocks nest inside (without savepoints of
        their own: bazaar.db.transactions)
      ROLLBACK TO SAVEPOINT when the answer is 4xx/5xx (nothing half-written)
      store the answer (2xx, and 4xx other than 401/403/409/412/429)
    COMMIT                                       (the write and its answer, or neither)

`initial()` opens the transaction (after DRF's checks) on a stack that `dispatch()` closes after
the answer is final, so that it spans the handler, DRF's exception handling and the store.

The stored 400 therefore lives in the outer transaction: the savepoint took back whatever the
refused handler had written, and the answer is still kept so that a retry gets the same 400.
"""

from contextlib import ExitStack

from django.db import Error, transaction
from rest_framework.views import APIView

from bazaar.db.transactions import request_savepoint_covers
from bazaar.idempotency import keys, services
from bazaar.idempotency.errors import InvalidKey, Replay


# Mixed into every API view by `bazaar.api.routers.OptionalSlashRouter` (`idempotent()`). No
# docstring on purpose: drf-spectacular describes a view by the first docstring in its MRO.
class IdempotentViewMixin:
    # Set by dispatch() for an unsafe /api/ request that carries the header: the stack that
    # holds the request's transaction once initial() has opened it.
    idempotency_transaction: ExitStack | None = None
    idempotency_claim: services.Claim | None = None
    idempotency_savepoint: str | None = None
    # Set by idempotency_answer_store(): the statement that reads the answer stores it.
    idempotency_answer: services.AnswerStore | None = None

    def dispatch(self, request, *args, **kwargs):
        if keys.HEADER not in request.headers or not keys.takes_key(request.method, request.path):
            return super().dispatch(request, *args, **kwargs)
        try:
            with ExitStack() as self.idempotency_transaction:
                response = super().dispatch(request, *args, **kwargs)
                self.idempotency_finish(response)
        except Error as exc:  # DatabaseError, and InterfaceError (a closed connection)
            # The commit itself failed (a deferred constraint, a lost connection), or the store
            # did: nothing was written and nothing stored. Answered as the handler answers such
            # errors (409, 503).
            response = self.finalize_response(
                self.request, self.handle_exception(exc), *args, **kwargs
            )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.idempotency_transaction is None:
            return
        if not request.user.is_authenticated:
            return  # keys belong to users; a view open to everyone keeps none
        key = request.headers[keys.HEADER]
        if not keys.key_is_valid(key):
            raise InvalidKey()
        # The body is read and parsed before the transaction: a slow client holds no lock.
        body_hash = keys.body_hash(request.data)
        self.idempotency_transaction.enter_context(transaction.atomic())
        self.idempotency_claim = services.key_claim(
            user_id=request.user.pk,
            key=key,
            method=request.method,
            path=keys.request_path(request.path, request.META.get("QUERY_STRING", "")),
            body_hash=body_hash,
        )
        self.idempotency_savepoint = transaction.savepoint()
        # The handler's services need no savepoints of their own (bazaar.db.transactions).
        self.idempotency_transaction.enter_context(request_savepoint_covers())

    def idempotency_answer_store(self, status_code: int) -> services.AnswerStore | None:
        """For a handler about to read its answer (`status_code`, the negotiated renderer's
        content type, no Location): the store that the reading statement can do as well, or
        None when this request stores no such answer (no key, a 4xx/5xx). The reader uses it
        only on the connection that holds the claim (`orders.documents.order_documents`); the
        rendered response is checked against it afterwards. See `services.AnswerStore`."""
        claim = self.idempotency_claim
        if claim is None or not keys.is_stored(status_code) or status_code >= 400:
            return None
        request = self.request
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is None:
            return None
        # As DRF's Response.rendered_content names it.
        media_type = getattr(request, "accepted_media_type", None) or renderer.media_type
        charset = getattr(renderer, "charset", None)
        content_type = f"{media_type}; charset={charset}" if charset else media_type
        self.idempotency_answer = services.AnswerStore(claim, status_code, content_type)
        return self.idempotency_answer

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response()
        return super().handle_exception(exc)

    def idempotency_finish(self, response) -> None:
        """After the handler: keep or take back its writes, and store the answer."""
        claim = self.idempotency_claim
        if claim is None:
            return
        if hasattr(response, "render"):
            response.render()  # the stored body is the bytes sent
        stored = self.idempotency_answer
        if response.status_code >= 400:
            # Like Atomic.__exit__: clear a failed query's mark, then return to the savepoint
            # (which takes back an answer stored by the handler's read, too).
            transaction.set_rollback(False)
            transaction.savepoint_rollback(self.idempotency_savepoint)
            stored = None
        # A kept savepoint is not released: COMMIT releases it, one round trip fewer.
        if keys.is_stored(response.status_code) and not response.streaming:
            services.response_store(claim=claim, response=response, stored=stored)
        elif stored is not None and stored.written is not None:
            services.response_forget(claim=claim)  # a 2xx stream: none is kept


_idempotent_classes: dict[type, type] = {}


def idempotent(view_class: type[APIView]) -> type[APIView]:
    """`view_class` with IdempotentViewMixin first in its bases (same name and module, so the
    schema and the browsable API see the same view)."""
    if issubclass(view_class, IdempotentViewMixin):
        return view_class
    if view_class not in _idempotent_classes:
        _idempotent_classes[view_class] = type(
            view_class.__name__,
            (IdempotentViewMixin, view_class),
            {
                "__module__": view_class.__module__,
                "__qualname__": view_class.__qualname__,
                "__doc__": view_class.__doc__,
            },
        )
    return _idempotent_classes[view_class]
