"""Reads of the offline field app: the pages a phone keeps for offline use, the product catalogue and the held
visits a supervisor may see."""

import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import retailer_scope
from fieldapp.models import HeldVisit
from sales.models import Product
from users.models import User
from visits import selectors as visit_selectors
from visits.daily.selectors import daily_list


def offline_manager(*, user: User) -> User | None:
    """Whose daily list the phone keeps: the manager's own; for anyone else the first manager they may see."""
    if user.role == User.Role.MANAGER:
        return user
    return visit_selectors.managers_for(user=user).first()


def offline_urls(*, user: User, today: datetime.date | None = None) -> list[str]:
    """The pages to keep for offline use: the home page, today's and tomorrow's daily list and route, and for each
    shop on those lists its portrait (rendered for this user, so masked as for them) and its visit form; the
    product catalogue. Deduplicated, in that order."""
    today = today or timezone.localdate()
    urls = [reverse("home"), reverse("fieldapp:products")]
    manager = offline_manager(user=user)
    if manager is None or not user.has_perm("visits.view_visitplan"):
        return urls
    suffix = "" if user.role == User.Role.MANAGER else f"?manager={manager.pk}"
    urls += [reverse("visits:daily-list") + suffix, reverse("visits:route") + suffix]
    tomorrow_suffix = (suffix + "&" if suffix else "?") + "day=tomorrow"
    urls.append(reverse("visits:daily-list") + tomorrow_suffix)
    shops: list[int] = []
    for day in (today, today + datetime.timedelta(days=1)):
        for entry in daily_list(manager=manager, today=day):
            if entry.retailer.pk not in shops:
                shops.append(entry.retailer.pk)
    may_visit = user.has_perm("visits.add_visit")
    for pk in shops:
        urls.append(reverse("accounts:retailer-detail", args=[pk]))
        if may_visit:
            urls.append(reverse("visits:visit-new", args=[pk]))
    return urls


def products_active() -> QuerySet[Product]:
    return Product.objects.filter(status=Product.Status.ACTIVE).order_by("brand", "name")


def held_visits(*, user: User) -> QuerySet[HeldVisit]:
    """Held visits of the shops in the user's scope (the shop's new side), of the managers under the user's org unit
    (the side that made them), and the user's own; all of them for a company admin."""
    mine = Q(retailer__in=retailer_scope(user=user).values("pk")) | Q(manager=user)
    if user.is_company_admin:
        mine = Q()
    elif user.role != User.Role.MANAGER and user.org_unit_id:
        mine |= Q(manager__org_unit__path__startswith=user.org_unit.path)  # their managers' held visits too
    return HeldVisit.objects.filter(mine).select_related("retailer", "manager").prefetch_related("photos")
