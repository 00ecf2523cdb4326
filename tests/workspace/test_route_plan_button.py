"""The route plans page's "Plan routes" button: planners start a plan through the API's
service and guards and watch its bar until it links the plan; viewers neither see nor use it;
another tenant never sees the plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from core.models import Job
from routing.models import RoutePlan, Vehicle
from routing.tasks import route_plan_job
from tests.conftest import HOST_A, HOST_B, make_user
from tests.factories import DeliveryOrderFactory, VehicleFactory

pytestmark = pytest.mark.django_db
START = "/app/route-plans/start/"


def _client(user, host: str = HOST_A, **extra) -> Client:
    client = Client(HTTP_HOST=host, **extra)
    client.force_login(user)
    return client


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def test_planner_plans_tomorrow_and_the_bar_links_the_plan(planner, tenant_b):
    VehicleFactory()
    DeliveryOrderFactory.create_batch(3, date=_tomorrow())
    client = _client(planner)
    page = client.get("/app/route-plans/").content.decode()
    assert 'id="start-route-plan"' in page and f'value="{_tomorrow():%Y-%m-%d}"' in page

    response = client.post(START)  # no date: tomorrow
    assert response.status_code == 200, response.content
    plan = RoutePlan.objects.get()
    assert plan.date == _tomorrow() and plan.job.kind == "route_plan"
    html = response.content.decode()
    assert f'hx-get="/app/jobs/{plan.job_id}/progress/"' in html and "every 1s" in html

    # One plan at a time, as the API: the second press says so and shows the running bar.
    again = client.post(START, {"date": _tomorrow().isoformat()})
    assert again.status_code == 409 and b"already queued" in again.content
    assert f'id="job-{plan.job_id}"' in again.content.decode()
    assert RoutePlan.objects.count() == 1

    RoutePlan.objects.filter(pk=plan.pk).update(time_limit_seconds=0.3)  # a short solve
    route_plan_job.apply(args=[str(plan.job_id)])
    assert Job.objects.get(pk=plan.job_id).status == Job.Status.SUCCEEDED
    done = client.get(f"/app/jobs/{plan.job_id}/progress/").content.decode()
    assert "every 1s" not in done and f'href="/app/route-plans/{plan.pk}/"' in done
    assert "Open the plan" in done

    # Tenant B's members never see it.
    with schema_context(tenant_b.schema_name):
        intruder = make_user(User.Role.PLANNER)
        other = _client(intruder, HOST_B)
    listing = other.get("/app/route-plans/").content.decode()
    assert f"/app/route-plans/{plan.pk}/" not in listing
    assert other.get(f"/app/route-plans/{plan.pk}/").status_code == 404


def test_nothing_to_plan_gets_a_sentence_not_an_error(planner):
    client = _client(planner)
    day = _tomorrow() + dt.timedelta(days=3)
    VehicleFactory()
    empty = client.post(START, {"date": day.isoformat()})
    assert empty.status_code == 400 and b"no delivery orders" in empty.content

    Vehicle.objects.update(is_active=False)
    DeliveryOrderFactory(date=day)
    no_fleet = client.post(START, {"date": day.isoformat()})
    assert no_fleet.status_code == 400 and b"no active vehicle" in no_fleet.content

    bad = client.post(START, {"date": "next tuesday"})
    assert bad.status_code == 400 and b"must be a date" in bad.content
    assert not RoutePlan.objects.exists() and not Job.objects.exists()


def test_viewers_see_no_button_and_get_403(viewer):
    client = _client(viewer)
    assert 'id="start-route-plan"' not in client.get("/app/route-plans/").content.decode()
    assert client.post(START).status_code == 403
    assert client.get(START).status_code == 405
    assert not RoutePlan.objects.exists()


def test_the_button_needs_the_csrf_token(planner):
    VehicleFactory()
    DeliveryOrderFactory(date=_tomorrow())
    client = _client(planner, enforce_csrf_checks=True)
    assert client.post(START).status_code == 403
    assert not RoutePlan.objects.exists()
