"""The tier card (档位说明卡): why a retailer has its tier, read from the published proposal that graded it.

Every number comes from what the engine wrote for that proposal (tiers.grading: the proposal line's measures,
their percent_rank in the proposal's population, the score and the rank cut), so the card says what the engine
did, never a recomputation with today's data:

- components: each measure with its weight, its percentile in the group (the proposal's population: the territory
  it graded) and its points (weight × percent_rank); the points add up to the score.
- cut points: in shares mode the lowest score that reached the retailer's tier and the next tier up in that
  proposal; in matrix mode the lowest cartons of its carton band and the lowest average price of its price band.
- what would move it up: an estimate of the extra cartons per week (at its own average price per carton, the
  others' figures held as they were) that would have lifted its score above the next tier's cut point (matrix
  mode: into the next carton band; or the average price that reaches the next price band).
"""

import dataclasses
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db.models import Min
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Retailer
from accounts.selectors import retailer_get
from segmentation.tiers.models import TIER_COUNT, TierChange, TierProposal, TierProposalLine, TierRule
from users.models import User

HISTORY_SHOWN = 5


def score_text(score: Decimal | float | None) -> str:
    """A score as the pages show scores: one decimal (the engine keeps four; the API gives them all)."""
    if score is None:
        return "—"
    return str(Decimal(str(score)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclasses.dataclass(frozen=True)
class TierComponent:
    key: str
    label: str
    value: float  # cartons, yuan, or yuan per carton
    unit: str
    weight: int
    percentile: float  # 0–100
    points: float  # weight × percent_rank


@dataclasses.dataclass(frozen=True)
class TierCut:
    tier: int
    text: str


@dataclasses.dataclass
class TierCard:
    retailer: Retailer
    proposal: TierProposal | None
    line: TierProposalLine | None
    tier: int | None
    components: list[TierComponent]
    group_label: str
    cuts: list[TierCut]
    move_up: str
    move_up_cartons_week: int | None
    capped: bool
    manual_since: bool
    history: list[TierChange]

    @property
    def score(self) -> Decimal | None:
        return self.line.score if self.line else None

    @property
    def score_shown(self) -> str:
        return score_text(self.score)

    @property
    def mode(self) -> str:
        return self.proposal.parameters.get("mode", TierRule.Mode.SHARES) if self.proposal else ""

    @property
    def group_size(self) -> int:
        return self.proposal.retailer_count if self.proposal else 0

    def as_dict(self) -> dict:
        """The card for the API (and its tests): plain numbers."""
        line, proposal = self.line, self.proposal
        return {
            "retailer": self.retailer.pk,
            "tier": self.tier,
            "proposal": proposal.pk if proposal else None,
            "period_start": proposal.period_start if proposal else None,
            "period_end": proposal.period_end if proposal else None,
            "mode": self.mode,
            "group": self.group_label,
            "group_size": self.group_size,
            "score": str(line.score) if line else None,
            "rank": line.rank if line else None,
            "proposed_tier": line.proposed_tier if line else None,
            "cut_tier": line.cut_tier if line else None,
            "capped": self.capped,
            "manual_since": self.manual_since,
            "components": [dataclasses.asdict(c) for c in self.components],
            "cuts": [dataclasses.asdict(c) for c in self.cuts],
            "move_up": self.move_up,
            "move_up_cartons_week": self.move_up_cartons_week,
            "history": [
                {
                    "from_tier": c.from_tier,
                    "to_tier": c.to_tier,
                    "source": c.source,
                    "status": c.status,
                    "at": c.decided_at or c.requested_at,
                }
                for c in self.history
            ],
        }


def tier_card_line(*, retailer_id: int) -> TierProposalLine | None:
    """The line of the latest published proposal that graded the retailer."""
    return (
        TierProposalLine.objects.filter(
            retailer_id=retailer_id, proposal__status=TierProposal.Status.PUBLISHED
        )
        .select_related("proposal__org_unit")
        .order_by("-proposal__period_end", "-proposal__published_at", "-proposal_id")
        .first()
    )


def tier_card_get(*, user: User, retailer_id: int) -> TierCard:
    """The card of a retailer in the user's territory (404 outside it)."""
    return tier_card(retailer=retailer_get(user=user, retailer_id=retailer_id))


def tier_card(*, retailer: Retailer) -> TierCard:
    """The card of a retailer the caller may already see (a staff user's scoped retailer, or the retailer's own
    link)."""
    line = tier_card_line(retailer_id=retailer.pk)
    history = list(TierChange.objects.filter(retailer_id=retailer.pk).order_by("-id")[:HISTORY_SHOWN])
    card = TierCard(
        retailer=retailer,
        proposal=line.proposal if line else None,
        line=line,
        tier=retailer.tier,
        components=[],
        group_label="",
        cuts=[],
        move_up="",
        move_up_cartons_week=None,
        capped=False,
        manual_since=False,
        history=history,
    )
    if line is None:
        return card
    proposal = line.proposal
    params = proposal.parameters
    card.group_label = proposal.org_unit.name if proposal.org_unit_id else _("全公司")
    card.capped = bool(line.is_new and line.cut_tier and line.proposed_tier < line.cut_tier)
    card.manual_since = retailer.tier != line.proposed_tier
    if line.cartons is None:  # a line written before the engine kept its measures
        return card
    avg_yuan = float(line.avg_price_fen or 0) / 100
    card.components = [
        TierComponent(
            "cartons", _("条数"), line.cartons, pgettext("unit", "条"), params["weight_cartons"], 100 * line.pct_cartons,
            params["weight_cartons"] * line.pct_cartons,
        ),
        TierComponent(
            "amount", _("金额"), line.amount_fen / 100, pgettext("unit", "元"), params["weight_amount"], 100 * line.pct_amount,
            params["weight_amount"] * line.pct_amount,
        ),
        TierComponent(
            "avg_price", _("单条值"), avg_yuan, pgettext("unit", "元/条"), params["weight_avg_price"],
            100 * line.pct_avg_price, params["weight_avg_price"] * line.pct_avg_price,
        ),
    ]  # fmt: skip
    if params.get("mode") == TierRule.Mode.MATRIX:
        _matrix_cuts(card)
    else:
        _shares_cuts(card)
    return card


def _weeks(proposal: TierProposal) -> float:
    return ((proposal.period_end - proposal.period_start).days + 1) / 7


def _shares_cuts(card: TierCard) -> None:
    line, proposal = card.line, card.proposal
    floors = dict(
        proposal.lines.exclude(cut_tier__isnull=True)
        .values("cut_tier")
        .annotate(floor=Min("score"))
        .values_list("cut_tier", "floor")
    )
    own = line.cut_tier
    card.cuts.append(TierCut(own, _("得分 ≥ %(score)s") % {"score": score_text(floors[own])}))
    above = min((t for t in floors if t > own), default=None)
    if above is None:
        card.move_up = _("已是最高档。") if own == TIER_COUNT else _("上面的档位在本方案中没有客户。")
        return
    card.cuts.append(TierCut(above, _("得分 ≥ %(score)s") % {"score": score_text(floors[above])}))
    extra = _cartons_to_pass(card=card, target=floors[above])
    if extra is None:
        card.move_up = _("仅增加条数不足以进入第 %(tier)s 档：需同时提高单条值（多订高价位品规）。") % {
            "tier": above
        }
        return
    per_week = max(1, math.ceil(extra / _weeks(proposal)))
    card.move_up_cartons_week = per_week
    card.move_up = _(
        "按本方案估算：每周多订约 %(n)s 条（单条值不变），得分可超过第 %(tier)s 档的分数线 %(score)s。"
    ) % {"n": per_week, "tier": above, "score": score_text(floors[above])}


def _population(proposal: TierProposal, retailer_id: int):
    """The others' cartons, amounts (fen) and average prices (fen per carton) in the proposal, as arrays."""
    rows = np.array(
        proposal.lines.exclude(retailer_id=retailer_id).values_list("cartons", "amount_fen", "avg_price_fen"),
        dtype=float,
    ).reshape(-1, 3)
    return rows[:, 0], rows[:, 1], rows[:, 2]


def _below(sorted_values: np.ndarray, value: float) -> int:
    return int(np.searchsorted(sorted_values, value, side="left"))


def _cartons_to_pass(*, card: TierCard, target: Decimal) -> int | None:
    """The fewest extra cartons in the period whose score (the engine's formula, the others unchanged) exceeds
    `target`; None if cartons alone cannot."""
    line, params = card.line, card.proposal.parameters
    cartons, amounts, prices = _population(card.proposal, line.retailer_id)
    n_others = len(cartons)
    if n_others == 0:
        return None
    cartons.sort()
    amounts.sort()
    prices.sort()
    price = float(line.avg_price_fen or 0)
    if price <= 0 and (prices > 0).any():  # buys nothing yet: at the group's median average price
        price = float(np.median(prices[prices > 0]))
    if price <= 0:
        return None
    weights = (params["weight_cartons"], params["weight_amount"], params["weight_avg_price"])

    def score(extra: int) -> float:
        c = line.cartons + extra
        a = line.amount_fen + extra * price
        p = a / c if c else 0
        value = (
            weights[0] * _below(cartons, c) + weights[1] * _below(amounts, a) + weights[2] * _below(prices, p)
        ) / n_others
        return round(value, 4)

    goal = float(target)
    high = int(max(cartons[-1] - line.cartons, (amounts[-1] - line.amount_fen) / price, 0)) + 2
    if score(high) <= goal:
        return None
    low = 0
    while high - low > 1:  # score() never falls as cartons rise: bisect for the first that passes
        mid = (low + high) // 2
        if score(mid) > goal:
            high = mid
        else:
            low = mid
    return high


def _matrix_cuts(card: TierCard) -> None:
    """Matrix mode: tier = 3 × (10 − carton band) + (4 − price band); band 1 is the best."""
    line, proposal = card.line, card.proposal
    own = line.cut_tier
    carton_step, price_step = (own - 1) // 3, (own - 1) % 3
    lines = proposal.lines.exclude(cut_tier__isnull=True)
    band_floor = {
        step: lines.filter(cut_tier__gt=3 * step, cut_tier__lte=3 * step + 3).aggregate(m=Min("cartons"))["m"]
        for step in {carton_step, carton_step + 1}
    }
    price_floor = {
        step: float(
            lines.filter(cut_tier__in=[3 * c + step + 1 for c in range(10)]).aggregate(
                m=Min("avg_price_fen")
            )["m"]
            or 0
        )
        / 100
        for step in {price_step, min(price_step + 1, 2)}
    }
    card.cuts.append(
        TierCut(
            own,
            _("条数 ≥ %(cartons)s 条，单条值 ≥ ¥%(price).2f")
            % {"cartons": band_floor[carton_step], "price": price_floor[price_step]},
        )
    )
    if own >= TIER_COUNT:
        card.move_up = _("已是最高档。")
        return
    if price_step < 2:
        target = price_floor[price_step + 1]
        card.cuts.append(TierCut(own + 1, _("单条值 ≥ ¥%(price).2f") % {"price": target}))
        card.move_up = _("单条值提高到 ¥%(price).2f 以上（多订高价位品规）可进入第 %(tier)s 档。") % {
            "price": target,
            "tier": own + 1,
        }
        return
    target = band_floor.get(carton_step + 1)
    if target is None:
        return
    card.cuts.append(TierCut(own + 1, _("条数 ≥ %(cartons)s 条") % {"cartons": target}))
    per_week = max(1, math.ceil((target - line.cartons) / _weeks(proposal)))
    card.move_up_cartons_week = per_week
    card.move_up = _("按本方案估算：每周多订约 %(n)s 条可进入第 %(tier)s 档。") % {
        "n": per_week,
        "tier": own + 1,
    }
