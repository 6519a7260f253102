from bazaar.api.routers import OptionalSlashRouter
from bazaar.media.views import ImageViewSet

router = OptionalSlashRouter()
router.register("images", ImageViewSet, basename="image")

urlpatterns = router.urls
