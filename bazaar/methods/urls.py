from bazaar.api.routers import OptionalSlashRouter
from bazaar.methods.views import BranchViewSet, PaymentMethodViewSet, ShippingMethodViewSet

router = OptionalSlashRouter()
router.register("payment-methods", PaymentMethodViewSet, basename="payment-method")
router.register("shipping-methods", ShippingMethodViewSet, basename="shipping-method")
router.register("branches", BranchViewSet, basename="branch")

urlpatterns = router.urls
