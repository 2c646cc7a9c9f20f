"""Read replicas (core.replica): the named read-only pages and the API's lists read from a streaming replica while
its lag is within the bound; writes, every other page and a user who has just written read the primary.

The routing test runs a real primary and a real streaming standby (pg_basebackup -R) from the embedded PostgreSQL's
own programs, on free ports, the primary holding a copy of the test database. Replay is paused on the standby so the
two differ, which shows where each read went."""

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.urls import resolve, reverse

from accounts.models import Retailer, RetailerExport
from core.replica import REPLICA, WROTE_CACHE_KEY, ReplicaRouter, replica_status
from crm import embedded_db
from crm.urls import router as api_router
from tests.accounts.factories import RetailerFactory
from tests.conftest import KeyedAPIClient
from tests.servers import free_port
from tests.users.factories import (
    AdminFactory,
    CompanyFactory,
    CountyFactory,
    DepartmentFactory,
    IntegrationFactory,
    ManagerFactory,
    RouteFactory,
    SupervisorFactory,
)
from tests.users.otp import mark_verified
from users.models import User
from users.services import api_token_create

API_RETAILERS = "/api/v1/retailers/"
ATTRIBUTE_OPTIONS = re.compile(rb"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(.*\);$", re.MULTILINE)

# The pages that only read (reports, exports, the cockpit, the explorer): each must be declared.
REPLICA_PAGES = (
    reverse("cockpit:cockpit"),
    reverse("cockpit:retailers"),
    reverse("cockpit:report-list"),
    reverse("cockpit:report-detail", args=[1]),
    reverse("cockpit:report-xlsx", args=[1]),
    reverse("segmentation:explorer"),
    reverse("accounts:retailer-export"),
    reverse("accounts:retailer-export-xlsx"),
    reverse("feedback:complaint-report"),
    reverse("feedback:complaint-export"),
    reverse("feedback:survey-report"),
    reverse("feedback:survey-export", args=[1]),
    reverse("visits:coverage"),
    reverse("visits:coverage-export"),
)
# Pages where the user acts on what they just saw or wrote: the primary's.
PRIMARY_PAGES = (
    reverse("accounts:retailer-list"),
    reverse("cockpit:target-list"),
    reverse("cockpit:notice-list"),
    reverse("visits:daily-list"),
    reverse("home"),
)


def test_the_named_read_pages_and_every_api_list_are_declared_and_nothing_else():
    for path in REPLICA_PAGES:
        assert getattr(resolve(path).func, "reads_from_replica", False), path
    for path in PRIMARY_PAGES:
        assert not getattr(resolve(path).func, "reads_from_replica", False), path
    lists = details = 0
    for pattern in api_router.urls:
        actions = getattr(pattern.callback, "actions", None) or {}
        routed = getattr(pattern.callback, "reads_from_replica", False)
        if actions.get("get") == "list":
            lists += 1
            assert routed, pattern.name
        elif actions:
            details += 1
            assert not routed, pattern.name
    assert lists >= 30
    assert details >= 30
    # the API still describes every list (the wrapper keeps the viewset's attributes)
    assert resolve(API_RETAILERS).func.cls.__name__ == "RetailerViewSet"


@pytest.mark.django_db
def test_without_a_replica_nothing_is_routed_and_the_admin_home_says_so(client_for):
    assert REPLICA not in connections  # the test settings drop DATABASE_REPLICA_URL
    router = ReplicaRouter()
    assert router.db_for_read(Retailer) is None
    assert router.db_for_write(Retailer) is None
    assert replica_status().configured is False
    admin = AdminFactory(org_unit=CompanyFactory())
    html = client_for(admin).get(reverse("home")).content.decode()
    assert 'id="replica-lag">未配置<' in html


# --- a real primary and streaming standby ----------------------------------------------------------------------


def _wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _run(args: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, check=False, **kwargs)  # noqa: S603 - our own programs
    assert done.returncode == 0, (
        f"{Path(args[0]).name} failed: {done.stderr.decode(errors='replace')[-2000:]}"
    )
    return done


@pytest.fixture(scope="module")
def streaming_pair(django_db_setup):
    """(primary port, standby port): a primary with a copy of the test database (schema and the migrations' rows)
    in `crm`, and a hot standby streaming from it. Both are stopped (immediate) and deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="crm-replica-"))
    as_user = embedded_db.run_as(root)  # PostgreSQL will not run as root
    run = {"cwd": root, **as_user}
    primary, standby = root / "primary", root / "standby"
    ports = {primary: free_port(), standby: free_port()}
    options = "-c fsync=off -c full_page_writes=off -c max_connections=30"
    started = []

    def start(data: Path) -> None:
        _run(
            [
                embedded_db.pg_binary("pg_ctl"),
                *("-D", str(data), "-l", str(root / f"{data.name}.log"), "-w", "-t", "60"),
                *("-o", f"-h 127.0.0.1 -p {ports[data]} -k {root} {options}"),
                "start",
            ],
            **run,
        )
        started.append(data)

    try:
        initdb = [embedded_db.pg_binary("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-N"]
        _run([*initdb, "--encoding=UTF8", "--locale=C.UTF-8"], **run)
        start(primary)
        psql = [embedded_db.pg_binary("psql"), "-h", "127.0.0.1", "-p", str(ports[primary]), "-U", "postgres"]
        _run([*psql, "-d", "postgres", "-c", "CREATE DATABASE crm"])
        source = connections["default"].settings_dict  # the test database (django_db_setup)
        dump = _run(
            [
                embedded_db.pg_binary("pg_dump"),
                *("--no-owner", "--no-privileges", "-h", source["HOST"] or "127.0.0.1"),
                *("-p", str(source["PORT"] or 5432), "-U", source["USER"], source["NAME"]),
            ],
            env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
        )
        # column options (planner hints) mean nothing here, and a server may carry ones this version does not know
        schema = ATTRIBUTE_OPTIONS.sub(b"", dump.stdout)
        _run([*psql, "-d", "crm", "-q", "-v", "ON_ERROR_STOP=1"], input=schema)
        basebackup = [
            embedded_db.pg_binary("pg_basebackup"),
            "-D",
            str(standby),
            "-R",
            "-c",
            "fast",
            "-X",
            "stream",
        ]
        _run([*basebackup, "-h", "127.0.0.1", "-p", str(ports[primary]), "-U", "postgres"], **run)
        start(standby)
        yield ports[primary], ports[standby]
    finally:
        for data in reversed(started):
            subprocess.run(  # noqa: S603
                [embedded_db.pg_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                cwd=root,
                **as_user,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def replica_databases(db, streaming_pair, settings):
    """The `default` alias on the streaming primary and a `replica` alias on its standby, as DATABASE_URL and
    DATABASE_REPLICA_URL would make them. The test database's connection (inside the test's transaction) is set
    aside meanwhile and put back afterwards, so pytest-django rolls it back as ever."""
    primary_port, standby_port = streaming_pair
    saved_settings, saved_connection = connections.settings["default"], connections["default"]
    base = {**saved_settings, "NAME": "crm", "HOST": "127.0.0.1", "USER": "postgres", "PASSWORD": ""}
    base["CONN_MAX_AGE"] = 0
    # measured at every decision: the test changes the lag and the bound
    settings.REPLICA_LAG_CHECK_SECONDS = 0
    connections.settings["default"] = {**base, "PORT": primary_port}
    connections.settings[REPLICA] = {**base, "PORT": standby_port}
    connections["default"] = connections.create_connection("default")
    # connected here: the test case lets no connection open to an alias it was not given, and the test client
    # never closes one, so these two stay open for the test
    connections["default"].connect()
    connections[REPLICA].connect()
    try:
        yield
    finally:
        for alias in ("default", REPLICA):
            connections[alias].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        connections.settings["default"] = saved_settings
        connections["default"] = saved_connection


def _scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _standby_has(column: str) -> bool:
    """Whether the standby has received (`pg_last_wal_receive_lsn`) or replayed (`…_replay_lsn`) all the primary
    has written so far."""
    lsn = _scalar("default", "SELECT pg_current_wal_lsn()::text")
    return _scalar(REPLICA, f"SELECT {column}() >= %s::pg_lsn", [lsn])


def _token_client(user) -> KeyedAPIClient:
    _token, key = api_token_create(user=user, name="replica test")
    client = KeyedAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    mark_verified(client, user)
    return client


def _listed(client) -> dict[int, str]:
    response = client.get(API_RETAILERS)
    assert response.status_code == 200, response.content
    return {row["id"]: row["shop_name"] for row in response.json()["results"]}


def _exported(client) -> list[str]:
    """The shop names in the retailer export (CSV, streamed)."""
    response = client.get(reverse("accounts:retailer-export"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    column = rows[0].index("店铺名称")
    return sorted(row[column] for row in rows[1:])


def _lag_class(html: str) -> str:
    return re.search(r'<div class="([^"]*)" id="replica-lag">', html).group(1)


def test_named_reads_go_to_the_replica_writes_and_a_fresh_writer_to_the_primary_and_lag_falls_back(
    replica_databases, settings
):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    company = CompanyFactory()
    county = CountyFactory(parent=company)
    dept = DepartmentFactory(parent=county)
    manager = ManagerFactory(org_unit=dept)
    route = RouteFactory(org_unit=dept, manager=manager)
    first = RetailerFactory(route=route, shop_name="副本之前的店")
    integration = _token_client(IntegrationFactory(org_unit=company))
    field = _token_client(manager)
    supervisor = _browser(SupervisorFactory(org_unit=county))
    admin = _browser(AdminFactory(org_unit=company))
    # the test cache outlives this database, whose ids another run's users had: no write of theirs counts here
    cache.delete_many(
        [WROTE_CACHE_KEY.format(user_id=pk) for pk in User.objects.values_list("pk", flat=True)]
    )
    _wait_for(lambda: _standby_has("pg_last_wal_replay_lsn"), "the standby to replay the set-up")

    # replay stops: what is written now is on the primary only
    _scalar(REPLICA, "SELECT pg_wal_replay_pause()")
    _wait_for(lambda: _scalar(REPLICA, "SELECT pg_get_wal_replay_pause_state()") == "paused", "the pause")
    second = RetailerFactory(route=route, shop_name="暂停后新开的店")
    _wait_for(lambda: _standby_has("pg_last_wal_receive_lsn"), "the standby to receive the new shop")
    status = replica_status()
    assert status.usable
    assert status.lag_seconds > 0

    # the API list reads the replica: the new shop is not there yet; its detail page reads the primary
    assert set(_listed(integration)) == {first.pk}
    assert integration.get(f"{API_RETAILERS}{second.pk}/").status_code == 200
    # a streamed export reads the replica while it is sent; its log line is written to the primary
    exports_before = RetailerExport.objects.count()
    assert _exported(supervisor) == ["副本之前的店"]
    assert RetailerExport.objects.using("default").count() == exports_before + 1

    # read-after-write: the manager who just saved reads the primary, the others still the replica
    saved = field.patch(f"{API_RETAILERS}{first.pk}/", {"shop_name": "改过名的店"}, format="json")
    assert saved.status_code == 200, saved.content
    assert Retailer.objects.using("default").get(pk=first.pk).shop_name == "改过名的店"
    assert _listed(field) == {first.pk: "改过名的店", second.pk: "暂停后新开的店"}
    assert _listed(integration) == {first.pk: "副本之前的店"}

    # over the bound the same list falls back to the primary, and the admin home says why
    settings.REPLICA_MAX_LAG_SECONDS = 0.001
    assert _listed(integration) == {first.pk: "改过名的店", second.pk: "暂停后新开的店"}
    assert _exported(supervisor) == ["改过名的店", "暂停后新开的店"]
    home = admin.get(reverse("home")).content.decode()
    assert "health-bad" in _lag_class(home)
    assert "超过上限 0.001 秒" in home

    # replay resumes: within the bound again, the replica has everything
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    _scalar(REPLICA, "SELECT pg_wal_replay_resume()")
    _wait_for(lambda: _standby_has("pg_last_wal_replay_lsn"), "the standby to catch up")
    assert replica_status().usable
    assert _listed(integration) == {first.pk: "改过名的店", second.pk: "暂停后新开的店"}
    home = admin.get(reverse("home")).content.decode()
    assert "health-ok" in _lag_class(home)
