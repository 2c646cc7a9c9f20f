from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    default = True  # this module holds a second config (django-axes'), so say which one is the users app's
    name = "users"
    verbose_name = _("员工与组织")


class LoginThrottleConfig(AxesAppConfig):
    """django-axes (login throttling) under a name the admin shows in the reader's language instead of "Axes"."""

    verbose_name = _("登录保护")
