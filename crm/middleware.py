"""Request-level guards of the project (the language follows Django's LocaleMiddleware: see settings)."""


class RejectNulMiddleware:
    """PostgreSQL text cannot hold a NUL character, so a query parameter, form field or JSON string carrying one
    could only end in a database error (a 500). Such a request is answered 400 before any view sees it. Multipart
    bodies (file uploads) are binary and are not inspected; their text fields go through forms that strip NUL."""

    TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            from django.http import JsonResponse

            return JsonResponse(
                {"detail": "NUL (\\u0000) characters are not allowed in a request."}, status=400
            )
        return self.get_response(request)

    def _carries_nul(self, request) -> bool:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return True
        content_type = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH") and content_type in self.TEXT_BODIES:
            body = request.body
            return b"\x00" in body or b"\\u0000" in body or b"%00" in body
        return False
