"""The credit rule of migration 0007 is data: a transactional test elsewhere may have flushed it from a reused
test database, so every accounts test starts with the default rule in place."""

import pytest


@pytest.fixture(autouse=True)
def credit_rule(request):
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        return None
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    from accounts.compliance.models import CreditRule

    rule, _created = CreditRule.objects.get_or_create(is_active=True, defaults={"name": "默认信用规则"})
    return rule
