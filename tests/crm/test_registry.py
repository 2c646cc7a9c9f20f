"""core.registry: a lower app's registry that higher apps fill; a key registered twice is a configuration error,
and every registry is listed by `manage.py registries`."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from core.registry import Registry, registries


def test_a_registry_keeps_order_refuses_a_second_registration_and_is_listed(monkeypatch):
    import core.registry

    monkeypatch.setattr(core.registry, "_ALL", dict(core.registry._ALL))  # the test's registry leaves with it
    reg: Registry[str, str] = Registry("test-registry", owner="tests", doc="for this test")
    reg.register("b", "second", by="sales")
    reg.register("a", "first", by="loyalty")
    assert reg.items() == [("b", "second"), ("a", "first")]
    assert ("a" in reg, reg["a"], reg.registered_by("a"), len(reg)) == (True, "first", "loyalty", 2)
    with pytest.raises(ImproperlyConfigured):
        reg.register("a", "again", by="visits")
    with pytest.raises(ImproperlyConfigured):
        Registry("test-registry", owner="tests", doc="the same name twice")
    assert reg in registries()
    out = io.StringIO()
    call_command("registries", stdout=out)
    assert (
        "test-registry (declared by tests, 2 entries): for this test\n  b  [sales]  second\n  a  [loyalty]  first"
        in (out.getvalue())
    )
    assert "merge (declared by accounts" in out.getvalue()
