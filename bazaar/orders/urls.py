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

urlpatterns = router.urls
