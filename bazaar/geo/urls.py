from bazaar.api.routers import OptionalSlashRouter
from bazaar.geo.views import CityViewSet, CountryViewSet, StateViewSet

router = OptionalSlashRouter()
router.register("countries", CountryViewSet, basename="country")
router.register("states", StateViewSet, basename="state")
router.register("cities", CityViewSet, basename="city")

urlpatterns = router.urls
