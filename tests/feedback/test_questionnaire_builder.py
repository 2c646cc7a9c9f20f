"""The questionnaire builder: drafts change, published versions do not; publishing checks the content."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.errors import ConflictError
from feedback.surveys.models import QuestionItem, Questionnaire
from feedback.surveys.services import questionnaires


@pytest.fixture
def draft(supervisor_a):
    return questionnaires.questionnaire_create(actor=supervisor_a, code="shop-2027", name="2027 版问卷")


def test_a_draft_takes_areas_and_items_and_publishes(draft, supervisor_a):
    area = questionnaires.question_area_save(
        actor=supervisor_a, questionnaire=draft, name="配送服务", weight=15
    )
    questionnaires.question_item_save(
        actor=supervisor_a, area=area, text="按时送达", kind="scale5", required=True
    )
    questionnaires.question_item_save(
        actor=supervisor_a,
        area=area,
        text="送货方式",
        kind="choice",
        required=False,
        choices=["送货上门", "自提"],
    )
    questionnaires.questionnaire_publish(actor=supervisor_a, questionnaire=draft)
    draft.refresh_from_db()
    assert draft.state == Questionnaire.State.PUBLISHED
    with pytest.raises(ConflictError):
        questionnaires.question_item_save(
            actor=supervisor_a, area=area, text="新题", kind="scale5", required=True
        )
    assert QuestionItem.objects.filter(area=area).count() == 2


def test_publishing_refuses_an_empty_area_or_nothing_to_score(draft, supervisor_a):
    area = questionnaires.question_area_save(actor=supervisor_a, questionnaire=draft, name="总体", weight=1)
    with pytest.raises(ValidationError) as error:
        questionnaires.questionnaire_publish(actor=supervisor_a, questionnaire=draft)
    assert any("没有题目" in m for m in error.value.messages)
    questionnaires.question_item_save(actor=supervisor_a, area=area, text="推荐度", kind="nps", required=True)
    with pytest.raises(ValidationError) as error:
        questionnaires.questionnaire_publish(actor=supervisor_a, questionnaire=draft)
    assert any("计分题" in m for m in error.value.messages)
    draft.refresh_from_db()
    assert draft.state == Questionnaire.State.DRAFT


def test_a_choice_item_needs_two_distinct_options_and_other_kinds_none(draft, supervisor_a):
    area = questionnaires.question_area_save(actor=supervisor_a, questionnaire=draft, name="订货", weight=10)
    with pytest.raises(ValidationError):
        questionnaires.question_item_save(
            actor=supervisor_a, area=area, text="渠道", kind="choice", required=True, choices=["网上"]
        )
    with pytest.raises(ValidationError):
        questionnaires.question_item_save(
            actor=supervisor_a, area=area, text="渠道", kind="choice", required=True, choices=["网上", "网上"]
        )
    with pytest.raises(ValidationError):
        questionnaires.question_item_save(
            actor=supervisor_a, area=area, text="满意度", kind="scale5", required=True, choices=["a", "b"]
        )
    assert not QuestionItem.objects.filter(area=area).exists()


def test_an_area_weight_must_be_between_1_and_100(draft, supervisor_a):
    with pytest.raises(ValidationError):
        questionnaires.question_area_save(actor=supervisor_a, questionnaire=draft, name="供应", weight=0)
    with pytest.raises(ValidationError):
        questionnaires.question_area_save(actor=supervisor_a, questionnaire=draft, name="供应", weight=101)


def test_a_customer_manager_cannot_build_questionnaires(manager_a, draft):
    with pytest.raises(PermissionDenied):
        questionnaires.questionnaire_create(actor=manager_a, code="x", name="x")
    with pytest.raises(PermissionDenied):
        questionnaires.question_area_save(actor=manager_a, questionnaire=draft, name="供应", weight=5)


def test_the_builder_page_adds_an_area_and_an_item(client_for, supervisor_a, draft):
    client = client_for(supervisor_a)
    client.post(
        reverse("feedback:questionnaire-action", args=[draft.pk, "add-area"]),
        {"name": "结算服务", "weight": 10},
    )
    area = draft.areas.get()
    client.post(
        reverse("feedback:questionnaire-action", args=[draft.pk, "add-item"]),
        {"area": area.pk, "text": "扣款准确及时", "kind": "scale10", "required": "on"},
    )
    item = area.items.get()
    assert (item.text, item.kind, item.required) == ("扣款准确及时", "scale10", True)
    page = client.get(reverse("feedback:questionnaire-detail", args=[draft.pk])).content.decode()
    assert "扣款准确及时" in page


@pytest.mark.parametrize(
    ("action", "field"), [("add-item", "area"), ("delete-area", "area"), ("delete-item", "item")]
)
def test_a_junk_area_or_item_id_answers_404_not_a_crash(client_for, supervisor_a, draft, action, field):
    response = client_for(supervisor_a).post(
        reverse("feedback:questionnaire-action", args=[draft.pk, action]), {field: "abc", "text": "x"}
    )
    assert response.status_code == 404
