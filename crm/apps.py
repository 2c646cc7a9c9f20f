from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self):
        from django.contrib import admin

        # The admin is the product's back office: its own name, in the reader's language, not "Django 管理".
        admin.site.site_header = _("烟草零售客户 CRM · 系统管理")
        admin.site.site_title = _("CRM 系统管理")
        admin.site.index_title = _("系统管理")
