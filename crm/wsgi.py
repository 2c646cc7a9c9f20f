import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.production")
application = get_wsgi_application()

# The API's documented query parameters come from the OpenAPI schema (seconds to build): build them while the
# worker starts, not in its first API request.
from core.middleware import api_query_routes  # noqa: E402 - after the application is set up

api_query_routes()
