from bazaar.api.routers import OptionalSlashRouter
from bazaar.fulfilment import views

router = OptionalSlashRouter()
router.register(
    r"orders/(?P<order_pk>[^/.]+)/shipments", views.ShipmentViewSet, basename="order-shipment"
)
router.register(
    r"orders/(?P<order_pk>[^/.]+)/refunds", views.RefundViewSet, basename="order-refund"
)

urlpatterns = router.urls
