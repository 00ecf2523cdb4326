"""Bad input fails with an error that names the order (or vehicle); matrices are right."""

from __future__ import annotations

import numpy as np
import pytest

from routing.solver import Depot, Job, Problem, ProblemError, TimeWindow, Vehicle
from routing.solver.matrix import EuclideanMatrix, HaversineMatrix
from tests.routing.helpers import job, planar_problem, van

PARIS = (48.8566, 2.3522)
LONDON = (51.5074, -0.1278)


def latlon_problem(points, jobs, vehicles=None):
    return Problem.build(
        locations=points,
        depots=[Depot(id="D", location=0)],
        jobs=jobs,
        vehicles=vehicles or [van()],
        matrix_provider=HaversineMatrix(speed_kmh=50),
        coordinates="latlon",
    )


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ((123.0, 2.0), "latitude/longitude"),
        ((45.0, -181.0), "latitude/longitude"),
        ((float("nan"), 2.0), "latitude/longitude"),
    ],
)
def test_coordinates_out_of_range_name_the_order(point, message):
    with pytest.raises(ProblemError) as error:
        latlon_problem([PARIS, LONDON, point], [job(1), job(2)])
    assert "Order o2" in str(error.value) and message in str(error.value)
    assert (error.value.kind, error.value.ref, error.value.field_name) == (
        "order",
        "o2",
        "coordinates",
    )


def test_depot_coordinates_out_of_range_name_the_depot():
    with pytest.raises(ProblemError, match="Depot D") as error:
        latlon_problem([(95.0, 0.0), LONDON], [job(1)])
    assert error.value.kind == "depot"


def test_negative_demand_names_the_order():
    with pytest.raises(ProblemError, match="Order o1: negative demand") as error:
        planar_problem([(0, 0), (1, 1)], jobs=[job(1, demand=-2)], vehicles=[van()])
    assert error.value.field_name == "demand"


def test_demand_larger_than_every_vehicle_names_the_order():
    with pytest.raises(ProblemError, match=r"Order o2: .*larger than the capacity of every"):
        planar_problem(
            [(0, 0), (1, 1), (2, 2)],
            jobs=[job(1, demand=5), job(2, demand=11)],
            vehicles=[van("a", capacity=10), van("b", capacity=8)],
        )


def test_demand_must_fit_one_vehicle_in_every_dimension_at_once():
    # a carries the weight, b the volume, nobody both: that order cannot be served.
    vehicles = [
        Vehicle(id="a", start_depot="D", capacity=(100.0, 1.0)),
        Vehicle(id="b", start_depot="D", capacity=(10.0, 10.0)),
    ]
    order = Job(id="heavy-bulky", location=1, demand=(50.0, 5.0))
    with pytest.raises(ProblemError, match="Order heavy-bulky"):
        planar_problem([(0, 0), (1, 1)], jobs=[order], vehicles=vehicles)


def test_window_ending_before_it_starts_names_the_order():
    with pytest.raises(ProblemError, match="Order o1: time window ends") as error:
        planar_problem([(0, 0), (1, 1)], jobs=[job(1, window=(100, 50))], vehicles=[van()])
    assert error.value.field_name == "time_windows"


@pytest.mark.parametrize(
    ("order", "match"),
    [
        (Job(id="x", location=1, demand=(1.0, 2.0)), "dimensions"),
        (Job(id="x", location=1, demand=(float("inf"),)), "finite"),
        (Job(id="x", location=1, demand=(1.0,), service_time=-1), "service time"),
        (Job(id="x", location=1, demand=(1.0,), priority=-1), "priority"),
        (Job(id="x", location=7, demand=(1.0,)), "location index"),
        (
            Job(
                id="x",
                location=1,
                demand=(1.0,),
                time_windows=(TimeWindow(0, 10), TimeWindow(5, 20)),
            ),
            "overlap",
        ),
        (
            Job(id="x", location=1, demand=(1.0,), time_windows=(TimeWindow(0, float("inf")),)),
            "finite",
        ),
    ],
)
def test_other_bad_orders_are_named(order, match):
    with pytest.raises(ProblemError, match=f"Order x: .*{match}"):
        planar_problem([(0, 0), (1, 1)], jobs=[order], vehicles=[van()])


@pytest.mark.parametrize(
    ("vehicle", "match"),
    [
        (Vehicle(id="v", start_depot="nowhere", capacity=(1.0,)), "unknown depot"),
        (Vehicle(id="v", start_depot="D", end_depot="nowhere", capacity=(1.0,)), "unknown"),
        (Vehicle(id="v", start_depot="D", capacity=(-1.0,)), "capacity"),
        (
            Vehicle(id="v", start_depot="D", capacity=(1.0,), shift_start=10, shift_end=5),
            "shift ends before",
        ),
        (Vehicle(id="v", start_depot="D", capacity=(1.0,), shift_end=float("inf")), "finite"),
        (Vehicle(id="v", start_depot="D", capacity=(1.0,), max_duration=-1), "max_duration"),
        (Vehicle(id="v", start_depot="D", capacity=(1.0,), cost_per_km=-1), "cost_per_km"),
    ],
)
def test_bad_vehicles_are_named(vehicle, match):
    with pytest.raises(ProblemError, match=f"Vehicle v: .*{match}") as error:
        planar_problem([(0, 0), (1, 1)], jobs=[], vehicles=[vehicle, van("ok", capacity=5)])
    assert error.value.kind == "vehicle"


def test_vehicle_dimension_mismatch_and_duplicates_and_empty_fleet():
    with pytest.raises(ProblemError, match="Vehicle b: capacity has 2 dimensions"):
        planar_problem(
            [(0, 0)],
            jobs=[],
            vehicles=[van("a"), Vehicle(id="b", start_depot="D", capacity=(1.0, 1.0))],
        )
    with pytest.raises(ProblemError, match="Order id o1 appears twice"):
        planar_problem([(0, 0), (1, 1)], jobs=[job(1), job(1)], vehicles=[van()])
    with pytest.raises(ProblemError, match="at least one vehicle"):
        planar_problem([(0, 0)], jobs=[], vehicles=[])
    with pytest.raises(ProblemError, match="at least one depot"):
        Problem(
            locations=np.zeros((1, 2)),
            depots=(),
            jobs=(),
            vehicles=(van(),),
            distance_km=np.zeros((1, 1)),
            duration_s=np.zeros((1, 1)),
        )


def test_matrices_must_match_the_locations():
    with pytest.raises(ProblemError, match="distance_km must be 2x2"):
        Problem(
            locations=np.zeros((2, 2)),
            depots=(Depot("D", 0),),
            jobs=(),
            vehicles=(van(),),
            distance_km=np.zeros((3, 3)),
            duration_s=np.zeros((2, 2)),
        )
    with pytest.raises(ProblemError, match="duration_s must be finite and non-negative"):
        Problem(
            locations=np.zeros((2, 2)),
            depots=(Depot("D", 0),),
            jobs=(),
            vehicles=(van(),),
            distance_km=np.zeros((2, 2)),
            duration_s=-np.ones((2, 2)),
        )
    with pytest.raises(ProblemError, match="Unknown coordinate system"):
        Problem.build(
            locations=[(0, 0)],
            depots=[Depot("D", 0)],
            jobs=[],
            vehicles=[van()],
            matrix_provider=EuclideanMatrix(),
            coordinates="mercator",
        )


def test_haversine_paris_london_and_speed():
    distance, duration = HaversineMatrix(speed_kmh=50).matrices(np.array([PARIS, LONDON]))
    # 343.5 km great-circle (Paris Notre-Dame area to London Charing Cross area).
    assert distance[0, 1] == pytest.approx(343.5, abs=1.0)
    assert distance[0, 1] == distance[1, 0]
    assert distance[0, 0] == 0
    assert duration[0, 1] == pytest.approx(distance[0, 1] / 50 * 3600)
    stretched, _ = HaversineMatrix(speed_kmh=50, detour_factor=1.3).matrices(
        np.array([PARIS, LONDON])
    )
    assert stretched[0, 1] == pytest.approx(1.3 * distance[0, 1])


def test_haversine_is_vectorised_and_matches_pairwise_formula():
    rng = np.random.default_rng(3)
    points = np.column_stack([rng.uniform(-60, 60, 30), rng.uniform(-170, 170, 30)])
    distance, _ = HaversineMatrix().matrices(points)
    i, j = 4, 17
    lat1, lon1, lat2, lon2 = np.radians([*points[i], *points[j]])
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    assert distance[i, j] == pytest.approx(2 * 6371.0088 * np.arcsin(np.sqrt(a)))
    assert np.allclose(distance, distance.T)


def test_euclidean_with_dimacs_truncation():
    points = np.array([(0, 0), (3, 4), (1, 1)])
    distance, duration = EuclideanMatrix(speed=2.0).matrices(points)
    assert distance[0, 1] == 5.0 and duration[0, 1] == 2.5
    truncated, _ = EuclideanMatrix(truncate_decimals=1).matrices(points)
    assert truncated[0, 2] == 1.4  # sqrt(2) = 1.414… floors to 1.4
    assert truncated[0, 1] == 5.0


@pytest.mark.parametrize("bad", [dict(speed_kmh=0), dict(detour_factor=-1)])
def test_haversine_rejects_nonsense_settings(bad):
    with pytest.raises(ValueError, match="positive"):
        HaversineMatrix(**bad)
    with pytest.raises(ValueError, match="positive"):
        EuclideanMatrix(speed=0)
