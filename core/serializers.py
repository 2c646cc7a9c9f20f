"""The API's serializer bases. Every serializer of ours derives from these (a test walks them all), so a body
field the endpoint does not know is refused with 400 and named, instead of silently ignored: a typo such as
`moblie` must not look like a successful edit."""

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField

# Sent by forms that post to the API from the browser; never a field.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


class PrefetchingListSerializer(serializers.ListSerializer):
    """A page of model objects whose serializer nests other model serializers (a user shown as an object) loads
    each nested relation for the whole page in one query, instead of one query a row."""

    def to_representation(self, data):
        items = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        if items and isinstance(items[0], models.Model):
            for path in nested_paths(self.child):
                try:
                    models.prefetch_related_objects(items, path)
                except (
                    AttributeError,
                    ValueError,
                ):  # a source that is not a relation (a property): no prefetch
                    continue
        return [self.child.to_representation(item) for item in items]


def nested_paths(serializer) -> list[str]:
    """The relation paths of the nested model serializers among `serializer`'s fields (`route.manager` ->
    `route__manager`)."""
    return [
        field.source.replace(".", "__")
        for field in serializer.fields.values()
        if isinstance(field, serializers.ModelSerializer) and field.source and field.source != "*"
    ]


class StrictFieldsMixin:
    """Refuses body keys that are not fields of the serializer, and read-only fields sent with a value other than
    the one shown: a GET's body sent back with PUT is accepted."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_serializer = super().many_init(*args, **kwargs)
        if type(list_serializer) is serializers.ListSerializer:
            list_serializer.__class__ = PrefetchingListSerializer
        return list_serializer

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            refused = {
                str(name).replace("\x00", "\ufffd"): [
                    _("不支持这个字段。")
                ]  # a NUL cannot be stored or shown
                for name in sorted(set(data) - set(self.fields) - IGNORED_KEYS, key=str)
            }
            refused.update(self._read_only_changed(data))
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if not refused or not isinstance(exc.detail, dict):
                raise
            raise ValidationError({**exc.detail, **refused}) from exc
        if refused:
            raise ValidationError(refused)
        return value

    def _read_only_changed(self, data) -> dict:
        """A read-only field sent back with another value than the record shows is refused (it would be ignored
        otherwise, and the caller would believe it changed); sent back as shown, it is accepted."""
        instance = getattr(self, "instance", None)
        if instance is None or isinstance(instance, list | tuple) or hasattr(instance, "model"):
            return {}
        refused = {}
        for name in set(data) & set(self.fields):
            field = self.fields[name]
            if not field.read_only:
                continue
            try:
                attribute = field.get_attribute(instance)
                shown = None if attribute is None else field.to_representation(attribute)
            except (AttributeError, KeyError, TypeError, ValueError, SkipField):
                continue
            if shown != data[name]:
                refused[name] = [_("这个字段只读，不能在这里修改。")]
        return refused


class Serializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass
