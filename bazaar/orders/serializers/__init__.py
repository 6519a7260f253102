"""The order serializers, in three modules (issue 15):

- `shapes`: the output, plain functions over plain rows (the API's hottest path);
- `schema`: the same shapes declared as serializers, for the OpenAPI schema only;
- `inputs`: the input serializers, which validate a request and feed the services.

The names stay importable from `bazaar.orders.serializers` as before the split, for code written
against the old module."""

from bazaar.orders.serializers.inputs import *  # noqa: F403
from bazaar.orders.serializers.inputs import __all__ as _inputs
from bazaar.orders.serializers.schema import *  # noqa: F403
from bazaar.orders.serializers.schema import __all__ as _schema
from bazaar.orders.serializers.shapes import *  # noqa: F403
from bazaar.orders.serializers.shapes import __all__ as _shapes

__all__ = [*_shapes, *_schema, *_inputs]
