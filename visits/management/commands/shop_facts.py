"""`manage.py shop_facts --check` compares every shop's stored facts (visits.ShopFacts, the cultivation targets'
first purchase) with a fresh computation from their source rows and exits 1 on any difference; `--rebuild`
recomputes them all with the database's own functions (what migration 0005 installed)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from visits.facts.selectors import shop_facts_drift
from visits.facts.services import shop_facts_rebuild


class Command(BaseCommand):
    help = _("核对或重算客户服务事实（最近走访、终端形象分、投诉、回访、培育品规首次进货）")

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help=_("与源数据逐项核对，有差异时以 1 退出"))
        group.add_argument("--rebuild", action="store_true", help=_("按源数据重算全部"))

    def handle(self, *args, check=False, rebuild=False, **options):
        if rebuild:
            shops, targets = shop_facts_rebuild()
            self.stdout.write(
                _("已重算 %(shops)s 户的服务事实、%(targets)s 个培育目标。")
                % {"shops": shops, "targets": targets}
            )
            return
        problems = shop_facts_drift()
        for line in problems[:50]:
            self.stdout.write(line)
        if problems:
            raise CommandError(_("%(n)s 处与源数据不一致。") % {"n": len(problems)})
        self.stdout.write(_("服务事实与源数据一致。"))
