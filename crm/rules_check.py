"""Every stored value that a rule derives, checked against its rule (`manage.py rules_check`): credit grades
(CreditRule), class codes, the scoring run's classes (lifecycle, R/F/M and their peer group, RFM segment, value and
loyalty class, top 20%) and membership levels. Each check is one set-based statement that writes nothing."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass
class RuleCheck:
    name: str
    rule: str
    count: int
    sample: list = field(default_factory=list)
    detail: str = ""


def rules_check_run(*, today: datetime.date | None = None) -> list[RuleCheck]:
    from accounts.compliance.selectors import class_code_disagreements, credit_grade_disagreements
    from loyalty.levels.services import levels_rule_check
    from segmentation.scoring.selectors import scores_rule_check

    today = today or timezone.localdate()
    credit_count, credit_sample = credit_grade_disagreements(today=today)
    class_count, class_sample = class_code_disagreements()
    scores = scores_rule_check()
    levels = levels_rule_check()
    return [
        RuleCheck(
            "credit_grade",
            f"CreditRule as of {today.isoformat()}",
            credit_count,
            credit_sample,
            "(retailer, stored, rule)",
        ),
        RuleCheck("class_code", "market type + format + scale", class_count, class_sample),
        RuleCheck(
            "scores",
            f"scoring run #{scores['run']}" if scores["run"] else "no finished scoring run",
            scores["count"],
            scores["sample"],
            ", ".join(f"{c}: {n}" for c, n in scores["by_column"].items()),
        ),
        RuleCheck(
            "membership_level",
            f"levels as of {levels['as_of']}" if levels["as_of"] else "no level computed yet",
            levels["count"],
            levels["sample"],
        ),
    ]
