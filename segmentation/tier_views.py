"""Pages of the tier card (the portrait's panel) and the tier what-if (supervisors)."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from segmentation.models import TIER_COUNT
from segmentation.tier_card import tier_card_get
from segmentation.tier_whatif import (
    BASELINE_CURRENT,
    BASELINES,
    tier_shares_parse,
    tier_whatif,
    tier_whatif_may_run,
)
from segmentation.tiers import tier_rule_current

WEIGHTS = ("weight_cartons", "weight_amount", "weight_avg_price")


def _date(text: str) -> datetime.date | None:
    """An ISO date, or None (the last complete period) when empty; ValidationError when unreadable."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"period_end": _("日期格式应为 YYYY-MM-DD。")}) from None


@login_required
@require_GET
def retailer_tier_card_view(request, pk):
    """The tier card panel of the portrait (htmx); 404 outside the user's territory."""
    card = tier_card_get(user=request.user, retailer_id=pk)
    return render(request, "segmentation/_tier_card_body.html", {"card": card, "public": False})


@login_required
@require_GET
def tier_whatif_view(request):
    """The what-if form and, once asked, what would move and what it does to the scarce brands' allowances."""
    if not tier_whatif_may_run(user=request.user):
        raise PermissionDenied
    rule = tier_rule_current().as_parameters()
    values = {name: request.GET.get(name, str(rule[name])) for name in WEIGHTS}
    values["tier_shares"] = request.GET.get("tier_shares", ", ".join(str(s) for s in rule["tier_shares"]))
    values["baseline"] = request.GET.get("baseline", BASELINE_CURRENT)
    values["period_end"] = request.GET.get("period_end", "")
    context = {"values": values, "rule": rule, "baselines": BASELINES, "result": None, "errors": []}
    status = 200
    if request.GET.get("run"):
        try:
            weights = {}
            for name in WEIGHTS:
                try:
                    weights[name] = int(values[name])
                except ValueError:
                    raise ValidationError({name: "integer"}) from None
            result = tier_whatif(
                user=request.user,
                weights=weights,
                tier_shares=tier_shares_parse(values["tier_shares"]),
                baseline=values["baseline"],
                period_end=_date(values["period_end"]),
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            status = 400
        else:
            context["result"] = result
            context["tiers"] = range(TIER_COUNT, 0, -1)
            context["top_cells"] = [c for c in result.matrix if c[0] != c[1]][:30]
    return render(request, "segmentation/tier_whatif.html", context, status=status)
