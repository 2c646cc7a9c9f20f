"""The API contract: schemathesis generates requests from /api/schema/ (its examples, then fuzzing with valid and
invalid input, 12 examples per operation and phase) as a company administrator and as a customer manager, and
every answer must be no server error, have a status the schema documents, and a body the schema describes."""

import copy
import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from crm.wsgi import application
from users.services import api_token_create

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
RUNS = (
    (TestPhase.EXAMPLES, GenerationMode.POSITIVE),
    (TestPhase.FUZZING, GenerationMode.POSITIVE),
    (TestPhase.FUZZING, GenerationMode.NEGATIVE),
)
# Left out of the every-parameter pass: a random cursor is refused (400) before the filters run, and a random
# id for a model-choice filter is almost never in the caller's territory (400 before any filter runs); those
# three get valid ids instead.
LEFT_OPTIONAL = {"cursor", "route", "manager", "org_unit"}
# The SMS gateway's webhooks are in the schema (campaigns/webhook_schema.py) but are not called with a token: their
# contract (signature, body, every refusal) is tests/campaigns/test_inbound.py's.
SIGNED_BY_THE_GATEWAY = "/api/v1/webhooks/"


@pytest.fixture
def in_test_transaction():
    """Requests through the WSGI handler would close the test's connection (and its transaction) at the end
    of each request; Django's own test client unhooks the same signal handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def with_every_query_parameter(raw: dict) -> dict:
    """The schema with each query parameter required: 12 examples rarely draw a given one of 15 optional
    filters, so a second pass sends them all, each with a generated (and, in negative mode, bad) value."""
    raw = copy.deepcopy(raw)
    for operations in raw["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query" and parameter["name"] not in LEFT_OPTIONAL:
                    parameter["required"] = True
    return raw


def run_operation(operation, headers, failures, runs=RUNS, **fixed):
    for phase, mode in runs:

        @given(case=operation.as_strategy(generation_mode=mode, phase=phase, **fixed))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure is reported as found
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            # a new key per request, as a client sends one per intended operation
            case.call_and_validate(headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, checks=CHECKS)

        try:
            call()
        except Unsatisfiable:
            # negative mode on an operation with nothing to make invalid (no parameters, no body)
            if mode is not GenerationMode.NEGATIVE:
                raise
        except (AssertionError, FailureGroup) as failure:
            failures.append(f"{operation.label} [{phase.value}/{mode.value}]: {str(failure)[:1500]}")


# The operations are shared out over PARTS tests per role (by their place in the schema's order), so that the
# suite's workers run them side by side instead of one worker spending minutes on the whole API.
PARTS = 4


def _in_part(index: int, part: int) -> bool:
    return index % PARTS == part


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.parametrize("role", ["company_admin", "manager_a"])
def test_api_keeps_its_contract_for_every_generated_request(
    role,
    part,
    request,
    two_territories,
    supervisor_a,
    route_a,
    manager_a,
    county_a,
    in_test_transaction,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path  # uploads made by generated requests
    own, _other = two_territories
    user = request.getfixturevalue(role)
    headers = {"Authorization": f"Token {api_token_create(user=user)[1]}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"GET /api/v1/retailers/", "POST /api/v1/retailers/", "PATCH /api/v1/retailers/{id}/"} <= labels

    failures = []
    for index, operation in enumerate(operations):
        if operation.path.startswith(SIGNED_BY_THE_GATEWAY) or not _in_part(index, part):
            continue
        run_operation(operation, headers, failures)
        if operation.path == "/api/v1/retailers/{id}/":
            # also against a retailer the caller may see, so updates reach the service
            run_operation(
                operation,
                headers,
                failures,
                runs=((TestPhase.FUZZING, GenerationMode.POSITIVE),),
                path_parameters={"id": own.pk},
            )

    every_parameter = schemathesis.openapi.from_dict(with_every_query_parameter(schema.raw_schema))
    every_parameter.app = application
    territory = {"route": route_a.pk, "manager": manager_a.pk, "org_unit": county_a.pk}
    for index, result in enumerate(every_parameter.get_all_operations()):
        operation = result.ok()
        if (
            _in_part(index, part)
            and operation.method.upper() == "GET"
            and operation.query
            and not operation.path.startswith(SIGNED_BY_THE_GATEWAY)
        ):
            names = {parameter.name for parameter in operation.query}
            run_operation(
                operation,
                headers,
                failures,
                runs=((TestPhase.FUZZING, GenerationMode.POSITIVE),),
                query={k: v for k, v in territory.items() if k in names},
            )
    assert failures == [], "\n\n".join(failures)
