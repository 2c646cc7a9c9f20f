"""The store score (终端形象/规范经营分) of one visit, from its checklist and the admin-set weights.

    score = 100 × Σ weight × value ÷ Σ weight, over the items checked on the visit
    value: yes 1, no 0; the image rating 差/一般/良好/优秀 → 0, ⅓, ⅔, 1

Items not checked on the visit are left out of both sums, so a visit that checked only the licence scores 0 or 100;
a visit that checked nothing (or only items weighted 0) has no score."""

from decimal import ROUND_HALF_UP, Decimal

DEFAULT_WEIGHTS = {
    "licence_displayed": 25,
    "minors_sign": 25,
    "price_tags": 20,
    "display_ok": 15,
    "image_rating": 15,
}
IMAGE_RATING_MAX = 4


def item_value(item: str, raw) -> Decimal | None:
    if raw is None:
        return None
    if item == "image_rating":
        return Decimal(int(raw) - 1) / (IMAGE_RATING_MAX - 1)
    return Decimal(1 if raw else 0)


def store_score(checklist: dict, weights: dict[str, int]) -> int | None:
    """checklist: item -> True/False/None (image_rating -> 1..4 or None)."""
    total = Decimal(0)
    weight_sum = 0
    for item, weight in weights.items():
        value = item_value(item, checklist.get(item))
        if value is None or not weight:
            continue
        total += value * weight
        weight_sum += weight
    if not weight_sum:
        return None
    return int((total * 100 / weight_sum).quantize(Decimal(1), ROUND_HALF_UP))
