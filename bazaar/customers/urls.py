from bazaar.api.routers import OptionalSlashRouter
from bazaar.customers.views import CustomerViewSet

router = OptionalSlashRouter()
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = router.urls
