"""The two-factor pages: enrolment (QR code and secret, confirm with a code, recovery codes shown once),
verification after the password, and a new set of recovery codes."""

from base64 import b32encode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from users.twofactor import services
from users.twofactor.qr import qr_svg
from users.twofactor.selectors import has_confirmed_device, otp_required, otp_verified


def _with_next(name: str, request) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next(request)})}"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def setup_view(request):
    """Enrol (no confirmed device yet) or, once verified, the state of two-factor authentication."""
    user = request.user
    if has_confirmed_device(user=user):
        if not otp_verified(user):
            return redirect(_with_next("twofactor:verify", request))
        return render(
            request,
            "users/twofactor_status.html",
            {"codes_left": services.recovery_codes_left(user=user), "required": otp_required(user=user)},
        )
    device = services.totp_enrolment_device(user=user)
    error = ""
    if request.method == "POST":
        codes = services.totp_confirm(request=request, device=device, token=request.POST.get("token", ""))
        if codes is not None:
            messages.success(request, _("两步验证已开启。"))
            return render(request, "users/twofactor_codes.html", {"codes": codes, "next": _next(request)})
        error = _("验证码不正确，请核对手机时间后输入当前显示的 6 位数字。")
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "users/twofactor_setup.html",
        {
            "qr": qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "error": error,
            "next": _next(request),
            "required": otp_required(user=user, request=request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify_view(request):
    """After the password: a code from the authenticator app, or one of the recovery codes."""
    if not has_confirmed_device(user=request.user):
        return redirect(_with_next("twofactor:setup", request))
    if otp_verified(request.user):
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        if services.otp_verify(request=request, token=request.POST.get("token", "")):
            return redirect(_next(request))
        error = _("验证码不正确或已用过。多次输错后需等待片刻再试。")
    return render(request, "users/twofactor_verify.html", {"error": error, "next": _next(request)})


@login_required
@require_POST
def recovery_codes_view(request):
    """A new set of recovery codes (the old set stops working); only in a verified session."""
    if not otp_verified(request.user):
        return HttpResponseForbidden(_("请先完成两步验证。"))
    codes = services.recovery_codes_make(user=request.user)
    return render(request, "users/twofactor_codes.html", {"codes": codes, "next": reverse("twofactor:setup")})
