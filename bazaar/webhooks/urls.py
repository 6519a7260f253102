from bazaar.api.routers import OptionalSlashRouter
from bazaar.webhooks.views import DeliveryViewSet, WebhookViewSet

router = OptionalSlashRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<webhook_pk>[^/.]+)/deliveries", DeliveryViewSet, basename="webhook-delivery"
)

urlpatterns = router.urls
