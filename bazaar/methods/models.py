from django.db import models

from bazaar.media.models import Image


class Method(models.Model):
    name = models.CharField(max_length=100)
    image = models.ForeignKey(
        Image, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PaymentMethod(Method):
    pass


class ShippingMethod(Method):
    pass
