from django.urls import re_path

from bazaar.api.routers import OptionalSlashRouter
from bazaar.orders import views

router = OptionalSlashRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register(r"orders/(?P<order_pk>[^/.]+)/items", views.OrderItemViewSet, basename="order-item")
router.register(
    r"orders/(?P<order_pk>[^/.]+)/payments", views.OrderPaymentViewSet, basename="order-payment"
)
router.register(
    r"orders/(?P<order_pk>[^/.]+)/events", views.OrderEventViewSet, basename="order-event"
)

urlpatterns = [
    # Before the router's `orders/{pk}`, which would take "export" for an order id.
    re_path(
        r"^orders/export/?$", views.OrderExportViewSet.as_view({"get": "list"}), name="order-export"
    ),
    *router.urls,
]
