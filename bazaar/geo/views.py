from rest_framework import viewsets

from bazaar.accounts.codes import Block
from bazaar.geo.filters import CityFilter, StateFilter
from bazaar.geo.models import City, Country, State
from bazaar.geo.serializers import CitySerializer, CountrySerializer, StateSerializer


class CountryViewSet(viewsets.ModelViewSet):
    permission_block = Block.COUNTRIES
    serializer_class = CountrySerializer
    queryset = Country.objects.all()
    search_fields = ["name", "code"]
    ordering_fields = ["id", "name", "code"]
    ordering = ["name"]


class StateViewSet(viewsets.ModelViewSet):
    """States (provinces); `?country=<id>` narrows to one country."""

    permission_block = Block.STATES
    serializer_class = StateSerializer
    queryset = State.objects.all()
    filterset_class = StateFilter
    search_fields = ["name", "code"]
    ordering_fields = ["id", "name", "code"]
    ordering = ["name"]


class CityViewSet(viewsets.ModelViewSet):
    """Cities; `?state=<id>` (or `?country=<id>`) narrows the list."""

    permission_block = Block.CITIES
    serializer_class = CitySerializer
    queryset = City.objects.all()
    filterset_class = CityFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["name"]
