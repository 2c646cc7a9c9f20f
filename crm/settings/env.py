"""Where this install lives and what its environment says: the one `env` every settings part reads."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
