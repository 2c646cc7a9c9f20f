"""On seed_demo's own data: the portrait's explanations of the lifecycle and the RFM segment never contradict each
other, for every demo retailer."""

from django.core.management import call_command

from segmentation.scoring.explanations import rfm_explanation, score_explanation
from segmentation.scoring.models import RetailerScore
from segmentation.scoring.rules import RFM_BY_LIFECYCLE

STAGE = RetailerScore.Lifecycle
ORDERING_NOW = (STAGE.NEW, STAGE.ACTIVE, STAGE.REACTIVATED)


def test_rfm_and_lifecycle_explanations_agree_for_every_demo_retailer(db):
    call_command(
        "seed_demo",
        "--retailers",
        "600",
        "--weeks",
        "52",
        "--today",
        "2026-11-23",
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    scores = list(RetailerScore.objects.all())
    assert len(scores) > 500
    seen = set()
    for score in scores:
        pair = (score.lifecycle, score.rfm_segment)
        seen.add(pair)
        assert score.rfm_segment in RFM_BY_LIFECYCLE[score.lifecycle], (score.retailer_id, pair)
        stage_text, rfm_text = score_explanation(score), rfm_explanation(score)
        assert stage_text.startswith(str(STAGE(score.lifecycle).label)), (score.retailer_id, stage_text)
        assert rfm_text.startswith(f"RFM {RetailerScore.RfmSegment(score.rfm_segment).label}（"), rfm_text
        if score.lifecycle in ORDERING_NOW:
            # a new shop that has not ordered yet keeps R1 and says so ("尚未订货")
            assert score.r_score >= 3 or score.frequency == 0, (score.retailer_id, pair, score.r_score)
            assert "流失" not in rfm_text, (score.retailer_id, stage_text, rfm_text)
        else:
            assert score.r_score <= 2, (score.retailer_id, pair, score.r_score)
            assert "本周或上周已订货" not in rfm_text, (score.retailer_id, stage_text, rfm_text)
        if score.lifecycle == STAGE.LOST and score.frequency:
            assert "已流失" in rfm_text, (score.retailer_id, rfm_text)
        if score.rfm_segment == RetailerScore.RfmSegment.CANT_LOSE:
            # the one pairing that reads oddly ("can't lose" a lost shop) always says why
            assert "曾是高频高额客户，需重点挽回" in rfm_text
        if score.loyalty_class == RetailerScore.LoyaltyClass.LOYAL:
            assert score.rfm_segment in RFM_BY_LIFECYCLE[STAGE.ACTIVE], (score.retailer_id, pair)
    # the demo really has shops ordering, slipping and gone
    assert {stage for stage, _segment in seen} >= {STAGE.ACTIVE, STAGE.LOST}
