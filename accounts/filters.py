"""The retailer filters, shared by the list page, the API and the export so they always agree."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Retailer
from accounts.selectors import retailer_quality_filter, retailer_quality_issues
from accounts.widgets import FastSelect
from users.models import OrgUnit, Route, User
from users.selectors import manager_scope, org_units_visible, route_scope

MIN_SEARCH_LENGTH = 1
MAX_EXPIRING_DAYS = 3650
# The bounds the filters enforce, stated in the OpenAPI schema too: a bare NumberFilter is documented as any
# number, so clients (and contract tests) would send values the API then refuses with 400.
TIER_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 30}
EXPIRING_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_EXPIRING_DAYS}


class ColumnsChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The options as (pk, label) read with values_list: no model instance per option."""

    def __iter__(self):
        field = self.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        if field.null_label is not None:
            yield (field.null_value, field.null_label)
        for pk, *columns in self.queryset.values_list("pk", *field.label_columns):
            yield (pk, field.label_from_columns(*columns))


class ColumnsModelChoiceField(django_filters.fields.ModelChoiceField):
    """A ModelChoiceField (validation unchanged: a value is looked up in the queryset) whose options are built from
    `label_columns` by `label_from_columns`, which must say what the model's __str__ says. An admin's list page
    offers every route and manager of the province: building 3,000 model instances for the options was most of the
    page's time."""

    iterator = ColumnsChoiceIterator

    def __init__(self, *args, label_columns: tuple[str, ...], label_from_columns, **kwargs):
        self.label_columns = label_columns
        self.label_from_columns = label_from_columns
        super().__init__(*args, **kwargs)


class TerritoryChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ColumnsModelChoiceField


# What Route.__str__, User.__str__ and OrgUnit.__str__ say, from their columns.
ROUTE_LABEL = {"label_columns": ("code", "name"), "label_from_columns": Route.label_from}
MANAGER_LABEL = {"label_columns": ("display_name", "username"), "label_from_columns": User.name_from}
ORG_UNIT_LABEL = {"label_columns": ("name",), "label_from_columns": str}


class RetailerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("店名、负责人、许可证号、手机号或地址"), "type": "search"}
        ),
    )
    # The three territory lists can be long (an admin sees every route): FastSelect renders them quickly.
    route = TerritoryChoiceFilter(label=_("服务线路"), queryset=None, widget=FastSelect, **ROUTE_LABEL)
    manager = TerritoryChoiceFilter(
        label=_("客户经理"), field_name="route__manager", queryset=None, widget=FastSelect, **MANAGER_LABEL
    )
    org_unit = TerritoryChoiceFilter(
        label=_("所属单位"), queryset=None, method="filter_org_unit", widget=FastSelect, **ORG_UNIT_LABEL
    )
    # distinct=False: these filter the retailer's own columns, so no row can repeat, and SELECT DISTINCT
    # would make PostgreSQL sort every matching row before it could stop at the first page.
    business_format = django_filters.MultipleChoiceFilter(
        label=_("经营业态"), choices=Retailer.BusinessFormat.choices, distinct=False
    )
    # FastSelect for the short lists too: Django renders each <option> through a template of its own.
    market_type = django_filters.ChoiceFilter(
        label=_("市场类型"), choices=Retailer.MarketType.choices, widget=FastSelect
    )
    scale = django_filters.ChoiceFilter(
        label=_("经营规模"), choices=Retailer.Scale.choices, widget=FastSelect
    )
    tier_min = extend_schema_field(TIER_SCHEMA)(
        django_filters.NumberFilter(
            label=_("档位从"), field_name="tier", lookup_expr="gte", min_value=1, max_value=30
        )
    )
    tier_max = extend_schema_field(TIER_SCHEMA)(
        django_filters.NumberFilter(
            label=_("档位到"), field_name="tier", lookup_expr="lte", min_value=1, max_value=30
        )
    )
    credit_grade = django_filters.MultipleChoiceFilter(
        label=_("信用等级"), choices=Retailer.CreditGrade.choices, distinct=False
    )
    status = django_filters.ChoiceFilter(
        label=_("客户状态"), choices=Retailer.Status.choices, widget=FastSelect
    )
    licence_status = django_filters.ChoiceFilter(
        label=_("许可证状态"), choices=Retailer.LicenceStatus.choices, widget=FastSelect
    )
    expiring_within = extend_schema_field(EXPIRING_SCHEMA)(
        django_filters.NumberFilter(
            label=_("许可证N天内到期"),
            method="filter_expiring",
            min_value=0,
            max_value=MAX_EXPIRING_DAYS,
            help_text=_("含已过期的许可证"),
        )
    )
    issue = django_filters.ChoiceFilter(
        label=_("数据问题"),
        choices=[(key, label) for key, (label, _q) in retailer_quality_issues().items()],
        method="filter_issue",
        widget=FastSelect,
    )

    class Meta:
        model = Retailer
        fields = []

    def __init__(self, data=None, *args, user=None, **kwargs):
        if user is None and kwargs.get("request") is not None:
            user = kwargs["request"].user
        super().__init__(data, *args, **kwargs)
        # Choices come from the user's own territory, so a filter list never reveals another's routes.
        if user is not None and user.is_authenticated:
            # a route's label is its own code and name: no need for the selector's joins here
            self.filters["route"].queryset = route_scope(user=user).select_related(None)
            self.filters["manager"].queryset = manager_scope(user=user)
            self.filters["org_unit"].queryset = org_units_visible(user=user)
        else:
            self.filters["route"].queryset = Route.objects.none()
            self.filters["manager"].queryset = User.objects.none()
            self.filters["org_unit"].queryset = OrgUnit.objects.none()

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if len(value) < MIN_SEARCH_LENGTH:
            return queryset
        # LIKE on the generated search column is served by its pg_trgm GIN index.
        return queryset.filter(search_text__contains=value)

    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(org_unit__path__startswith=value.path)

    def filter_issue(self, queryset, name, value):
        return retailer_quality_filter(queryset, issue=value)

    def filter_expiring(self, queryset, name, value):
        limit = timezone.localdate() + datetime.timedelta(days=int(value))
        return queryset.filter(licence_expires_on__lte=limit)
