"""Loyalty pages: the points panel the retailer portrait loads (redeem, cancel, refer, the retailer's link), the
statement, rewards and redemptions, coupon use, the finance liability page, and the retailer's own link page
(signed, no login). Views parse input, call one service or selector, and render."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Retailer
from accounts.selectors import retailer_get, retailer_scope
from core.errors import ConflictError, error_text, form_errors_text
from core.idempotency import idempotent
from core.links import LinkRefusedError, link_rate_limited, link_view
from loyalty import selectors
from loyalty.coupons.services import coupon_redeem
from loyalty.forms import RedeemForm, ReferralForm
from loyalty.ledger.models import PointsEntry
from loyalty.links import POINTS, points_link_read
from loyalty.referrals.services import referral_create
from loyalty.rewards.models import Redemption
from loyalty.rewards.services import (
    redemption_approve,
    redemption_cancel,
    redemption_deliver,
    redemption_may_cancel,
    reward_redeem,
)

RECENT = 5
LINK_STATEMENT = 10


def _body_message(body: dict) -> str:
    """The words of a stored response: its message, its detail, or its field errors."""
    if body.get("message") or body.get("detail"):
        return str(body.get("message") or body.get("detail"))
    return " ".join(
        str(m) for value in body.values() for m in (value if isinstance(value, list) else [value])
    )


# ---- the portrait panel ------------------------------------------------------------------------------------------
def _panel(request, retailer: Retailer, *, message: str = "", ok: bool = True, status: int = 200):
    summary = selectors.points_summary(retailer=retailer)
    user = request.user
    redemptions = selectors.retailer_redemptions(retailer=retailer, limit=RECENT)
    context = {
        "retailer": retailer,
        "s": summary,
        "entries": selectors.statement(retailer=retailer, size=RECENT)[0],
        "redemptions": [(r, redemption_may_cancel(redemption=r, user=user)) for r in redemptions],
        "coupons": selectors.retailer_coupons(retailer=retailer, limit=RECENT),
        "referrals": selectors.retailer_referrals(retailer=retailer),
        "rewards": [row for row in selectors.rewards_for(account=summary["account"]) if row["may_redeem"]],
        "may_redeem": user.has_perm("loyalty.add_redemption"),
        "may_decide": user.has_perm("loyalty.change_redemption"),
        "may_refer": user.has_perm("loyalty.add_referral"),
        "idempotency_key": uuid.uuid4().hex,
        "message": message,
        "ok": ok,
    }
    return render(request, "includes/retailer_points.html", context, status=status)


@login_required
@require_GET
def retailer_points_view(request, pk):
    return _panel(request, retailer_get(user=request.user, retailer_id=pk))


@login_required
@require_POST
def retailer_redeem_view(request, pk):
    """The panel's "兑换" form. The form carries a fresh idempotency key: a double tap redeems once."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _panel(request, retailer, message=form_errors_text(form), ok=False, status=400)

    def run():
        redemption = reward_redeem(
            retailer_id=retailer.pk,
            reward_id=form.cleaned_data["reward"],
            quantity=form.cleaned_data["quantity"],
            user=request.user,
            channel=Redemption.Channel.STAFF,
        )
        return 201, {
            "message": _("已兑换 %(name)s，扣减 %(points)s 积分。")
            % {"name": redemption.reward.name, "points": redemption.points}
        }

    try:
        code, body, _replayed = idempotent(
            principal=f"user:{request.user.pk}",
            key=form.cleaned_data["idempotency_key"],
            endpoint=f"panel/redeem/{retailer.pk}",
            payload={k: v for k, v in form.cleaned_data.items() if k != "idempotency_key"},
            run=run,
        )
    except (ValidationError, ConflictError) as exc:
        return _panel(request, retailer, message=error_text(exc), ok=False, status=409)
    return _panel(
        request, retailer, message=_body_message(body), ok=code < 400, status=200 if code < 400 else code
    )


@login_required
@require_POST
def redemption_action_view(request, pk, action):
    """Approve, deliver or cancel a redemption (from the panel, which it re-renders, or from the list)."""
    redemption = selectors.redemption_get(user=request.user, redemption_id=pk)
    service = {
        "approve": redemption_approve,
        "deliver": redemption_deliver,
        "cancel": redemption_cancel,
    }.get(action)
    if service is None:
        raise Http404
    ok, message = (
        True,
        {
            "approve": _("已审核。"),
            "deliver": _("已确认兑付。"),
            "cancel": _("已取消，积分已退还。"),
        }[action],
    )
    try:
        service(redemption_id=redemption.pk, user=request.user)
    except (ConflictError, ValidationError) as exc:
        ok, message = False, error_text(exc)
    if request.htmx:
        retailer = redemption.account.retailer
        return _panel(request, retailer, message=message, ok=ok, status=200 if ok else 409)
    (messages.success if ok else messages.error)(request, message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("loyalty:home")
    return redirect(target)


@login_required
@require_POST
def retailer_referral_create_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    form = ReferralForm(request.POST)
    if not form.is_valid():
        return _panel(request, retailer, message=form_errors_text(form), ok=False, status=400)
    referee = retailer_scope(user=request.user).filter(licence_no=form.cleaned_data["licence_no"]).first()
    if referee is None:
        return _panel(
            request, retailer, message=_("您的辖区内没有这个许可证号的店铺。"), ok=False, status=400
        )
    try:
        referral_create(referrer=retailer, referee=referee, user=request.user)
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        return _panel(request, retailer, message=error_text(exc), ok=False, status=409)
    return _panel(request, retailer, message=_("已登记推荐：%(shop)s。") % {"shop": referee.shop_name})


@login_required
@require_GET
def retailer_statement_view(request, pk):
    retailer, summary = selectors.retailer_points_get(user=request.user, retailer_id=pk)
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before = None
    entries, next_before = selectors.statement(retailer=retailer, before_id=before, size=50)
    return render(
        request,
        "loyalty/statement.html",
        {
            "retailer": retailer,
            "s": summary,
            "entries": entries,
            "next_before": next_before,
            "first_page": before is None,
        },
    )


# ---- rewards, redemptions, coupons, liability ------------------------------------------------------------------
@login_required
@permission_required("loyalty.view_redemption", raise_exception=True)
@require_GET
def loyalty_home_view(request):
    status = request.GET.get("status", "")
    if status not in Redemption.Status.values:
        status = ""
    redemptions = list(selectors.redemption_list(user=request.user, status=status or None)[:50])
    return render(
        request,
        "loyalty/home.html",
        {
            "rewards": selectors.reward_list().filter(is_active=True).order_by("points_price", "id"),
            "redemptions": [(r, redemption_may_cancel(redemption=r, user=request.user)) for r in redemptions],
            "status": status,
            "statuses": Redemption.Status.choices,
            "may_decide": request.user.has_perm("loyalty.change_redemption"),
            "may_redeem_coupon": request.user.has_perm("loyalty.change_coupon"),
            "may_see_liability": request.user.has_perm("loyalty.view_liability"),
        },
    )


@login_required
@require_POST
def coupon_redeem_view(request):
    try:
        coupon = coupon_redeem(code=request.POST.get("code", ""), user=request.user)
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("券 %(code)s 已核销：%(name)s（%(shop)s）。")
            % {"code": coupon.code, "name": coupon.batch.name, "shop": coupon.retailer.shop_name},
        )
    return redirect("loyalty:home")


@login_required
@permission_required("loyalty.view_liability", raise_exception=True)
@require_GET
def liability_view(request):
    return render(
        request, "loyalty/liability.html", {"t": selectors.liability_by_org_unit_month(user=request.user)}
    )


# ---- the retailer's own link (no login) -----------------------------------------------------------------------
class _RateLimited(Exception):  # noqa: N818 - answered with a 429 by the views below
    pass


def _retailer_from_token(request, token: str) -> Retailer:
    """Rate limit first (per link and per address, as every retailer link), then the POINTS token."""
    if link_rate_limited(request=request, token=token):
        raise _RateLimited
    try:
        link = points_link_read(token=token)
    except LinkRefusedError:
        raise Http404(_("链接无效或已过期，请联系您的客户经理。")) from None
    # a closed (or merged-away) shop's link no longer opens
    retailer = (
        Retailer.objects.filter(pk=link.retailer_id, merged_into__isnull=True)
        .exclude(status=Retailer.Status.CLOSED)
        .first()
    )
    if retailer is None:
        raise Http404
    return retailer


def _too_many():
    response = HttpResponse(
        _("访问过于频繁，请稍后再试。"), status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


@link_view(POINTS)
@require_GET
def retailer_link_view(request, token):
    try:
        retailer = _retailer_from_token(request, token)
    except _RateLimited:
        return _too_many()
    summary = selectors.points_summary(retailer=retailer)
    entries, _next = selectors.statement(retailer=retailer, size=LINK_STATEMENT)
    response = render(
        request,
        "loyalty/link.html",
        {
            "retailer": retailer,
            "token": token,
            "s": summary,
            "entries": entries,
            "rewards": selectors.rewards_for(account=summary["account"]),
            "redemptions": selectors.retailer_redemptions(retailer=retailer, limit=RECENT),
            "coupons": selectors.retailer_coupons(retailer=retailer, limit=RECENT),
            "idempotency_key": uuid.uuid4().hex,
            "kinds": PointsEntry.Kind,
        },
    )
    response["Cache-Control"] = "no-store"
    # the token must not leak to other sites; same-origin (not no-referrer) so the page's own forms post with an
    # Origin header that CSRF accepts (with no-referrer browsers send "Origin: null" and every redemption is a 403)
    response["Referrer-Policy"] = "same-origin"
    return response


@link_view(POINTS)
@require_POST
def retailer_link_redeem_view(request, token):
    try:
        retailer = _retailer_from_token(request, token)
    except _RateLimited:
        return _too_many()
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("loyalty:link", token=token)

    def run():
        redemption = reward_redeem(
            retailer_id=retailer.pk,
            reward_id=form.cleaned_data["reward"],
            quantity=form.cleaned_data["quantity"],
            user=None,
            channel=Redemption.Channel.LINK,
        )
        return 201, {
            "message": _("兑换申请已提交：%(name)s，扣减 %(points)s 积分。客户经理会尽快为您安排。")
            % {"name": redemption.reward.name, "points": redemption.points}
        }

    try:
        code, body, _replayed = idempotent(
            principal=f"link:{retailer.pk}",
            key=form.cleaned_data["idempotency_key"],
            endpoint="link/redeem",
            payload={k: v for k, v in form.cleaned_data.items() if k != "idempotency_key"},
            run=run,
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
    else:
        (messages.success if code < 400 else messages.error)(request, _body_message(body))
    return redirect("loyalty:link", token=token)
