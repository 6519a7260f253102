"""Writes of products. A product's slug defaults to its title, slugified with Unicode kept."""

import re

from django.db import transaction
from django.utils.text import slugify

from bazaar.catalog.models import Product, ProductOptionGroup, ProductOptionValue
from bazaar.media.models import Image

SLUG_MAX_LENGTH = Product._meta.get_field("slug").max_length
_SUFFIX_ROOM = 12  # "-" and up to 11 digits


def product_slug_generate(*, title: str, code: str = "", exclude_pk: int | None = None) -> str:
    """`گوشی موبایل` -> `گوشی-موبایل`; when taken, the first free `-2`, `-3`, ... suffix.

    A title with no letters or digits falls back to the code, then to "product".
    """
    base = (slugify(title, allow_unicode=True) or slugify(code, allow_unicode=True) or "product")[
        : SLUG_MAX_LENGTH - _SUFFIX_ROOM
    ].strip("-_") or "product"
    taken_qs = Product.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken_qs = taken_qs.exclude(pk=exclude_pk)
    taken = set(taken_qs.values_list("slug", flat=True))
    if base not in taken:
        return base
    suffix = re.compile(rf"^{re.escape(base)}-(\d+)$")
    used = {int(m.group(1)) for slug in taken if (m := suffix.match(slug))}
    number = 2
    while number in used:
        number += 1
    return f"{base}-{number}"


@transaction.atomic
def product_create(
    *,
    code: str,
    title: str,
    price: int,
    slug: str | None = None,
    image: Image | None = None,
    is_active: bool = True,
    options: list[dict] | None = None,
) -> Product:
    """Create a product; without a slug one is made from the title. An explicit slug must be
    free (the serializer checks, the unique index guards races)."""
    product = Product.objects.create(
        code=code,
        title=title,
        price=price,
        slug=slug or product_slug_generate(title=title, code=code),
        image=image,
        is_active=is_active,
    )
    if options:
        product_set_options(product=product, groups=options)
    return product


@transaction.atomic
def product_set_options(*, product: Product, groups: list[dict]) -> None:
    """Replace the product's option groups and values. Items already ordered keep the ids and
    the names they chose (in their snapshot), so replacing never rewrites an order."""
    product.options.all().delete()
    for position, group in enumerate(groups):
        made = ProductOptionGroup.objects.create(
            product=product,
            name=group["name"],
            required=group.get("required", False),
            position=position,
        )
        ProductOptionValue.objects.bulk_create(
            ProductOptionValue(
                group=made, name=value["name"], price_delta=value.get("price_delta", 0), position=i
            )
            for i, value in enumerate(group["values"])
        )


@transaction.atomic
def product_update(*, product: Product, **fields) -> Product:
    """Change any of code, title, price, slug, image, is_active. The slug stays when the title
    changes (links keep working); a blank or null slug makes a new one from the title."""
    allowed = {"code", "title", "price", "slug", "image", "is_active", "options"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"product_update() got unexpected fields: {', '.join(sorted(unknown))}")
    if "slug" in fields and not fields["slug"]:
        fields["slug"] = product_slug_generate(
            title=fields.get("title", product.title),
            code=fields.get("code", product.code),
            exclude_pk=product.pk,
        )
    options = fields.pop("options", None)
    for name, value in fields.items():
        setattr(product, name, value)
    product.save()
    if options is not None:
        product_set_options(product=product, groups=options)
    return product
