from django.urls import re_path

from bazaar.feed.views import OrderChangesViewSet

# Before the orders' routes (bazaar.urls), so that "changes" is never read as an order id.
urlpatterns = [
    re_path(
        r"^orders/changes/?$",
        OrderChangesViewSet.as_view({"get": "list"}),
        name="order-changes",
    ),
]
