"""The questionnaire builder: a draft takes areas (with weights) and items; publishing freezes it (answers always
match the questions they were given for) and retires the older published version of the same code; a change to a
published questionnaire is a new version, copied as a draft."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from feedback.surveys.models import QuestionArea, QuestionItem, Questionnaire
from users.models import User


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有此操作的权限。"))


# ---- drafts ----------------------------------------------------------------------------------------
def _draft(questionnaire: Questionnaire) -> Questionnaire:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.is_frozen:
        raise ConflictError(_("问卷已发布，不能修改；请先生成新版本。"))
    return locked


@transaction.atomic
def questionnaire_create(*, actor: User, code: str, name: str, intro: str = "") -> Questionnaire:
    _require(actor.has_perm("feedback.add_questionnaire"))
    questionnaire = Questionnaire(code=code, name=name, intro=intro, version=1, created_by=actor)
    questionnaire.full_clean()
    if Questionnaire.objects.filter(code=code).exists():
        raise ValidationError({"code": _("该问卷代码已存在。")})
    questionnaire.save()
    return questionnaire


@transaction.atomic
def questionnaire_new_version(*, actor: User, questionnaire: Questionnaire) -> Questionnaire:
    """A draft copy (areas and items) of a published questionnaire as the next version of its code."""
    _require(actor.has_perm("feedback.add_questionnaire"))
    if not questionnaire.is_frozen:
        raise ConflictError(_("草稿可以直接修改，不需要新版本。"))
    if Questionnaire.objects.filter(code=questionnaire.code, state=Questionnaire.State.DRAFT).exists():
        raise ConflictError(_("该问卷已有一个草稿版本。"))
    version = Questionnaire.objects.filter(code=questionnaire.code).aggregate(v=Max("version"))["v"] + 1
    try:
        with transaction.atomic():
            copy = Questionnaire.objects.create(
                code=questionnaire.code,
                version=version,
                name=questionnaire.name,
                intro=questionnaire.intro,
                created_by=actor,
            )
    except IntegrityError:
        raise ConflictError(_("该问卷已有一个草稿版本。")) from None
    for area in questionnaire.areas.prefetch_related("items"):
        new_area = QuestionArea.objects.create(
            questionnaire=copy, name=area.name, weight=area.weight, position=area.position
        )
        QuestionItem.objects.bulk_create(
            QuestionItem(
                area=new_area,
                text=item.text,
                kind=item.kind,
                required=item.required,
                choices=item.choices,
                position=item.position,
            )
            for item in area.items.all()
        )
    return copy


@transaction.atomic
def question_area_save(
    *, actor: User, questionnaire: Questionnaire, name: str, weight: int, area: QuestionArea | None = None
) -> QuestionArea:
    _require(actor.has_perm("feedback.change_questionnaire"))
    questionnaire = _draft(questionnaire)
    if area is None:
        position = (questionnaire.areas.aggregate(p=Max("position"))["p"] or 0) + 1
        area = QuestionArea(questionnaire=questionnaire, position=position)
    elif area.questionnaire_id != questionnaire.pk:
        raise ValidationError(_("该领域不属于此问卷。"))
    area.name, area.weight = (name or "").strip(), weight
    area.full_clean()
    area.save()
    return area


@transaction.atomic
def question_item_save(
    *,
    actor: User,
    area: QuestionArea,
    text: str,
    kind: str,
    required: bool,
    choices: list[str] | None = None,
    item: QuestionItem | None = None,
) -> QuestionItem:
    _require(actor.has_perm("feedback.change_questionnaire"))
    _draft(area.questionnaire)
    if item is None:
        position = (area.items.aggregate(p=Max("position"))["p"] or 0) + 1
        item = QuestionItem(area=area, position=position)
    elif item.area_id != area.pk:
        raise ValidationError(_("该题目不属于此领域。"))
    item.text, item.kind, item.required = (text or "").strip(), kind, required
    item.choices = [c.strip() for c in (choices or []) if c.strip()]
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def question_item_delete(*, actor: User, item: QuestionItem) -> None:
    _require(actor.has_perm("feedback.change_questionnaire"))
    _draft(item.area.questionnaire)
    item.delete()


@transaction.atomic
def question_area_delete(*, actor: User, area: QuestionArea) -> None:
    _require(actor.has_perm("feedback.change_questionnaire"))
    _draft(area.questionnaire)
    area.delete()


@transaction.atomic
def questionnaire_publish(*, actor: User, questionnaire: Questionnaire) -> Questionnaire:
    """Freeze a draft; the older published versions of the same code retire (surveys already using them keep
    them). Refused if an area has no item or nothing would be scored."""
    _require(actor.has_perm("feedback.change_questionnaire"))
    questionnaire = _draft(questionnaire)
    areas = list(questionnaire.areas.prefetch_related("items"))
    errors = []
    if not areas:
        errors.append(_("问卷至少需要一个评价领域。"))
    for area in areas:
        if not area.items.all():
            errors.append(_("领域“%(name)s”没有题目。") % {"name": area.name})
    if not any(item.kind in QuestionItem.SCORED for area in areas for item in area.items.all()):
        errors.append(_("问卷至少需要一道计分题（1–5 分或 1–10 分）。"))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    Questionnaire.objects.filter(code=questionnaire.code, state=Questionnaire.State.PUBLISHED).update(
        state=Questionnaire.State.RETIRED
    )
    questionnaire.state, questionnaire.published_at = Questionnaire.State.PUBLISHED, now
    questionnaire.save(update_fields=["state", "published_at"])
    return questionnaire
