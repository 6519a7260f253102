from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import parsers, status, viewsets
from rest_framework.response import Response

from bazaar.accounts.codes import Block
from bazaar.api.errors import RequestTooLarge
from bazaar.api.parsers import JSONParser
from bazaar.media.models import Image
from bazaar.media.selectors import image_queryset
from bazaar.media.serializers import (
    ImageSerializer,
    ImageUpdateSerializer,
    ImageUploadSerializer,
    image_data,
)
from bazaar.media.services import image_create, image_delete, image_update

# Room for the multipart boundaries and the `name` part around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@extend_schema_view(
    create=extend_schema(request={"multipart/form-data": ImageUploadSerializer}),
    update=extend_schema(request={"application/json": ImageUpdateSerializer}),
    partial_update=extend_schema(request={"application/json": ImageUpdateSerializer}),
)
class ImageViewSet(viewsets.ModelViewSet):
    """Images with thumbnails. Upload with multipart/form-data; only `name` can change later."""

    permission_block = Block.IMAGES
    serializer_class = ImageSerializer
    parser_classes = [JSONParser]
    search_fields = ["name"]
    ordering_fields = ["id", "name", "size", "width", "height", "created_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return image_queryset()

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        # The upload alone carries a file; renaming (PUT/PATCH) is JSON like every other write.
        if self.action == "create":
            request.parsers = [parsers.MultiPartParser()]
        return request

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Refuse an announced oversize upload before the multipart parser spools it to disk; the
        # service checks the real file size again (a body may lie or be chunked).
        if request.method == "POST":
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            limit = settings.IMAGE_MAX_BYTES
            if declared > limit + MULTIPART_OVERHEAD_BYTES:
                raise RequestTooLarge(
                    detail=f"The request is {declared} bytes; "
                    f"the limit for images is {limit} bytes."
                )

    def create(self, request, *args, **kwargs):
        serializer = ImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = image_create(
            upload=serializer.validated_data["file"], name=serializer.validated_data.get("name")
        )
        return Response(image_data(image, request), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        image: Image = self.get_object()
        serializer = ImageUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            image = image_update(image=image, name=serializer.validated_data["name"])
        return Response(image_data(image, request))

    def perform_destroy(self, instance: Image) -> None:
        image_delete(image=instance)
