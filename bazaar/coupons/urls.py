from bazaar.api.routers import OptionalSlashRouter
from bazaar.coupons.views import CouponViewSet

router = OptionalSlashRouter()
router.register("coupons", CouponViewSet, basename="coupon")

urlpatterns = router.urls
