"""Django finds the app's models here; each is defined in its sub-area: plans (VisitPolicy, VisitPlan), records
(Visit, VisitPhoto, StoreScoreItem), cultivation (programmes, targets, stock checks), coverage (export audit) and
facts (ShopFacts)."""

from visits.coverage.models import CoverageExport
from visits.cultivation.models import CultivationProgramme, CultivationTarget, VisitStockCheck
from visits.facts.models import ShopFacts
from visits.plans.models import VisitPlan, VisitPolicy
from visits.records.models import StoreScoreItem, Visit, VisitPhoto, stamped_photo_path, visit_photo_path

__all__ = [
    "CoverageExport",
    "CultivationProgramme",
    "CultivationTarget",
    "ShopFacts",
    "StoreScoreItem",
    "Visit",
    "VisitPhoto",
    "VisitPlan",
    "VisitPolicy",
    "VisitStockCheck",
    "stamped_photo_path",
    "visit_photo_path",
]
