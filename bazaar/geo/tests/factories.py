import string

import factory

from bazaar.geo.models import City, Country, State


def _letters(n: int, width: int) -> str:
    """0 -> "AA", 1 -> "AB" ... : distinct upper-case codes of a fixed width."""
    letters = []
    for _ in range(width):
        n, digit = divmod(n, 26)
        letters.append(string.ascii_uppercase[digit])
    return "".join(reversed(letters))


class CountryFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Country {n}")
    code = factory.Sequence(lambda n: _letters(n, 3))

    class Meta:
        model = Country


class StateFactory(factory.django.DjangoModelFactory):
    country = factory.SubFactory(CountryFactory)
    name = factory.Sequence(lambda n: f"State {n}")
    code = factory.Sequence(lambda n: f"S{n}")

    class Meta:
        model = State


class CityFactory(factory.django.DjangoModelFactory):
    state = factory.SubFactory(StateFactory)
    name = factory.Sequence(lambda n: f"City {n}")

    class Meta:
        model = City
