"""DOMAIN.md's complaint categories with their deadlines in working hours (a working day is 7.5 h under the
default office hours). Admins change them in the admin; this only seeds what is missing. Illegal-trading reports
go to the supervisor the same working day; set their routing to the market-enforcement unit's queue in the admin
once that unit exists in the org tree."""

from django.db import migrations

# code, name, response h, resolution h, same-day, priority, routing
CATEGORIES = [
    ("supply", "货源供应与分配", 4, 15, False, "normal", "manager"),
    ("quality", "产品质量", 4, 22, False, "high", "manager"),
    ("delivery", "配送服务", 4, 15, False, "normal", "manager"),
    ("cm_conduct", "客户经理服务", 4, 22, False, "high", "supervisor"),
    ("settlement", "结算", 4, 15, False, "normal", "manager"),
    ("licence", "许可证办理", 8, 37, False, "normal", "manager"),
    ("illegal_trading", "涉烟违法举报", 2, 15, True, "urgent", "supervisor"),
    ("other", "其他", 8, 37, False, "low", "manager"),
]


def seed(apps, schema_editor):
    ComplaintCategory = apps.get_model("feedback", "ComplaintCategory")
    for order, (code, name, response, resolution, same_day, priority, routing) in enumerate(CATEGORIES):
        ComplaintCategory.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "response_hours": response,
                "resolution_hours": resolution,
                "same_day_dispatch": same_day,
                "default_priority": priority,
                "routing": routing,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
