"""Coverage measures every app of ours: an app missing from `[tool.coverage.run] source` is left out of the
figure without a word, so a new app would silently lower nothing and raise nothing."""

import pathlib
import tomllib

from tests.our_apps import OUR_APPS

_PYPROJECT = pathlib.Path(__file__).resolve().parent.parent.parent / "pyproject.toml"


def test_coverage_source_lists_every_app_of_the_layers_contract():
    source = tomllib.loads(_PYPROJECT.read_text())["tool"]["coverage"]["run"]["source"]
    assert sorted(source) == sorted(OUR_APPS)
