"""Factories for retailers. They create through accounts.services.retailer_create (actor=None, a system job),
so every row has passed the same validation as a form or API body."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Retailer
from accounts.parsers import ID_CARD_CHECK, ID_CARD_WEIGHTS
from accounts.services import EDITABLE_FIELDS, retailer_create
from tests.users.factories import RouteFactory

# real mainland mobile prefixes (China Mobile 138/139, China Unicom 186)
MOBILE_PREFIXES = ("138", "139", "186")


def county_region_code(unit) -> str:
    """The region code of the unit's county bureau (the first ancestor that carries one)."""
    while unit is not None:
        if unit.region_code:
            return unit.region_code
        unit = unit.parent
    raise ValueError("the org unit has no county above it")


def licence_for(unit, serial: int, holder_type: str = "1") -> str:
    return f"{county_region_code(unit)}{holder_type}{serial:05d}"


def id_card_with_check(first17: str) -> str:
    """Append the ISO 7064 MOD 11-2 check character to 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_CARD_WEIGHTS, strict=True))
    return first17 + ID_CARD_CHECK[total % 11]


def _issued_on(_obj) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=400)


class RetailerFactory(factory.Factory):
    class Meta:
        model = Retailer

    class Params:
        holder_type = "1"

    route = factory.SubFactory(RouteFactory)
    org_unit = factory.LazyAttribute(lambda o: o.route.org_unit)
    customer_code = factory.Sequence(lambda n: f"T{n + 1:010d}")
    licence_no = factory.LazyAttributeSequence(
        lambda o, n: licence_for(o.org_unit, 10000 + n % 90000, o.holder_type)
    )
    licence_issued_on = factory.LazyAttribute(_issued_on)
    licence_expires_on = factory.LazyAttribute(
        lambda o: o.licence_issued_on + datetime.timedelta(days=4 * 365)
    )
    shop_name = factory.Sequence(lambda n: f"测试便利店{n}号")
    owner_name = factory.Sequence(lambda n: f"张{'伟芳娜敏静'[n % 5]}{n}")
    mobile = factory.Sequence(lambda n: f"{MOBILE_PREFIXES[n % 3]}{n % 100_000_000:08d}")
    address = factory.Sequence(lambda n: f"河南省洛阳市老城区中州路{n}号")
    market_type = Retailer.MarketType.TOWN
    business_format = Retailer.BusinessFormat.CONVENIENCE
    scale = Retailer.Scale.MEDIUM
    tier = 10
    credit_grade = Retailer.CreditGrade.A

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return model_class(**kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return retailer_create(actor=None, data=kwargs)


class RetailerDataFactory(RetailerFactory):
    """The same values as a dict: what a form or an API body hands to retailer_create."""

    class Meta:
        model = dict


def retailer_data(*, route, **overrides) -> dict:
    """A valid, unsaved input dict for retailer_create on `route`. Overrides go through the factory, so
    derived values (org unit, licence) follow them; pass `holder_type="2"` for an enterprise licence."""
    return RetailerDataFactory.build(route=route, **overrides)


# What the browser forms post (accounts.forms.RetailerForm).


def _as_form_value(value):
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def form_data(retailer: Retailer, *, with_sensitive: bool = False, **changes) -> dict:
    """What the edit form posts for `retailer`, with `changes` applied. ID and bank account are only in the
    form of a user who may see them."""
    skipped = () if with_sensitive else ("owner_id_number", "bank_account")
    data = {name: getattr(retailer, name) for name in EDITABLE_FIELDS if name not in skipped}
    data.update(changes)
    data = {name: _as_form_value(value) for name, value in data.items()}
    if not data.get("is_night_shop"):
        data.pop("is_night_shop")  # an unticked checkbox is not posted
    data["updated_at_seen"] = retailer.updated_at.isoformat()
    return data


def new_retailer_form(route, **overrides) -> dict:
    """What the create form posts: the factory's values plus the choices the form preselects."""
    data = {
        "licence_status": "valid",
        "order_channel": "online",
        "payment_method": "bank",
        "status": "active",
    }
    data.update(retailer_data(route=route, **overrides))
    data = {k: _as_form_value(v) for k, v in data.items()}
    data.pop("is_night_shop", None)
    return data
