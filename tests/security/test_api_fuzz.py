"""Fuzzing the HTTP API from its own schema (schemathesis): whatever a client sends, valid by
the schema or not, the API answers with a status a client can act on, never a 500.

Every operation gets a bounded, derandomised run, as a province officer of the scoping
matrix's world (a small province with a campaign, pupils, devices, gifts and a pool). One test
per kind of data walks every operation, so the world is built twice, not once per operation;
a failure names each operation that answered 500 and what was sent.
"""

import functools
import sys
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings

from songmay.api.api import api

SCHEMA_PATH = "/api/v1/openapi.json"
MAX_EXAMPLES = 20


def _operations() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    return sorted((method.upper(), path) for path, methods in paths.items() for method in methods)


@functools.cache
def _schema() -> Any:
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())


@pytest.fixture
def wsgi_in_the_test_transaction():
    """Requests go through the real WSGI handler, which closes the database connection at each
    request's start and end; the test's transaction must survive them (Django's own test
    client disconnects the same handler). Yields the exceptions turned into 500s."""
    caught: list[BaseException | None] = []

    def record(sender: Any, **kwargs: Any) -> None:
        caught.append(sys.exc_info()[1])

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.got_request_exception.connect(record, weak=False)
    yield caught
    signals.got_request_exception.disconnect(record)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_is_in_the_schema_schemathesis_reads():
    assert len(_operations()) == sum(1 for _ in _schema().get_all_operations())


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_operation_answers_500(mode, world, tokens, wsgi_in_the_test_transaction):
    from schemathesis import GenerationMode

    headers = {"Authorization": f"Bearer {tokens['province_bn']}"}
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    failures: dict[str, str] = {}
    requests = 0

    for method, path in _operations():
        operation = _schema()[path][method]

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=generation))
        def check(case: Any) -> None:
            nonlocal requests
            # Each example starts from the same world, and a database error in one (PostgreSQL
            # aborts the transaction) cannot spill into the next.
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            requests += 1
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} query={case.query} "
                f"body={getattr(case, 'body', None)!r} → {response.status_code}: "
                f"{wsgi_in_the_test_transaction[-1:]!r}"
            )

        try:
            check()
        except Exception as error:
            failures[f"{method} {path}"] = str(error).splitlines()[0]

    assert not failures, "\n".join(f"{key}: {value}" for key, value in failures.items())
    assert requests >= len(_operations())
