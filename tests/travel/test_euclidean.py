"""Euclidean model: minutes = distance / speed; DIMACS truncation to one decimal."""

import numpy as np
import pytest

from dispatchopt.domain import Location, TravelSpec
from dispatchopt.errors import TravelError
from dispatchopt.travel.euclidean import euclidean_matrix

POINTS = [Location(x=0.0, y=0.0), Location(x=3.0, y=4.0), Location(x=1.0, y=1.0)]


def test_minutes_are_distance_over_speed():
    m = euclidean_matrix(POINTS, TravelSpec(model="euclidean", speed_kmh=1.0))
    assert m.seconds[0, 1] == 300 and m.metres[0, 1] == pytest.approx(5000.0)
    assert m.seconds[0, 2] == round(np.sqrt(2) * 60)
    assert m.seconds.dtype == np.int64 and (np.diag(m.seconds) == 0).all()
    assert (m.seconds == m.seconds.T).all()


def test_dimacs_truncates_distance_to_one_decimal():
    m = euclidean_matrix(POINTS, TravelSpec(model="euclidean", speed_kmh=1.0, dimacs=True))
    assert m.metres[0, 2] == pytest.approx(1400.0)      # sqrt(2) = 1.414... -> 1.4
    assert m.metres[0, 1] == pytest.approx(5000.0)      # exact distances stay
    assert m.seconds[0, 2] == 84


def test_speed_factor_slows():
    m = euclidean_matrix(POINTS, TravelSpec(model="euclidean", speed_kmh=1.0, speed_factor=0.5))
    assert m.seconds[0, 1] == 600


def test_location_without_x_y_is_a_travel_error():
    with pytest.raises(TravelError, match=r"location 1 .*no x/y"):
        euclidean_matrix([POINTS[0], Location(lat=1.0, lon=1.0)], TravelSpec(model="euclidean"))


def test_zero_speed_is_a_travel_error():
    with pytest.raises(TravelError, match=r"travel.speed_kmh: must be a positive number .* got 0"):
        euclidean_matrix(POINTS, TravelSpec(model="euclidean", speed_kmh=0))
