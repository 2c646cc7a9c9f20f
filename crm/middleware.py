"""Chinese by default, whatever the browser says; English (or back) only when the user picks it."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    """Like LocaleMiddleware without Accept-Language: these offices run English-language browsers on
    Chinese-language work, so the language is the one chosen in the switcher (a cookie), else zh-hans."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


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
