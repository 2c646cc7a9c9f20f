"""A merge of duplicate retailers strands nothing: every model that references Retailer has a decision in
accounts.dedupe.services.MERGE_DECISIONS (move to the survivor, or stay with the closed record for a written reason), and a
merge of two shops that each hold every kind of record leaves nothing that should move on the duplicate."""

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

from accounts.compliance.models import Violation
from accounts.dedupe.models import DuplicatePair
from accounts.dedupe.services import (
    MERGE_DECISIONS,
    MergeAction,
    merge_decisions_check,
    merge_decisions_missing,
    retailer_merge,
    retailer_references,
)
from accounts.models import Retailer, SensitiveAccess
from accounts.services import retailer_consent_set
from campaigns.models import Delivery
from feedback.appeals.models import TierAppeal
from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.portal.models import PortalLinkSend
from feedback.surveys.models import SurveyInvitation, SurveyResponse, SurveyStratum
from fieldapp.models import HeldVisit
from loyalty.coupons.models import Coupon, CouponBatch
from loyalty.ledger.models import PointsAccount, PointsEntry
from loyalty.ledger.services import account_lock, credit
from loyalty.models import LoyaltyEvent
from loyalty.referrals.models import Referral
from privacy.models import PrivacyLog, PrivacyRequest, RetailerAnonymisation
from sales.allocation.models import AllocationAllowance, AllocationExcess, AllocationPlan
from sales.models import RetailerPeriodSummary, RetailerProductSummary
from segmentation.ml.models import Recommendation
from segmentation.scoring.models import RetailerScore, ScoreChange, ScoringEvent
from segmentation.segments.services import segment_create
from segmentation.tiers.models import TierChange, TierProposal, TierProposalLine
from tests.accounts.factories import RetailerFactory
from tests.campaigns.factories import CampaignFactory, TemplateFactory
from tests.feedback.conftest import seeded_questionnaire
from tests.feedback.factories import SurveyFactory, open_complaint
from tests.sales.factories import OrderFactory, ProductFactory
from tests.segmentation.factories import RetailerScoreFactory, ScoringRunFactory
from tests.visits.factories import CultivationProgrammeFactory, VisitPlanFactory
from visits.models import CultivationTarget, Visit, VisitPlan

DAY = datetime.date(2026, 3, 5)


# ---- (a) every reference has a decision ------------------------------------------------------------------------


def test_every_model_that_references_retailer_has_a_merge_decision():
    references = retailer_references()
    # the enumeration is the model graph itself; it finds the well-known ones …
    assert ("sales.Order", "retailer") in references
    assert ("loyalty.Referral", "referee") in references
    assert ("accounts.Retailer", "merged_into") in references
    # … and every one of them has a decision, and no decision names a reference that does not exist
    assert merge_decisions_missing() == []
    assert set(MERGE_DECISIONS) == set(references)
    for (label, field), decision in MERGE_DECISIONS.items():
        assert decision.why.strip(), f"{label}.{field}: a decision needs its reason"
        if decision.action == MergeAction.MOVE:
            assert decision.handler is not None, f"{label}.{field}: a move needs its handler"


def test_every_retailer_id_column_in_the_database_belongs_to_a_reference_with_a_decision(db):
    """Raw columns too: a table holding a retailer's id that no model maps (or maps without a relation)."""
    by_table = {}
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            by_table[(model._meta.db_table, f.column)] = (model._meta.label, f.name)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND column_name LIKE '%%retailer_id'
              AND table_name NOT LIKE 'import\\_%%' AND table_name IN (
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
              -- a month partition of the order history is a piece of its partitioned table, checked as that
              AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)
            """
        )
        columns = cursor.fetchall()
    assert ("sales_order", "retailer_id") in columns
    for table, column in columns:
        assert (table, column) in by_table, f"{table}.{column} holds retailer ids but no model maps it"
        assert by_table[(table, column)] in MERGE_DECISIONS, f"{table}.{column} has no merge decision"


def test_a_reference_without_a_decision_fails_the_system_check(monkeypatch):
    assert merge_decisions_check() == []
    entries = dict(MERGE_DECISIONS._entries)
    del entries[("visits.Visit", "retailer")]
    monkeypatch.setattr(MERGE_DECISIONS, "_entries", entries)
    assert merge_decisions_missing() == [("visits.Visit", "retailer")]
    errors = merge_decisions_check()
    assert [e.id for e in errors] == ["accounts.E001"]
    assert "visits.Visit.retailer" in errors[0].msg


# ---- (c) the registry is listed ----------------------------------------------------------------------------------


def test_manage_py_registries_lists_every_merge_decision():
    out = io.StringIO()
    call_command("registries", "merge", stdout=out)
    text = out.getvalue()
    assert f"merge (declared by accounts, {len(MERGE_DECISIONS)} entries)" in text
    for (label, field), decision in MERGE_DECISIONS.items():
        assert f"  {label}.{field}  [{label.split('.')[0]}]  {decision.action}" in text


# ---- (b) a merge of two shops that hold everything ---------------------------------------------------------------


class World:
    """Shared things the records hang on; each shop gets its own campaign, survey, batch and programme, so the
    records of the two shops never meet in one unique key (the conflicts have their own test below)."""

    def __init__(self, *, admin, county, route):
        self.admin, self.county, self.route = admin, county, route
        self.product = ProductFactory(
            code="6901028001663",
            brand="中华",
            name="中华（硬）",
            wholesale_price_fen=37500,
            retail_price_fen=45000,
        )
        self.run = ScoringRunFactory()
        self.plan = AllocationPlan.objects.create(
            product=self.product, org_unit=county, cycle_start=DAY, cycle_end=DAY, created_by=admin
        )
        self.proposal = TierProposal.objects.create(period_start=DAY, period_end=DAY, created_by=admin)
        self.segment = segment_create(
            user=admin, name="全部", org_unit=county, definition={"op": "and", "rules": []}
        )
        self.questionnaire = seeded_questionnaire()
        self.template = TemplateFactory(org_unit=county, created_by=admin)
        self.serial = 0
        self.early = RetailerFactory(route=route)  # an id below every shop's

    def next(self) -> int:
        self.serial += 1
        return self.serial

    def campaign(self):
        return CampaignFactory(template=self.template, org_unit=self.county, created_by=self.admin)

    def survey(self):
        n = self.next()
        survey = SurveyFactory(
            actor=self.admin,
            segment=self.segment,
            questionnaire=self.questionnaire,
            name=f"调查{n}",
            period="2026Q1",
        )
        stratum = SurveyStratum.objects.create(
            survey=survey, business_format="Z", scale="1", market_type="C", population=2, sample_size=2
        )
        return survey, stratum

    def batch(self):
        return CouponBatch.objects.create(
            name=f"券{self.next()}", expires_on=DAY + datetime.timedelta(days=90)
        )

    def programme(self):
        return CultivationProgrammeFactory(
            name=f"培育{self.next()}",
            product=self.product,
            org_unit=self.county,
            starts_on=DAY,
            ends_on=DAY + datetime.timedelta(days=30),
            goal_selling_retailers=1,
            goal_sell_through_pct=50,
            created_by=self.admin,
        )

    def shop_with_everything(
        self, shop: Retailer, *, planned_on: datetime.date, referred: bool = True, anonymised: bool = True
    ) -> None:
        """One record of every kind that references `shop` (a shop is referred at most once: `referred`; without
        `anonymised`, no record of an erasure, so that one can still be run)."""
        n = self.next()
        admin, route = self.admin, self.route
        merged_before = RetailerFactory(route=route)  # merged into the shop by an earlier merge
        Retailer.objects.filter(pk=merged_before.pk).update(merged_into=shop, status=Retailer.Status.CLOSED)
        retailer_consent_set(actor=None, retailer=shop, channel="sms", granted=True, source="纸质授权书")
        SensitiveAccess.objects.create(user=admin, retailer=shop, field="mobile", via="page")
        other = RetailerFactory(route=route)
        first, second = sorted([shop.pk, other.pk])
        DuplicatePair.objects.create(first_id=first, second_id=second, reason="fuzzy")
        DuplicatePair.objects.create(first=self.early, second=shop, reason="fuzzy")  # the shop second
        Violation.objects.create(
            retailer=shop,
            occurred_on=DAY,
            type="no_price_tags",
            penalty="warning",
            source="visit",
            recorded_by=admin,
        )
        # no rebuild: the summary rows are written by hand below, one of each kind, for the merge to move
        order = OrderFactory(
            order_no=f"M{n}",
            retailer=shop,
            ordered_on=DAY,
            lines={self.product: 5},
            price_fen=37500,
            summaries=False,
        )
        line = order.lines.get()
        RetailerPeriodSummary.objects.create(retailer=shop, period="month", period_start=DAY.replace(day=1))
        RetailerProductSummary.objects.create(
            retailer=shop,
            product=self.product,
            week_start=DAY - datetime.timedelta(days=DAY.weekday()),
            order_count=1,
            cartons=5,
            amount_fen=5 * 37500,
            first_ordered_on=DAY,
            last_ordered_on=DAY,
        )
        AllocationAllowance.objects.create(
            plan=self.plan, retailer=shop, market_type=shop.market_type, reason="rule", cartons=2
        )
        AllocationExcess.objects.create(
            plan=self.plan,
            order_line=line,
            retailer=shop,
            ordered_on=DAY,
            allowance=2,
            ordered_to_date=5,
            excess_cartons=3,
        )
        RetailerScoreFactory(retailer=shop, run=self.run, rfm_segment="loyal")
        ScoreChange.objects.create(
            retailer=shop, run=self.run, field="lifecycle", old="new", new="active", at=timezone.now()
        )
        ScoringEvent.objects.create(retailer=shop, kind="became_at_risk", at=timezone.now())
        Recommendation.objects.create(
            run=self.run,
            retailer=shop,
            product=self.product,
            rank=1,
            kind="peer",
            peer_count=10,
            peer_buyers=5,
        )
        TierProposalLine.objects.create(
            proposal=self.proposal, retailer=shop, score=Decimal("0.5"), rank=n, proposed_tier=12
        )
        TierChange.objects.create(
            retailer=shop,
            from_tier=10,
            to_tier=11,
            reason="复核",
            source="manual",
            status="approved",
            requested_by=admin,
            approved_by=admin,
            requested_at=timezone.now(),
            decided_at=timezone.now(),
        )
        Delivery.objects.create(campaign=self.campaign(), retailer=shop, channel="sms")
        with_points = account_lock(retailer_id=shop.pk)
        credit(
            account=with_points,
            kind=PointsEntry.Kind.ADJUST,
            points=10 * n,
            expires_on=datetime.date(2099, 12, 31),
            note="测试",
        )
        Referral.objects.create(
            referrer=shop, referee=RetailerFactory(route=route), orders_required=1, points=50
        )
        if referred:
            Referral.objects.create(
                referrer=RetailerFactory(route=route), referee=shop, orders_required=1, points=50
            )
        Coupon.objects.create(batch=self.batch(), retailer=shop, code=f"C{n:07d}", expires_on=DAY)
        LoyaltyEvent.objects.create(retailer=shop, kind="level_changed")
        open_complaint(shop)
        TierAppeal.objects.create(  # a decided one: an open appeal per shop may stay (see feedback.merge)
            complaint=open_complaint(shop, description=f"档位异议 {n}"),
            retailer=shop,
            tier_at_filing=shop.tier,
            outcome="upheld",
            decided_by=admin,
            decided_at=timezone.now(),
        )
        HiddenComplaintCall.objects.create(
            retailer=shop, reason="订货下降", outcome="no_issue", called_by=admin, called_at=timezone.now()
        )
        PortalLinkSend.objects.create(
            retailer=shop, sent_by=admin, to_number="138****1234", accepted=True, sent_at=timezone.now()
        )
        survey, stratum = self.survey()
        invitation = SurveyInvitation.objects.create(
            survey=survey, retailer=shop, stratum=stratum, weight=1.0
        )
        SurveyResponse.objects.create(invitation=invitation, survey=survey, retailer=shop, weight=1.0)
        manager = route.manager
        VisitPlanFactory(
            retailer=shop, planned_on=planned_on, manager=manager, route=route, frequency="weekly"
        )
        Visit.objects.create(
            retailer=shop,
            manager=manager,
            visited_on=planned_on,
            checked_in_at=timezone.now(),
            location_flag="ok",
        )
        HeldVisit.objects.create(
            idempotency_key=uuid.uuid4(), manager=manager, retailer=shop, reason="已改划"
        )
        CultivationTarget.objects.create(programme=self.programme(), retailer=shop, source="hand")
        request = PrivacyRequest.objects.create(
            retailer=shop, kind="access", status="done", created_by=admin, details=f"副本{n}"
        )
        PrivacyLog.objects.create(retailer=shop, request=request, code="exported", user=admin)
        if anonymised:
            RetailerAnonymisation.objects.create(retailer=shop, reason="retention")


def _counts(retailer: Retailer) -> dict[tuple[str, str], int]:
    return {
        (label, field): apps.get_model(label)._base_manager.filter(**{field: retailer}).count()
        for label, field in MERGE_DECISIONS
    }


def _unique_on(label: str, field: str) -> bool:
    """Whether at most one row per retailer (and some other key) may exist: a merge may then fold rows."""
    model = apps.get_model(label)
    if model._meta.get_field(field).unique:
        return True
    return any(isinstance(c, models.UniqueConstraint) and field in c.fields for c in model._meta.constraints)


@pytest.fixture
def world(company_admin, county_a, route_a):
    # the complaint categories of the data migration: a transactional test elsewhere may have flushed them
    import importlib

    from django.apps import apps

    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)
    return World(admin=company_admin, county=county_a, route=route_a)


@pytest.fixture
def two_full_shops(world, route_a):
    survivor = RetailerFactory(route=route_a, shop_name="合并测试店")
    duplicate = RetailerFactory(route=route_a, shop_name="合并测试店（重复）")
    # a shop is referred once: were both records referred, the duplicate's referral would stay (tested below)
    world.shop_with_everything(survivor, planned_on=DAY, referred=False)
    world.shop_with_everything(duplicate, planned_on=DAY + datetime.timedelta(days=1))
    return survivor, duplicate


def test_a_merge_of_two_shops_with_every_kind_of_record_leaves_nothing_that_moves_on_the_duplicate(
    two_full_shops, company_admin
):
    survivor, duplicate = two_full_shops
    before_dup, before_surv = _counts(duplicate), _counts(survivor)
    # the world really holds every kind of record on both shops (a new reference must be added to it)
    assert [key for key, n in before_dup.items() if n == 0] == []
    assert [key for key, n in before_surv.items() if n == 0] == [("loyalty.Referral", "referee")]

    retailer_merge(user=company_admin, survivor_id=survivor.pk, duplicate_id=duplicate.pk)

    after_dup, after_surv = _counts(duplicate), _counts(survivor)
    for key, decision in MERGE_DECISIONS.items():
        if decision.action == MergeAction.MOVE:
            assert after_dup[key] == 0, f"{key} left {after_dup[key]} rows on the duplicate"
            if _unique_on(*key):
                assert after_surv[key] >= before_surv[key], key
            else:
                assert after_surv[key] >= before_surv[key] + before_dup[key], key
        else:
            assert after_dup[key] >= before_dup[key], f"{key} stays, yet rows left the duplicate"
    # the stays that act: the duplicate's points are on the survivor's account now
    balances = dict(PointsAccount.objects.values_list("retailer_id", "balance"))
    assert balances[duplicate.pk] == 0
    assert balances[survivor.pk] == sum(
        PointsEntry.objects.filter(
            account__retailer__in=[survivor, duplicate], kind="adjust", note="测试"
        ).values_list("points", flat=True)
    )
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (Retailer.Status.CLOSED, survivor.pk)
    # a survey response still names the retailer of its invitation
    assert not SurveyResponse.objects.exclude(retailer_id=models.F("invitation__retailer_id")).exists()


def test_a_merge_folds_records_the_survivor_may_hold_only_once_as_each_decision_says(
    world, route_a, company_admin
):
    survivor = RetailerFactory(route=route_a)
    duplicate = RetailerFactory(route=route_a)
    both = (survivor, duplicate)
    campaign, (survey, stratum), batch, programme = (
        world.campaign(),
        world.survey(),
        world.batch(),
        world.programme(),
    )
    for i, shop in enumerate(both):
        Delivery.objects.create(campaign=campaign, retailer=shop, channel="sms", state="sent")
        invitation = SurveyInvitation.objects.create(
            survey=survey, retailer=shop, stratum=stratum, weight=1.0
        )
        SurveyResponse.objects.create(invitation=invitation, survey=survey, retailer=shop, weight=1.0)
        Coupon.objects.create(batch=batch, retailer=shop, code=f"D{i:07d}", expires_on=DAY)
        VisitPlanFactory(
            retailer=shop, planned_on=DAY, manager=route_a.manager, route=route_a, frequency="weekly"
        )
        CultivationTarget.objects.create(programme=programme, retailer=shop, source="rule")
        Recommendation.objects.create(
            run=world.run,
            retailer=shop,
            product=world.product,
            rank=1,
            kind="peer",
            peer_count=10,
            peer_buyers=5,
        )
        TierChange.objects.create(
            retailer=shop,
            to_tier=15 + i,
            reason="申请",
            source="manual",
            requested_by=company_admin,
            requested_at=timezone.now(),
        )
    survivor_plan = VisitPlan.objects.get(retailer=survivor)
    referred_twice = [
        Referral.objects.create(
            referrer=RetailerFactory(route=route_a), referee=shop, orders_required=1, points=5
        )
        for shop in both
    ]

    retailer_merge(user=company_admin, survivor_id=survivor.pk, duplicate_id=duplicate.pk)

    # the send log, the sampled invitation (with its answer) and the handed-out coupon stay on the closed record
    assert Delivery.objects.filter(retailer=duplicate).count() == 1
    assert Delivery.objects.filter(retailer=survivor).count() == 1
    assert SurveyInvitation.objects.filter(retailer=duplicate).count() == 1
    assert SurveyResponse.objects.filter(retailer=duplicate).count() == 1
    assert Coupon.objects.filter(retailer=duplicate).count() == 1
    # the survivor's plan and target stand for both; the duplicate's are gone
    assert list(VisitPlan.objects.filter(retailer__in=both)) == [survivor_plan]
    assert CultivationTarget.objects.filter(retailer__in=both).count() == 1
    assert Recommendation.objects.filter(retailer=duplicate).count() == 0
    assert Recommendation.objects.filter(retailer=survivor).count() == 1
    # the duplicate's pending tier request is closed as rejected and moves; the survivor's stays pending
    assert sorted(TierChange.objects.filter(retailer=survivor).values_list("to_tier", "status")) == [
        (15, "pending"),
        (16, "rejected"),
    ]
    # a shop is referred once: the survivor's referral stands, the duplicate's stays cancelled
    for referral in referred_twice:
        referral.refresh_from_db()
    assert [(r.referee_id, r.status) for r in referred_twice] == [
        (survivor.pk, "pending"),
        (duplicate.pk, "cancelled"),
    ]


def test_a_pending_referral_between_the_two_records_is_cancelled_not_turned_into_a_self_referral(
    route_a, company_admin
):
    survivor = RetailerFactory(route=route_a)
    duplicate = RetailerFactory(route=route_a)
    self_referral = Referral.objects.create(referrer=duplicate, referee=survivor, orders_required=1, points=5)
    retailer_merge(user=company_admin, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    self_referral.refresh_from_db()
    assert (self_referral.status, self_referral.referrer_id, self_referral.referee_id) == (
        "cancelled",
        duplicate.pk,
        survivor.pk,
    )


def test_a_score_of_the_duplicate_becomes_the_survivors_when_it_has_none(world, route_a, company_admin):
    survivor = RetailerFactory(route=route_a)
    duplicate = RetailerFactory(route=route_a)
    RetailerScoreFactory(
        retailer=duplicate,
        run=world.run,
        r_score=5,
        f_score=4,
        rfm_segment="champions",
        value_class="high",
        loyalty_class="loyal",
    )
    retailer_merge(user=company_admin, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    assert list(RetailerScore.objects.values_list("retailer_id", "rfm_segment")) == [
        (survivor.pk, "champions")
    ]
