from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.visits.conftest import complaint_categories, give_score, place_order, products, record  # noqa: F401
