"""Fault tests borrow the areas' own fixtures (products and orders from loyalty, the clock from feedback)."""

from tests.feedback.conftest import clock, seeded_categories  # noqa: F401 - fixtures
from tests.imports.conftest import county_a_world  # noqa: F401
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401
from tests.loyalty.conftest import carton_rule, levels, place_order, products  # noqa: F401
