"""What each role may do. Roles are fixed by the product, so their permissions live in code (reviewed, tested)
rather than in editable groups; extra rights can still be granted per user or group in the admin."""

from django.contrib.auth.models import Permission

from users.models import User

# Satisfaction surveys: a customer manager follows their own retailers' answers; a supervisor runs surveys.
SURVEY_READ = (
    "feedback.view_questionnaire",
    "feedback.view_survey",
    "feedback.view_surveyinvitation",
    "feedback.view_surveyresponse",
)
SURVEY_RUN = (
    *SURVEY_READ,
    "feedback.add_questionnaire",
    "feedback.change_questionnaire",
    "feedback.add_survey",
    "feedback.run_survey",
    "feedback.export_survey",
    "feedback.view_surveyexport",
)

# What a customer manager does with points in the field (supervisors do it too): read the ledger, redeem a
# reward for a retailer, register a referral, accept a coupon.
LOYALTY_FIELD = (
    "loyalty.view_pointsaccount",
    "loyalty.view_pointsentry",
    "loyalty.view_reward",
    "loyalty.add_redemption",
    "loyalty.view_redemption",
    "loyalty.add_referral",
    "loyalty.view_referral",
    "loyalty.view_coupon",
    "loyalty.change_coupon",
)

# Allocation and violations in the field: read the allowances (and excess) of their retailers, record what a visit
# found and void their own mistaken records.
SUPPLY_FIELD = (
    "sales.view_allocationplan",
    "sales.view_allocationrule",
    "sales.view_allocationexcess",
    "accounts.view_violation",
    "accounts.add_violation",
    "accounts.change_violation",
    "accounts.view_creditrule",
)

# Field work a customer manager does (supervisors too): the daily list and plans, logging visits, the programmes'
# progress over their own shops.
VISITS_FIELD = (
    "visits.view_visitplan",
    "visits.view_visit",
    "visits.add_visit",
    "visits.view_cultivationprogramme",
    "visits.view_cultivationtarget",
)

# Customer service in the field (supervisors too): the complaints of their own retailers and those assigned to
# them (scoping in feedback.complaints.selectors), the in-app notifications, calls about hidden complaints.
SERVICE_FIELD = (
    "feedback.view_complaint",
    "feedback.add_complaint",
    "feedback.change_complaint",
    "feedback.view_complaintcategory",
    "feedback.view_notification",
    "feedback.view_hiddencomplaintcall",
    "feedback.add_hiddencomplaintcall",
)

# Importing orders writes orders, so it needs the permissions of writing them (accounts.imports.spec:
# ImportSpec.permissions). Orders are written by imports only; the order admin adds and changes none.
ORDER_IMPORT = ("sales.add_order", "sales.change_order")

# Personal-information requests (PIPL): a customer manager registers a retailer's request in the shop; a supervisor
# answers it — hands out the person's copy, applies a correction, approves or refuses a deletion (never one they
# registered themselves: privacy.services).
PRIVACY_FIELD = ("privacy.view_privacyrequest", "privacy.add_privacyrequest")
PRIVACY_ANSWER = (
    *PRIVACY_FIELD,
    "privacy.change_privacyrequest",
    "privacy.approve_privacyrequest",
    "privacy.export_privacyrequest",
    "privacy.view_privacylog",
    "privacy.view_retaileranonymisation",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    User.Role.MANAGER: frozenset(
        {
            "accounts.view_retailer",
            "accounts.add_retailer",
            "accounts.change_retailer",
            "accounts.view_contact_details",
            "accounts.view_consentevent",
            "segmentation.view_tierproposal",
            "segmentation.add_tierchange",
            "segmentation.view_tierchange",
            "segmentation.view_segment",
            "segmentation.add_segment",
            "segmentation.change_segment",
            # outreach: the campaigns that reach their own retailers, and those retailers' send log
            "campaigns.view_campaign",
            "campaigns.view_delivery",
            *LOYALTY_FIELD,
            *SURVEY_READ,
            *SUPPLY_FIELD,
            *VISITS_FIELD,
            *SERVICE_FIELD,
            "feedback.view_tierappeal",
            *PRIVACY_FIELD,
        }
    ),
    User.Role.SUPERVISOR: frozenset(
        {
            "accounts.view_retailer",
            "accounts.add_retailer",
            "accounts.change_retailer",
            "accounts.view_contact_details",
            "accounts.export_retailer",
            "accounts.view_consentevent",
            "accounts.view_sensitiveaccess",
            "accounts.view_retailerexport",
            "accounts.view_retailerevent",
            "users.view_route",
            "users.view_orgunit",
            "users.view_user",
            "accounts.add_importjob",
            "accounts.view_importjob",
            # orders of their territory from the ordering platform's files (imports only: the admin adds none)
            *ORDER_IMPORT,
            "segmentation.add_scoringrun",
            "segmentation.view_scoringrun",
            "segmentation.view_retailerscore",
            "segmentation.view_scorechange",
            "segmentation.view_scoringevent",
            "segmentation.view_clusterprofile",
            "segmentation.view_recommendation",
            "segmentation.view_tierrule",
            "segmentation.add_tierproposal",
            "segmentation.view_tierproposal",
            "segmentation.publish_tierproposal",
            "segmentation.add_tierchange",
            "segmentation.view_tierchange",
            "segmentation.approve_tierchange",
            "segmentation.view_segment",
            "segmentation.add_segment",
            "segmentation.change_segment",
            # outreach: create, approve (not their own), run; templates and journeys of their unit
            "campaigns.view_campaign",
            "campaigns.add_campaign",
            "campaigns.change_campaign",
            "campaigns.approve_campaign",
            "campaigns.view_delivery",
            "campaigns.view_messagetemplate",
            "campaigns.add_messagetemplate",
            "campaigns.change_messagetemplate",
            "campaigns.view_journey",
            "campaigns.change_journey",
            "campaigns.view_inboundreply",
            *LOYALTY_FIELD,
            "loyalty.change_redemption",
            "loyalty.adjust_points",
            "loyalty.view_liability",
            "loyalty.add_coupon",
            "loyalty.view_couponbatch",
            "loyalty.view_levelchange",
            "loyalty.view_loyaltyevent",
            "loyalty.view_programme",
            "loyalty.view_membershiplevel",
            "loyalty.view_earnrule",
            "loyalty.view_earnmultiplier",
            *SURVEY_RUN,
            # allocation: plan, preview and publish for their unit; violations of their department
            *SUPPLY_FIELD,
            "sales.add_allocationplan",
            "sales.change_allocationplan",
            "sales.publish_allocationplan",
            "accounts.view_violationevent",
            *VISITS_FIELD,
            "visits.view_coverage",
            "visits.export_coverage",
            "visits.review_visit",
            "visits.view_visitpolicy",
            "visits.add_cultivationprogramme",
            "visits.change_cultivationprogramme",
            "visits.add_cultivationtarget",
            "visits.delete_cultivationtarget",
            *SERVICE_FIELD,
            "feedback.view_tierappeal",
            "feedback.decide_tierappeal",
            "feedback.export_complaint",
            "feedback.view_complaintescalation",
            *PRIVACY_ANSWER,
        }
    ),
    User.Role.INTEGRATION: frozenset(
        {
            "accounts.view_retailer",
            "accounts.add_retailer",
            "accounts.change_retailer",
            "accounts.view_contact_details",
            "accounts.add_importjob",
            "accounts.view_importjob",
            # the ordering platform delivers its orders as import files
            *ORDER_IMPORT,
            "segmentation.view_segment",
            "segmentation.view_clusterprofile",
            "loyalty.view_pointsaccount",
            "loyalty.view_pointsentry",
            "loyalty.view_reward",
            "loyalty.add_redemption",
            "loyalty.view_redemption",
            "loyalty.view_referral",
            "loyalty.view_coupon",
            "loyalty.change_coupon",
            "loyalty.view_loyaltyevent",
            *SURVEY_READ,
            "sales.view_allocationplan",
            "sales.view_allocationexcess",
            "accounts.view_violation",
            "visits.view_visitplan",
            "visits.view_visit",
            "visits.view_cultivationprogramme",
            # the ordering platform files complaints for its users
            "feedback.view_complaint",
            "feedback.add_complaint",
            "feedback.view_complaintcategory",
        }
    ),
}


class RolePermissionBackend:
    """An authorization-only backend: grants each active user the permissions of their role.
    The admin role has every permission, like a superuser confined to this company's data."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cached = getattr(user_obj, "_role_perm_cache", None)
        if cached is None:
            if user_obj.role == User.Role.ADMIN:
                cached = {
                    f"{app}.{codename}"
                    for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
                }
            else:
                cached = set(ROLE_PERMISSIONS.get(user_obj.role, ()))
            user_obj._role_perm_cache = cached
        return cached

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
