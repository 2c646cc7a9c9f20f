"""What a notice says, rendered from its code and parameters in the reader's language."""

from django.utils.translation import gettext as _

from cockpit.kpis import KPIS
from cockpit.models import Notice


def notice_title(notice: Notice) -> str:
    p = notice.params
    if notice.kind == Notice.Kind.ALERT:
        kpi = KPIS.get(p.get("kpi"))
        values = {
            "unit": p.get("unit", ""),
            "kpi": kpi.label if kpi else p.get("kpi", ""),
            "value": p.get("value", "—"),
            "target": p.get("target", "—"),
        }
        if kpi is not None and not kpi.higher_is_better:
            return _("%(unit)s：%(kpi)s 为 %(value)s，超出目标 %(target)s") % values
        return _("%(unit)s：%(kpi)s 为 %(value)s，低于目标 %(target)s") % values
    if notice.kind == Notice.Kind.DIGEST:
        return _("每周简报 %(week)s：%(unit)s，%(red)s 项红灯，%(actions)s 项待办") % {
            "week": p.get("week", ""),
            "unit": p.get("unit", ""),
            "red": p.get("red", 0),
            "actions": len(p.get("items", [])),
        }
    if notice.kind == Notice.Kind.REPORT:
        return _("客户经营分析月报 %(month)s：%(unit)s 已生成") % {
            "month": p.get("month", ""),
            "unit": p.get("unit", ""),
        }
    return notice.kind


def digest_lines(notice: Notice) -> list[str]:
    """The digest's body as lines: what changed, what needs action, the top items."""
    p = notice.params
    lines = [_("本周变化：")]
    for row in p.get("changes", []):
        kpi = KPIS.get(row["kpi"])
        lines.append(
            "  · "
            + _("%(kpi)s：%(value)s（上期 %(previous)s）")
            % {
                "kpi": kpi.label if kpi else row["kpi"],
                "value": row["value"],
                "previous": row["previous"],
            }
        )
    lines.append(_("需要处理："))
    for row in p.get("red_kpis", []):
        kpi = KPIS.get(row["kpi"])
        lines.append(
            "  · "
            + _("%(kpi)s 红灯：%(value)s，目标 %(target)s")
            % {
                "kpi": kpi.label if kpi else row["kpi"],
                "value": row["value"],
                "target": row["target"],
            }
        )
    if p.get("overdue"):
        lines.append("  · " + _("超时未办结投诉 %(n)s 件") % {"n": p["overdue"]})
    lines.append(_("重点事项（前 10）："))
    for index, item in enumerate(p.get("items", []), 1):
        lines.append(f"  {index}. {item_text(item)}")
    return lines


def item_text(item: dict) -> str:
    if item["kind"] == "complaint":
        return _("投诉 #%(id)s %(shop)s：%(category)s，已超时") % item
    if item["kind"] == "at_risk":
        return _("高价值客户 %(shop)s 转为流失风险（客户经理 %(manager)s）") % item
    kpi = KPIS.get(item.get("kpi"))
    return _("%(kpi)s 红灯：%(value)s") % {
        "kpi": kpi.label if kpi else item.get("kpi"),
        "value": item["value"],
    }
