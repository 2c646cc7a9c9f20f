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


def test_overridden_stands_in_for_a_block_and_puts_the_registered_entry_back(monkeypatch):
    import core.registry

    monkeypatch.setattr(core.registry, "_ALL", dict(core.registry._ALL))
    reg: Registry[str, str] = Registry("test-override", owner="tests", doc="for this test")
    reg.register("a", "real", by="sales")
    with reg.overridden("a", "stand-in"):
        assert reg["a"] == "stand-in"
    assert (reg["a"], reg.registered_by("a")) == ("real", "sales")
    with reg.overridden("a", None):
        assert "a" not in reg
    with reg.overridden("b", "only here"):
        assert reg["b"] == "only here"
    assert "b" not in reg
    assert reg.items() == [("a", "real")]


def test_the_apps_above_fill_the_extension_points_of_sales_and_campaigns():
    """Who follows an import's new orders, and who supplies each template variable, is filled by the apps above
    in their AppConfig.ready() — none is left unregistered, none registered by an app below its owner."""
    from campaigns.templating import PROVIDED_VARIABLES, VARIABLE_PROVIDERS
    from sales.services import ORDERS_CREATED

    assert {name: ORDERS_CREATED.registered_by(name) for name in ORDERS_CREATED} == {
        "allocation-excess": "sales",
        "points-award": "loyalty",
    }
    assert {name: VARIABLE_PROVIDERS.registered_by(name) for name in VARIABLE_PROVIDERS} == {
        "allowance": "campaigns",
        "violation": "campaigns",
        "survey_url": "feedback",
        "portal_url": "feedback",
        "points_balance": "loyalty",
        "points_url": "loyalty",
    }
    assert set(VARIABLE_PROVIDERS) == set(PROVIDED_VARIABLES)
