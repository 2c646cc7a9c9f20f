from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import RetailerViewSet
from accounts.compliance.api import CreditRuleViewSet, ViolationViewSet
from accounts.imports.api import ImportJobViewSet
from campaigns.api.campaigns import CampaignViewSet
from campaigns.api.deliveries import DeliveryViewSet
from campaigns.api.templates import TemplateViewSet
from core.replica import reads_from_replica
from crm import views
from feedback.appeals.api import TierAppealViewSet
from feedback.complaints.api import ComplaintCategoryViewSet, ComplaintViewSet
from feedback.complaints.hidden.api import HiddenComplaintViewSet
from feedback.complaints.notifications.api import NotificationViewSet
from feedback.complaints.reports.api import ComplaintReportViewSet
from feedback.surveys.api import QuestionnaireViewSet, SurveyResponseViewSet, SurveyViewSet
from fieldapp import views as field_views
from loyalty.api import EventViewSet
from loyalty.coupons.api import CouponViewSet
from loyalty.ledger.api import AccountViewSet, EntryViewSet
from loyalty.referrals.api import ReferralViewSet
from loyalty.rewards.api import RedemptionViewSet, RewardViewSet
from privacy.api import PrivacyRequestViewSet
from sales.allocation.api import AllowanceViewSet, ExcessViewSet, FillRateViewSet, PlanViewSet
from segmentation.ml.api import ClusterProfileViewSet, RecommendationViewSet
from segmentation.scoring.api import RetailerScoreViewSet, ScoringEventViewSet, ScoringRunViewSet
from segmentation.segments.api import SegmentViewSet
from segmentation.tiers.api import TierCardView, TierChangeViewSet, TierProposalViewSet, TierWhatIfViewSet
from visits.coverage.api import CoverageViewSet
from visits.cultivation.api import ProgrammeViewSet
from visits.daily.api import DailyListViewSet
from visits.plans.api import VisitPlanViewSet
from visits.records.api import VisitViewSet
from workspace.api import WorkspaceView


class IdRouter(DefaultRouter):
    """Object URLs take digits unless a viewset says otherwise (lookup_value_regex): /plans/null/ is a 404, never a
    500 from an id that is not a number."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = r"[0-9]+"

    def get_urls(self):
        """Every list (GET on a list route) may read from the replica (core.replica); details, actions and writes
        read the primary."""
        urls = super().get_urls()
        for pattern in urls:
            actions = getattr(pattern.callback, "actions", None) or {}
            if actions.get("get") == "list":
                pattern.callback = reads_from_replica(pattern.callback)
        return urls


router = IdRouter()
router.register("retailers", RetailerViewSet, basename="retailer")
router.register("imports", ImportJobViewSet, basename="import-job")
router.register("scores", RetailerScoreViewSet, basename="score")
router.register("scoring-runs", ScoringRunViewSet, basename="scoring-run")
router.register("recommendations", RecommendationViewSet, basename="recommendation")
router.register("clusters", ClusterProfileViewSet, basename="cluster")
router.register("tier-proposals", TierProposalViewSet, basename="tier-proposal")
router.register("tier-changes", TierChangeViewSet, basename="tier-change")
router.register("tier-whatif", TierWhatIfViewSet, basename="tier-whatif")
router.register("tier-appeals", TierAppealViewSet, basename="tier-appeal")
router.register("scoring-events", ScoringEventViewSet, basename="scoring-event")
router.register("segments", SegmentViewSet, basename="segment")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("templates", TemplateViewSet, basename="message-template")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("loyalty/accounts", AccountViewSet, basename="loyalty-account")
router.register("loyalty/entries", EntryViewSet, basename="loyalty-entry")
router.register("loyalty/rewards", RewardViewSet, basename="loyalty-reward")
router.register("loyalty/redemptions", RedemptionViewSet, basename="loyalty-redemption")
router.register("loyalty/coupons", CouponViewSet, basename="loyalty-coupon")
router.register("loyalty/referrals", ReferralViewSet, basename="loyalty-referral")
router.register("loyalty/events", EventViewSet, basename="loyalty-event")
router.register("survey-questionnaires", QuestionnaireViewSet, basename="survey-questionnaire")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("allocation/plans", PlanViewSet, basename="allocation-plan")
router.register("allocation/allowances", AllowanceViewSet, basename="allocation-allowance")
router.register("allocation/fill-rate", FillRateViewSet, basename="allocation-fill-rate")
router.register("allocation/excess", ExcessViewSet, basename="allocation-excess")
router.register("violations", ViolationViewSet, basename="violation")
router.register("credit-rules", CreditRuleViewSet, basename="credit-rule")
router.register("visit-plans", VisitPlanViewSet, basename="visit-plan")
router.register("visits", VisitViewSet, basename="visit")
router.register("daily-list", DailyListViewSet, basename="daily-list")
router.register("visit-coverage", CoverageViewSet, basename="visit-coverage")
router.register("cultivation-programmes", ProgrammeViewSet, basename="cultivation-programme")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("complaint-categories", ComplaintCategoryViewSet, basename="complaint-category")
router.register("complaint-report", ComplaintReportViewSet, basename="complaint-report")
router.register("hidden-complaints", HiddenComplaintViewSet, basename="hidden-complaint")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("privacy-requests", PrivacyRequestViewSet, basename="privacy-request")

urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz", views.healthz_view, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", field_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/", include("users.twofactor.urls")),
    path("sw.js", field_views.service_worker_view, name="service-worker"),
    path("manifest.webmanifest", field_views.manifest_view, name="web-manifest"),
    path("field/", include("fieldapp.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("retailers/", include("accounts.urls")),
    path("imports/", include("accounts.imports.urls")),
    path("sales/", include("sales.urls")),
    path("segmentation/", include("segmentation.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("", include("campaigns.public_urls")),
    path("loyalty/", include("loyalty.urls")),
    path("service/", include("feedback.urls")),
    path("r/", include("feedback.public_urls")),
    path("visits/", include("visits.urls")),
    path("workspace/", include("workspace.urls")),
    path("cockpit/", include("cockpit.urls")),
    path("privacy/", include("privacy.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/retailers/<int:pk>/tier-card/", TierCardView.as_view(), name="retailer-tier-card"),
    path("api/v1/workspace/", WorkspaceView.as_view(), name="workspace-api"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the documentation pages send a browser to the login page; the schema itself answers 401 (SERVE_PERMISSIONS)
    # the split view serves its start-up script as a file (?script): the CSP runs no inline script
    path(
        "api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"
    ),
    path("api/redoc/", login_required(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
]
