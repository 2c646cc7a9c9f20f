"""Settings shared by every running mode, in parts by subject. Values that differ per machine come from the
environment (crm.settings.env)."""

from crm.settings.api import *  # noqa: F403
from crm.settings.broker import *  # noqa: F403
from crm.settings.env import *  # noqa: F403
from crm.settings.product import *  # noqa: F403
from crm.settings.web import *  # noqa: F403
