"""Every model that holds data about a retailer has a privacy decision: a reference to Retailer, or a personal column
(accounts.personal_data). A model added later without one fails the system check and this test."""

import io

from django.core.management import call_command
from django.db import models

from accounts.dedupe.services import retailer_references
from accounts.personal_data import (
    PRIVACY_DECISIONS,
    RETAILER,
    PrivacyAction,
    personal_columns,
    privacy_decisions_check,
    privacy_decisions_missing,
    privacy_subjects,
)


def test_every_reference_and_personal_column_has_a_privacy_decision():
    subjects = privacy_subjects()
    assert RETAILER in subjects
    assert set(retailer_references()) <= set(subjects)
    # a personal column without a reference to Retailer is matched by value
    assert ("campaigns.InboundReply", "from_number") in subjects
    assert privacy_decisions_missing() == []
    assert privacy_decisions_check() == []
    for key in subjects:
        assert key in PRIVACY_DECISIONS, key
    for _key, decision in PRIVACY_DECISIONS.items():
        assert decision.why.strip()
        assert decision.action in PrivacyAction


def test_every_app_that_holds_retailer_data_declares_it_from_its_own_privacy_module():
    apps_declaring = {PRIVACY_DECISIONS.registered_by(key) for key in PRIVACY_DECISIONS}
    assert apps_declaring == {
        "accounts",
        "sales",
        "segmentation",
        "campaigns",
        "loyalty",
        "feedback",
        "visits",
        "fieldapp",
        "privacy",
    }


def test_a_new_reference_without_a_decision_fails_the_check(monkeypatch):
    entries = dict(PRIVACY_DECISIONS._entries)
    del entries[("visits.Visit", "retailer")]
    monkeypatch.setattr(PRIVACY_DECISIONS, "_entries", entries)
    assert privacy_decisions_missing() == ["visits.Visit.retailer"]
    errors = privacy_decisions_check()
    assert [e.id for e in errors] == ["accounts.E002"]
    assert "visits.Visit.retailer" in errors[0].msg


def test_a_personal_column_neither_cleared_nor_kept_fails_the_check(monkeypatch):
    from accounts.personal_data import PrivacyDecision

    entries = dict(PRIVACY_DECISIONS._entries)
    value, by = entries[("campaigns.Delivery", "retailer")]
    entries[("campaigns.Delivery", "retailer")] = (PrivacyDecision(PrivacyAction.KEEP, value.why), by)
    monkeypatch.setattr(PRIVACY_DECISIONS, "_entries", entries)
    assert privacy_decisions_missing() == ["campaigns.Delivery.address (personal column)"]


def test_personal_columns_are_found_by_name():
    class Shop(models.Model):
        contact_phone = models.CharField(max_length=20)
        owner_id_number = models.CharField(max_length=18)
        note = models.TextField()
        phone_count = models.IntegerField()

        class Meta:
            app_label = "privacy"
            managed = False

        def __str__(self):
            return self.contact_phone

    assert personal_columns(Shop) == ["contact_phone", "owner_id_number"]


def test_the_registry_listing_shows_every_decision():
    out = io.StringIO()
    call_command("registries", stdout=out)
    text = out.getvalue()
    assert f"privacy (declared by accounts, {len(PRIVACY_DECISIONS)} entries)" in text
    assert "campaigns.Delivery.retailer  [campaigns]  keep; keeps address" in text
