"""Our apps, as the layers contract lists them (pyproject.toml, import-linter's root_packages): tests that walk
every serializer, admin or model of ours read the list here, so a new app is walked without editing them."""

import pathlib
import tomllib

_PYPROJECT = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"
OUR_APPS = tuple(tomllib.loads(_PYPROJECT.read_text())["tool"]["importlinter"]["root_packages"])
