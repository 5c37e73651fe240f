"""travel.coords: great-circle km (geopy's formula, vectorised), coordinate reading, euclidean distance."""

import numpy as np
import pytest
from geopy.distance import great_circle

from dispatchopt.domain import Location
from dispatchopt.errors import TravelError
from dispatchopt.travel.coords import euclidean_distance, great_circle_km, lat_lon_array, xy_array

QINGDAO = [(36.0671, 120.3826), (36.0986, 120.4690), (36.3000, 120.1000)]


def test_great_circle_km_matches_geopy_for_every_pair():
    km = great_circle_km(np.array(QINGDAO), np.array(QINGDAO[::-1]))
    assert km.shape == (3, 3)
    for i, a in enumerate(QINGDAO):
        for j, b in enumerate(QINGDAO[::-1]):
            assert km[i, j] == pytest.approx(great_circle(a, b).km, rel=1e-12, abs=1e-9)
    assert great_circle_km(np.array(QINGDAO[:1]), np.array(QINGDAO[:1]))[0, 0] == 0.0


def test_lat_lon_array_reads_degrees_and_names_a_bad_location():
    locs = [Location(lat=a, lon=b) for a, b in QINGDAO]
    assert lat_lon_array(locs).tolist() == [list(p) for p in QINGDAO]
    with pytest.raises(TravelError, match=r"travel.model graph: location 1 .* has no lat/lon"):
        lat_lon_array([locs[0], Location(x=1.0, y=2.0)], "graph")
    with pytest.raises(TravelError, match=r"lat 95.0 must be in \[-90, 90\]"):
        lat_lon_array([Location(lat=95.0, lon=0.0)])
    with pytest.raises(TravelError, match="non-numeric lat/lon"):
        lat_lon_array([Location(lat="north", lon=0.0)])


def test_xy_array_and_euclidean_distance():
    coords = xy_array([Location(x=0, y=0), Location(x=3, y=4)])
    assert euclidean_distance(coords, coords).tolist() == [[0.0, 5.0], [5.0, 0.0]]
    odd = xy_array([Location(x=0, y=0), Location(x=1, y=1)])
    assert euclidean_distance(odd, odd, dimacs=True)[0, 1] == pytest.approx(1.4)   # 1.41421 truncated
    with pytest.raises(TravelError, match=r"location 0 .* has no x/y"):
        xy_array([Location(lat=1.0, lon=1.0)])
    with pytest.raises(TravelError, match="non-finite x/y"):
        xy_array([Location(x=float("inf"), y=0.0)])
