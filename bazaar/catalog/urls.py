from bazaar.api.routers import OptionalSlashRouter
from bazaar.catalog.views import ProductViewSet

router = OptionalSlashRouter()
router.register("products", ProductViewSet, basename="product")

urlpatterns = router.urls
