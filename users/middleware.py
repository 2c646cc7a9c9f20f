"""Session rules for staff logins: an idle session ends (shared phones), and the roles that must use two-factor
authentication reach nothing but the two-factor pages until they have passed it."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "_last_seen"
# the last-seen stamp is rewritten at most this often (seconds): a session row is not written on every request
LAST_SEEN_RESOLUTION = 60


class IdleSessionMiddleware:
    """A session unused for settings.SESSION_IDLE_TIMEOUT seconds is ended (logged out, its row deleted) when it
    comes back: a phone left in a shop or passed to a colleague does not stay signed in. The browser gets the login
    page (with a note) as for any anonymous visitor; the API answers 401 as for any missing credential."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN_KEY)
            if last is not None and now - int(last) > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.info(
                    request,
                    _("超过 %(minutes)s 分钟未操作，已自动退出，请重新登录。")
                    % {"minutes": max(1, settings.SESSION_IDLE_TIMEOUT // 60)},
                )
            elif last is None or now - int(last) >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Who must pass two-factor authentication (users.twofactor.selectors.otp_required: the roles in
    settings.OTP_REQUIRED_ROLES, superusers, whoever has enrolled, and every staff user on the Django admin) and has
    not in this session gets only the two-factor pages, log-out, the language switch and static files: a page is
    redirected to enrolment (no device yet) or verification, an htmx panel says where to go (HX-Redirect), an API
    call with the session is refused 403. Token-authenticated API calls carry no session and are not concerned."""

    OPEN_PREFIXES = (
        "/account/2fa/",
        "/logout/",
        "/login/",
        "/i18n/",
        "/static/",
        "/healthz",
        "/sw.js",
        "/manifest.webmanifest",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from users.twofactor.selectors import otp_required, otp_verified

        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(self.OPEN_PREFIXES)
            or otp_verified(user)
            or not otp_required(user=user, request=request)
        ):
            return self.get_response(request)
        from users.twofactor.selectors import has_confirmed_device

        target = reverse("twofactor:verify" if has_confirmed_device(user=user) else "twofactor:setup")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("需要两步验证：请先在网页上完成两步验证。")}, status=403)
        next_url = request.get_full_path() if request.method == "GET" else reverse("home")
        url = f"{target}?{urlencode({'next': next_url})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
