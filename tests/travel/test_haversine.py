"""Haversine model: geopy's great-circle km x circuity at speed x speed_factor, vectorised."""

import numpy as np
import pytest
from geopy.distance import great_circle

from dispatchopt.domain import Location, TravelSpec
from dispatchopt.errors import TravelError
from dispatchopt.travel.haversine import haversine_matrix

QINGDAO = [
    Location(lat=36.0671, lon=120.3826),
    Location(lat=36.0600, lon=120.3300),
    Location(lat=36.3000, lon=120.4500),
    Location(lat=35.9800, lon=120.1800),
]
FAR = [
    Location(lat=51.5074, lon=-0.1278),     # London
    Location(lat=-33.8688, lon=151.2093),   # Sydney
    Location(lat=0.0, lon=179.9),           # across the antimeridian
    Location(lat=0.0, lon=-179.9),
    Location(lat=89.9, lon=0.0),
]


@pytest.mark.parametrize("locations", [QINGDAO, FAR])
def test_distance_matches_geopy_great_circle_times_circuity(locations):
    spec = TravelSpec(model="haversine", circuity=1.3, speed_kmh=25)
    m = haversine_matrix(locations, spec)
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i == j:
                continue
            expected_km = great_circle((a.lat, a.lon), (b.lat, b.lon)).km * 1.3
            assert m.metres[i, j] / 1000 == pytest.approx(expected_km, rel=1e-6)


def test_seconds_are_road_km_over_speed_rounded():
    spec = TravelSpec(model="haversine", circuity=1.2, speed_kmh=30)
    m = haversine_matrix(QINGDAO, spec)
    a, b = QINGDAO[0], QINGDAO[2]
    km = great_circle((a.lat, a.lon), (b.lat, b.lon)).km * 1.2
    assert m.seconds[0, 2] == round(km / 30 * 3600)
    assert m.travel_s(a, b) == m.seconds[0, 2]


def test_shape_dtype_zero_diagonal_and_symmetry():
    m = haversine_matrix(QINGDAO, TravelSpec())
    assert m.seconds.shape == m.metres.shape == (4, 4)
    assert m.seconds.dtype == np.int64 and m.metres.dtype == np.float64
    assert (np.diag(m.seconds) == 0).all() and (np.diag(m.metres) == 0).all()
    assert (m.seconds == m.seconds.T).all() and (m.metres == m.metres.T).all()
    assert (m.seconds[~np.eye(4, dtype=bool)] > 0).all()


def test_speed_factor_below_one_slows_every_trip():
    fast = haversine_matrix(QINGDAO, TravelSpec(speed_kmh=25))
    slow = haversine_matrix(QINGDAO, TravelSpec(speed_kmh=25, speed_factor=0.5))
    assert np.abs(slow.seconds - 2 * fast.seconds).max() <= 1
    assert (slow.metres == fast.metres).all()


def test_same_point_twice_is_zero_apart():
    locs = [Location(lat=36.0, lon=120.0), Location(lat=36.0, lon=120.0, id="other")]
    m = haversine_matrix(locs, TravelSpec())
    assert (m.seconds == 0).all()


def test_empty_location_list():
    m = haversine_matrix([], TravelSpec())
    assert m.seconds.shape == (0, 0)


def test_location_without_lat_lon_is_a_travel_error():
    with pytest.raises(TravelError, match=r"location 1 .*no lat/lon"):
        haversine_matrix([QINGDAO[0], Location(x=1.0, y=2.0)], TravelSpec())


def test_latitude_out_of_range_is_a_travel_error():
    with pytest.raises(TravelError, match=r"lat 91.0 must be in \[-90, 90\]"):
        haversine_matrix([Location(lat=91.0, lon=0.0)], TravelSpec())


@pytest.mark.parametrize("field, value", [("speed_kmh", 0), ("speed_factor", -1.0), ("circuity", float("nan"))])
def test_non_positive_spec_value_is_a_travel_error(field, value):
    with pytest.raises(TravelError, match=f"travel.{field}"):
        haversine_matrix(QINGDAO, TravelSpec(**{field: value}))


def test_two_thousand_locations_build():
    rng = np.random.default_rng(7)
    locs = [Location(lat=float(a), lon=float(b))
            for a, b in zip(36 + rng.random(2000) * 0.4, 120 + rng.random(2000) * 0.4)]
    m = haversine_matrix(locs, TravelSpec())
    assert m.seconds.shape == (2000, 2000)
    i, j = 123, 1789
    km = great_circle((locs[i].lat, locs[i].lon), (locs[j].lat, locs[j].lon)).km * 1.3
    assert m.metres[i, j] / 1000 == pytest.approx(km, rel=1e-6)
