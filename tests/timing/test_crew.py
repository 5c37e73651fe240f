"""timing.crew.pick_crew: the one crew pick (greedy, construction, live)."""

from __future__ import annotations

from dispatchopt.timing.crew import pick_crew


def test_earliest_lead_then_earliest_others():
    starts = {"A": 30, "B": 10, "C": 20, "D": 10}
    assert pick_crew(starts, leads={"A", "C"}, pins=[], k=2) == ["C", "B"]


def test_pins_first_and_a_missing_pin_fails():
    starts = {"A": 30, "B": 10, "C": 20}
    assert pick_crew(starts, leads={"B"}, pins=["A"], k=2) == ["A", "B"]
    assert pick_crew(starts, leads={"B"}, pins=["Z"], k=2) is None


def test_no_lead_or_too_few():
    assert pick_crew({"A": 0, "B": 0}, leads=set(), pins=[], k=2) is None
    assert pick_crew({"A": 0}, leads={"A"}, pins=[], k=2) is None
    # two pins, neither leads, and the crew is only two: no room for a lead
    assert pick_crew({"A": 0, "B": 0, "C": 0}, leads={"C"}, pins=["A", "B"], k=2) is None


def test_trainee_first_on_equal_start_then_tiebreak():
    starts = {"L": 0, "X": 5, "T": 5}
    assert pick_crew(starts, leads={"L"}, pins=[], k=2, trainees={"T"}) == ["L", "T"]
    rank = {"X": 0, "Y": 1}
    starts = {"L": 0, "X": 5, "Y": 5}
    assert pick_crew(starts, leads={"L"}, pins=[], k=2, tiebreak=lambda t: -rank.get(t, 0)) == ["L", "Y"]
