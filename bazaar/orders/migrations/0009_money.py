"""SPEC §12: coupons, the staff discount, tax, tags and source on orders.

The stored `total` of the orders already there is filled from their stored totals (they have no
coupon, discount or tax, so it is SPEC §5's total) before its indexes are built. On PostgreSQL a
GIN index over `tags` answers the `tag` / `tag_in` filters (bazaar.orders.lookups)."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def fill_totals(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Order.objects.update(total=F("items_subtotal") - F("items_discount") + F("shipping_cost"))


def create_tags_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'CREATE INDEX IF NOT EXISTS "orders_order_tags_gin" ON "orders_order" USING gin ("tags")'
        )


def drop_tags_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "orders_order_tags_gin"')


class Migration(migrations.Migration):
    dependencies = [
        ("coupons", "0001_initial"),
        ("customers", "0001_initial"),
        ("geo", "0001_initial"),
        ("methods", "0002_branches"),
        ("orders", "0008_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="coupon",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="coupons.coupon",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="coupon_code",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="coupon_discount",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="coupon_kind",
            field=models.CharField(blank=True, max_length=16, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="coupon_max_discount",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="coupon_min_subtotal",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="coupon_value",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="order_discount",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="source",
            field=models.CharField(
                choices=[("api", "Api"), ("admin", "Admin"), ("demo", "Demo")],
                default="api",
                editable=False,
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="tags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="order",
            name="tax",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="tax_rate",
            field=models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=5),
        ),
        migrations.AddField(
            model_name="order",
            name="total",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(fill_totals, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["coupon", "-created_at", "-id"], name="order_coupon_created_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["total", "-id"], name="order_total_idx"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["-total", "-id"], name="order_total_desc_idx"),
        ),
        migrations.RunPython(create_tags_index, drop_tags_index),
    ]
