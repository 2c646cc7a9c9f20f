"""HTTP middleware that belongs to no app."""

from django.conf import settings
from django.utils.cache import patch_cache_control

# Paths whose answers carry personal data for one caller: never kept by a browser, proxy or shared cache.
NO_STORE_PREFIXES_DEFAULT = ("/api/",)


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response under the API (settings.NO_STORE_PATH_PREFIXES):
    lists of retailers with names, numbers and addresses must not outlive the request on a shared computer or
    in a proxy. Errors included, so no path or status is left out."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "NO_STORE_PATH_PREFIXES", NO_STORE_PREFIXES_DEFAULT))

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefixes):
            patch_cache_control(response, no_store=True, private=True)
        return response
