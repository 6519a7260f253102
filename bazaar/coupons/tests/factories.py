import factory

from bazaar.coupons.models import Coupon, CouponKind


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"CODE{n:04d}")
    kind = CouponKind.PERCENT
    value = 10
