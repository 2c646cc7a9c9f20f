"""Demo complaints, written through the services as a hotline system's records would be taken over: about 80 cases
over the last six months across the categories and channels, most resolved (some late), a few rated, some still
open and a few past their deadlines (escalated by the same sweep beat runs), so every service page has
something to show."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import Retailer
from feedback.complaints.models import Complaint
from feedback.complaints.services.escalation import complaints_escalate
from feedback.complaints.services.follow_up import complaint_rate
from feedback.complaints.services.intake import complaint_open
from feedback.complaints.services.workflow import complaint_close, complaint_resolve, complaint_start
from feedback.complaints.workcal import working_time_add

CASES = [
    ("supply", "软中华连续三周订不到，隔壁店却有货。"),
    ("supply", "本月黄金叶（天叶）限量太少，不够卖。"),
    ("quality", "一条红双喜里有两包烟支空头。"),
    ("quality", "白沙（硬）受潮，烟丝发霉。"),
    ("delivery", "上周的货少送了两条，送货员说下次补。"),
    ("delivery", "送货时间太晚，晚上九点才到。"),
    ("cm_conduct", "客户经理两个月没来店里走访。"),
    ("settlement", "银行扣款两次，多扣了 860 元。"),
    ("licence", "许可证延续申请提交半个月没有回音。"),
    ("illegal_trading", "附近有人在微信上卖无标识卷烟。"),
    ("other", "希望订货平台能增加周末下单。"),
]
RESOLUTIONS = {
    "supply": "已按档位说明货源政策，并协调下周补供 2 条。",
    "quality": "已上门核实并调换问题卷烟，反馈工业企业。",
    "delivery": "已与配送中心核实，本周补送并调整送货顺序。",
    "cm_conduct": "主管已约谈客户经理，本周内安排走访。",
    "settlement": "已核实重复扣款并原路退回。",
    "licence": "已加急办理，新证已送达。",
    "illegal_trading": "已移交专卖稽查，现场查处。",
    "other": "已记录建议并反馈平台运营部门。",
}
CHANNELS = ["phone", "phone", "12313", "visit", "visit", "platform", "web"]


def _office_time(rng: random.Random, day: datetime.date) -> datetime.datetime:
    zone = timezone.get_current_timezone()
    hour = rng.choice([9, 10, 11, 14, 15, 16])
    return datetime.datetime.combine(day, datetime.time(hour, rng.choice([0, 15, 30, 45])), tzinfo=zone)


def _later(start: datetime.datetime, hours: float) -> datetime.datetime | None:
    return working_time_add(start=start, hours=hours)


def demo_complaints_build(*, seed: int = 11, count: int = 80) -> dict:
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    retailers = list(
        Retailer.objects.filter(status=Retailer.Status.ACTIVE, route__manager__isnull=False)
        .select_related("route__manager")
        .order_by("id")[:400]
    )
    if not retailers:
        return {"complaints": 0, "escalated": 0}
    made = 0
    for _i in range(count):
        retailer = rng.choice(retailers)
        code, text = rng.choice(CASES)
        opened = _office_time(rng, (now - datetime.timedelta(days=rng.randint(0, 175))).date())
        if opened >= now:
            continue
        manager = retailer.route.manager
        with transaction.atomic():
            complaint = complaint_open(
                retailer=retailer,
                category_code=code,
                description=text,
                channel=rng.choice(CHANNELS),
                opened_at=opened,
            )
            made += 1
            if complaint.status != Complaint.Status.ASSIGNED:
                continue
            handler = complaint.assignee
            started = _later(opened, rng.choice([0.5, 1, 2, 3, 6]))  # 6 h misses a 4-hour response deadline
            if started is None or started >= now:
                continue
            complaint_start(complaint=complaint, actor=handler, at=started)
            resolved = _later(started, rng.choice([2, 5, 8, 12, 20, 30]))
            if resolved is None or resolved >= now or rng.random() < 0.1:
                continue
            complaint_resolve(complaint=complaint, actor=handler, resolution=RESOLUTIONS[code], at=resolved)
            closed = _later(resolved, 8)
            if closed is not None and closed < now and rng.random() < 0.7:
                complaint_close(complaint=complaint, actor=manager, at=closed)
            if rng.random() < 0.5:  # rated through the link; a rating carries the time it arrives
                rating = rng.choice([5, 5, 4, 4, 4, 3, 2, 1])
                comment = "" if rating > Complaint.LOW_RATING_MAX else "还是没解决好"
                complaint_rate(complaint=complaint, rating=rating, comment=comment)
    return {"complaints": made, "escalated": complaints_escalate()}
