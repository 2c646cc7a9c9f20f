"""The default satisfaction questionnaire (DOMAIN.md's areas), published as version 1 so a survey can use it at
once. A supervisor changes it by making version 2 in the builder; answers to version 1 keep their questions."""

from django.db import migrations
from django.utils import timezone

CODE = "retail-satisfaction"

# (area, weight, [(item, kind)]); kind defaults to the 1–5 scale
AREAS = [
    (
        "货源供应",
        20,
        [
            "畅销品规的货源供应能满足您的经营需要",
            "货源分配（按档位投放）公开、公平",
            "新品和紧俏品规的投放信息及时告知",
            "品规退市时，客户经理及时推荐替代品规",
            "卷烟品规结构适合本店的消费群体",
        ],
    ),
    (
        "订货服务",
        15,
        [
            "网上订货（新商盟）操作方便、稳定",
            "电话订货接听及时、记录准确",
            "订货时间安排合理",
            "订货额度和可订品规清楚明白",
        ],
    ),
    (
        "配送服务",
        15,
        [
            "卷烟按约定时间送达",
            "到货品规、数量准确无误",
            "送货人员服务态度好、交接规范",
            "卷烟包装完好、无破损受潮",
        ],
    ),
    (
        "客户经理服务",
        20,
        [
            "客户经理定期上门拜访",
            "客户经理能及时解答您的疑问",
            "客户经理对经营（陈列、定价、库存）的指导有帮助",
            "客户经理对货源政策的解释清楚",
            "客户经理服务态度热情、诚恳",
            "联系客户经理方便",
        ],
    ),
    (
        "结算服务",
        10,
        [
            "货款结算方式方便（银行扣款、网上支付）",
            "扣款准确、及时，对账清楚",
            "结算出现问题时能及时处理",
        ],
    ),
    (
        "投诉处理",
        10,
        [
            "投诉和意见反映渠道畅通（12313、电话、客户经理）",
            "投诉受理及时，有回复",
            "投诉处理结果令您满意",
        ],
    ),
    (
        "市场监管",
        10,
        [
            "专卖执法人员执法公正、文明",
            "对违法经营（假烟、走私烟、无证经营）的打击有效",
            "专卖法律法规宣传到位",
            "许可证办理、延续手续便捷",
        ],
    ),
]
NPS_TEXT = "您有多大可能向其他零售户推荐我们的服务？（0 分表示完全不可能，10 分表示非常可能）"
SUGGESTION_TEXT = "您对我们的服务还有什么意见或建议？"


def seed(apps, schema_editor):
    Questionnaire = apps.get_model("feedback", "Questionnaire")
    QuestionArea = apps.get_model("feedback", "QuestionArea")
    QuestionItem = apps.get_model("feedback", "QuestionItem")
    if Questionnaire.objects.filter(code=CODE).exists():
        return
    now = timezone.now()
    questionnaire = Questionnaire.objects.create(
        code=CODE,
        version=1,
        name="零售客户满意度调查",
        intro="感谢您抽出几分钟时间评价我们的服务。1 分表示非常不满意，5 分表示非常满意。您的回答仅用于改进服务。",
        state="published",
        created_at=now,
        published_at=now,
    )
    items = []
    for position, (name, weight, texts) in enumerate(AREAS, start=1):
        area = QuestionArea.objects.create(
            questionnaire=questionnaire, name=name, weight=weight, position=position
        )
        items += [
            QuestionItem(area=area, text=text, kind="scale5", required=True, position=n)
            for n, text in enumerate(texts, start=1)
        ]
    overall = QuestionArea.objects.create(
        questionnaire=questionnaire, name="总体评价", weight=1, position=len(AREAS) + 1
    )
    items += [
        QuestionItem(area=overall, text=NPS_TEXT, kind="nps", required=True, position=1),
        QuestionItem(area=overall, text=SUGGESTION_TEXT, kind="text", required=False, position=2),
    ]
    QuestionItem.objects.bulk_create(items)


def unseed(apps, schema_editor):
    apps.get_model("feedback", "Questionnaire").objects.filter(code=CODE, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0010_surveys")]

    operations = [migrations.RunPython(seed, unseed)]
