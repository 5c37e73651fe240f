"""Matrix model: travel times read from a from,to,minutes[,km] CSV between location ids."""

import numpy as np
import pytest

from dispatchopt.domain import Location, TravelSpec
from dispatchopt.errors import TravelError
from dispatchopt.travel.matrix import csv_matrix


def write(tmp_path, text, name="travel.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def spec_for(path, **kw) -> TravelSpec:
    return TravelSpec(model="matrix", matrix=path, **kw)


def ids(*names):
    return [Location(id=n) for n in names]


FULL = """from,to,minutes,km
T01,J1,10,4.2
J1,T01,12,4.5
T01,J2,20,8.0
J2,T01,20,8.0
J1,J2,5.5,2.0
J2,J1,6,2.1
"""


def test_reads_minutes_and_km(tmp_path):
    m = csv_matrix(ids("T01", "J1", "J2"), spec_for(write(tmp_path, FULL)))
    assert m.seconds.tolist() == [[0, 600, 1200], [720, 0, 330], [1200, 360, 0]]
    assert m.metres[0, 1] == pytest.approx(4200.0) and m.metres[1, 0] == pytest.approx(4500.0)
    assert m.seconds.dtype == np.int64 and m.metres.dtype == np.float64
    assert (np.diag(m.metres) == 0).all()


def test_a_pair_given_one_way_is_filled_symmetrically(tmp_path):
    path = write(tmp_path, "from,to,minutes,km\nA,B,7,3\nB,C,1,0.5\nC,A,2,1\nA,C,4,2\n")
    m = csv_matrix(ids("A", "B", "C"), spec_for(path))
    assert m.seconds[0, 1] == m.seconds[1, 0] == 420
    assert m.metres[1, 0] == pytest.approx(3000.0)
    assert m.seconds[2, 0] == 120 and m.seconds[0, 2] == 240      # both given: asymmetric kept


def test_missing_pair_is_a_travel_error_naming_both_ids_and_the_file(tmp_path):
    path = write(tmp_path, "from,to,minutes\nA,B,7\n")
    with pytest.raises(TravelError, match=r"travel.csv: no row from 'A' to 'C' nor from 'C' to 'A'; 2 pair"):
        csv_matrix(ids("A", "B", "C"), spec_for(path))


def test_without_km_distances_are_zero_and_speed_factor_divides_minutes(tmp_path):
    path = write(tmp_path, "from,to,minutes\nA,B,10\n")
    m = csv_matrix(ids("A", "B"), spec_for(path, speed_factor=0.5))
    assert m.seconds[0, 1] == 1200 and m.metres[0, 1] == 0.0


def test_blank_km_cell_counts_zero(tmp_path):
    path = write(tmp_path, "from,to,minutes,km\nA,B,10,\nB,A,10,3\n")
    m = csv_matrix(ids("A", "B"), spec_for(path))
    assert m.metres[0, 1] == 0.0 and m.metres[1, 0] == pytest.approx(3000.0)


def test_diagonal_rows_are_ignored_and_unused_ids_are_fine(tmp_path):
    path = write(tmp_path, "from,to,minutes\nA,A,99\nA,B,1\nX,Y,3\n")
    m = csv_matrix(ids("A", "B"), spec_for(path))
    assert m.seconds.tolist() == [[0, 60], [60, 0]]


def test_locations_sharing_an_id_share_a_row(tmp_path):
    path = write(tmp_path, "from,to,minutes\nA,B,1\n")
    locs = [Location(id="A", lat=1.0, lon=1.0), Location(id="B"), Location(id="A")]
    m = csv_matrix(locs, spec_for(path))
    assert m.seconds.tolist() == [[0, 60, 0], [60, 0, 60], [0, 60, 0]]


def test_ids_and_header_are_stripped_and_bom_tolerated(tmp_path):
    path = tmp_path / "travel.csv"
    path.write_bytes("\ufefffrom, to, minutes\n A , B ,2\n".encode("utf-8"))
    assert csv_matrix(ids("A", "B"), spec_for(str(path))).seconds[1, 0] == 120


def test_conflicting_duplicate_rows_are_a_travel_error(tmp_path):
    path = write(tmp_path, "from,to,minutes\nA,B,1\nB,A,1\nA,B,2\n")
    with pytest.raises(TravelError, match=r"from 'A' to 'B' is given twice with different values \(lines 2, 4\)"):
        csv_matrix(ids("A", "B"), spec_for(path))


def test_identical_duplicate_rows_are_accepted(tmp_path):
    path = write(tmp_path, "from,to,minutes\nA,B,1\nA,B,1\n")
    assert csv_matrix(ids("A", "B"), spec_for(path)).seconds[0, 1] == 60


@pytest.mark.parametrize("text, match", [
    ("from,to,minutes,kms\nA,B,1,2\n", r"unknown column 'kms'"),
    ("from,to,mins\nA,B,1\n", r"unknown column 'mins'"),
    ("from,minutes\nA,1\n", r"missing column 'to'"),
    ("from,to,minutes\nA,B,soon\n", r"line 2 \(from 'A' to 'B'\): minutes must be a non-negative number, got 'soon'"),
    ("from,to,minutes\nA,B,\n", r"line 2 .*minutes must be a non-negative number, got ''"),
    ("from,to,minutes\nA,B,1\nB,A,-3\n", r"line 3 .*got '-3'"),
    ("from,to,minutes,km\nA,B,1,far\n", r"km must be a non-negative number, got 'far'"),
    ("", r"cannot read CSV file"),
])
def test_bad_files_are_travel_errors(tmp_path, text, match):
    with pytest.raises(TravelError, match=match):
        csv_matrix(ids("A", "B"), spec_for(write(tmp_path, text)))


def test_missing_file_and_location_without_id(tmp_path):
    with pytest.raises(TravelError, match=r"none given"):
        csv_matrix(ids("A"), TravelSpec(model="matrix"))
    with pytest.raises(TravelError, match=r"nope.csv not found"):
        csv_matrix(ids("A"), spec_for(str(tmp_path / "nope.csv")))
    path = write(tmp_path, "from,to,minutes\nA,B,1\n")
    with pytest.raises(TravelError, match=r"location 1 .*has no id"):
        csv_matrix([Location(id="A"), Location(lat=1.0, lon=2.0)], spec_for(path))


def test_empty_location_list(tmp_path):
    assert csv_matrix([], spec_for(write(tmp_path, "from,to,minutes\n"))).seconds.shape == (0, 0)
