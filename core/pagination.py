"""The one way lists are paged in the API: a cursor (stable under inserts, no COUNT), `page_size` bounded by a
documented maximum, and a cursor that cannot be read refused with 400 (not a 404: the list exists)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Subclasses set `ordering` (and, for feeds integrations follow, a larger `max_page_size`)."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"
    invalid_cursor_message = _("无效的翻页游标。")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # NotFound from DRF for anything it cannot read
            raise ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]}) from exc

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        str(_("每页条数须在 1–%(n)s 之间。") % {"n": self.max_page_size})
                    ]
                }
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = f"rows per page, 1–{self.max_page_size} (default {self.page_size})"
        return parameters


class NewestFirst(CursorPage):
    """The default order of a list: the newest row first, by id, 50 to a page."""


class OldestFirst(CursorPage):
    """Oldest first in larger pages: the order of a feed an integration follows from where it stopped."""

    page_size = 100
    max_page_size = 1000
    ordering = "id"
