"""Local development: `make run`."""

from crm.settings.base import *  # noqa: F403
from crm.settings.env import env

DEBUG = env.bool("DEBUG", default=True)
