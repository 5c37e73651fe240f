"""The table form of a scenario: ``scenario.yaml`` + ``technicians.csv`` + ``jobs.csv``.

A directory (or the path of its ``scenario.yaml``) holds the scenario-level keys in
``scenario.yaml`` and one row per technician / job in the CSV files, nested keys flattened:
``start_lat``, ``shift_start``, ``window_end``, ``location_node``; ``skills`` as
``plumbing:2;electrical:1`` (a skill without ``:level`` is level 1), ``certificates`` as
``electrical:2027-03-31;gas:2026-12-01``, ``breaks`` as ``12:00-13:00/60;...``
(earliest-latest/minutes), ``pinned_to`` as ``T01;T02``, several shifts as ``shift_start``
``08:30;13:30`` with ``shift_end`` ``12:00;17:30``. Either list may instead stay in
``scenario.yaml`` when its CSV file is absent.

:func:`read_tables` turns the form into the same mapping a YAML file gives, plus the place of
every row (``technicians.csv: row 4 (id 'T03').shift_start``, numbered like a spreadsheet, the
header is row 1), for :mod:`.load` to validate.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from .fields import At, brief, close_match
from .files import read_mapping

__all__ = ["JOB_COLUMNS", "SCENARIO_FILES", "TABLE_FILES", "TECH_COLUMNS", "read_table", "read_tables"]

SCENARIO_FILES = ("scenario.yaml", "scenario.yml", "scenario.json")

_NUM, _TEXT, _BOOL, _SKILLS, _CERTS, _BREAKS, _LIST = "num", "text", "bool", "skills", "certs", "breaks", "list"
_LOCATION_COLUMNS = {"lat": _NUM, "lon": _NUM, "x": _NUM, "y": _NUM, "node": _TEXT, "id": _TEXT}
TECH_COLUMNS: dict[str, str] = {
    "id": _TEXT, "skills": _SKILLS, "certificates": _CERTS, "shift_start": _LIST, "shift_end": _LIST,
    "breaks": _BREAKS,
    **{f"start_{k}": kind for k, kind in _LOCATION_COLUMNS.items()},
    **{f"end_{k}": kind for k, kind in _LOCATION_COLUMNS.items()},
    "max_jobs": _NUM, "max_work_minutes": _NUM, "capacity": _NUM, "trainee": _BOOL,
    "max_overtime_minutes": _NUM,
}
JOB_COLUMNS: dict[str, str] = {
    "id": _TEXT, "category": _TEXT, "skills": _SKILLS, "duration_minutes": _NUM, "received_at": _TEXT,
    "due": _TEXT, "window_start": _TEXT, "window_end": _TEXT, "crew_size": _NUM, "demand": _NUM,
    "pinned_to": _LIST, "dispatchable": _BOOL,
    **{f"location_{k}": kind for k, kind in _LOCATION_COLUMNS.items()},
}
# CSV file name -> (the scenario key it fills, its columns)
TABLE_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "technicians.csv": ("technicians", TECH_COLUMNS), "jobs.csv": ("jobs", JOB_COLUMNS)}
_TIME_PART = r"(?:\d{4}-\d{2}-\d{2}[T ])?\d{1,2}:\d{2}(?::\d{2})?"
_BREAK_CELL = re.compile(rf"^\s*({_TIME_PART})\s*-\s*({_TIME_PART})\s*/\s*([^/]+?)\s*$")


def read_tables(folder: Path, scenario_file: Path) -> tuple[dict[str, Any], dict[str, list[At]]]:
    """The scenario mapping of a table-form folder, and the place of each CSV row by list key.

    Raises
    ------
    ScenarioError
        A file is missing or malformed, or a list is given both in ``scenario_file`` and as CSV.
    """
    data = dict(read_mapping(scenario_file))
    item_ats: dict[str, list[At]] = {}
    for file_name, (key, columns) in TABLE_FILES.items():
        csv_path = folder / file_name
        if csv_path.is_file():
            if key in data:
                raise ScenarioError(f"{scenario_file}: {key}: given both here and in {csv_path} "
                                    f"(keep one)", source=str(scenario_file), field=key)
            data[key], item_ats[key] = read_table(csv_path, columns)
        elif key not in data:
            raise ScenarioError(f"{csv_path}: file not found (the table form needs {file_name} "
                                f"beside {scenario_file.name}, or '{key}:' in it)", source=str(csv_path))
    return data, item_ats


def _check_header(path: Path, header: list[str], columns: Mapping[str, str]) -> None:
    for name in header:
        if name not in columns:
            close = close_match(name, columns) if len(name) <= 100 else None
            hint = f"did you mean {close!r}?" if close else f"expected: {', '.join(columns)}"
            raise ScenarioError(f"{path}: row 1: unknown column {brief(name)} ({hint})",
                                source=str(path), field=name, value=name)
        if header.count(name) > 1:
            raise ScenarioError(f"{path}: row 1: column {brief(name)} appears twice", source=str(path),
                                field=name, value=name)


def read_table(path: Path, columns: Mapping[str, str]) -> tuple[list[dict], list[At]]:
    """Rows of a CSV table as nested scenario mappings, with the place of each row."""
    rows: list[dict] = []
    ats: list[At] = []
    source = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ScenarioError(f"{path}: the file is empty (expected a header row with columns "
                                    f"{', '.join(columns)})", source=source)
            header = [name.strip() for name in header]
            _check_header(path, header, columns)
            while True:
                first_line = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                if not any(cell.strip() for cell in cells):
                    continue
                at = At(source, f"row {first_line}", item=True, flat=True)
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    raise at.error(f"{len(cells)} cells but {len(header)} columns", cells)
                values = {name: cell.strip() for name, cell in zip(header, cells) if cell.strip()}
                row_at = at.with_id(values["id"]) if "id" in values else at
                rows.append(_nest_row(values, columns, row_at))
                ats.append(at)
    except csv.Error as exc:
        raise ScenarioError(f"{path}: row {reader.line_num}: not valid CSV: {exc}", source=source) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}", source=source) from None
    return rows, ats


def _cell_number(text: str) -> int | float | str:
    """A numeric cell as a number; anything else (or a number of over 100 characters) stays text
    (the validator names it)."""
    if len(text) > 100:
        return text
    for convert in (int, float):
        try:
            value = convert(text)
        except ValueError:
            continue
        return value if math.isfinite(value) else text     # "1e400", "inf": named as written
    return text


def _cell_bool(text: str) -> bool | str:
    lowered = text.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    return text


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _cell_skills(text: str, at: At) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for part in _split(text):
        skill, sep, level = part.partition(":")
        skill = skill.strip()
        if skill in value:
            raise at.error(f"skill {brief(skill)} is listed twice in {brief(text)}", text)
        value[skill] = _cell_number(level.strip()) if sep else 1
    return value


def _cell_certificates(text: str, at: At) -> dict[str, str]:
    value: dict[str, str] = {}
    for part in _split(text):
        skill, sep, expiry = part.partition(":")
        if not sep:
            raise at.error(f"expected skill:YYYY-MM-DD entries separated by ';', found {brief(part)}", text)
        value[skill.strip()] = expiry.strip()
    return value


def _cell_breaks(text: str, at: At) -> list[dict[str, Any]]:
    value = []
    for part in _split(text):
        match = _BREAK_CELL.match(part)
        if not match:
            raise at.error(f"expected earliest-latest/minutes like 12:00-13:00/60, found {brief(part)}", text)
        value.append({"earliest": match.group(1), "latest": match.group(2),
                      "minutes": _cell_number(match.group(3))})
    return value


def _cell_value(kind: str, text: str, at: At) -> Any:
    """A cell's text as the scenario value of a column of ``kind``."""
    if kind == _NUM:
        return _cell_number(text)
    if kind == _BOOL:
        return _cell_bool(text)
    if kind == _SKILLS:
        return _cell_skills(text, at)
    if kind == _CERTS:
        return _cell_certificates(text, at)
    if kind == _BREAKS:
        return _cell_breaks(text, at)
    if kind == _LIST:
        return _split(text)
    return text


def _shift_cells(values: Mapping[str, str], at: At) -> dict | list | None:
    """The ``shift`` value of the ``shift_start`` / ``shift_end`` cells (None when both are empty)."""
    starts = _split(values.get("shift_start", ""))
    ends = _split(values.get("shift_end", ""))
    if not starts and not ends:
        return None
    if len(starts) != len(ends) and max(len(starts), len(ends)) > 1:
        raise at.child("shift").error(
            f"{len(starts)} shift_start times but {len(ends)} shift_end times", values.get("shift_start"))
    if len(starts) <= 1 and len(ends) <= 1:
        shift = {}
        if starts:
            shift["start"] = starts[0]
        if ends:
            shift["end"] = ends[0]
        return shift
    return [{"start": s, "end": e} for s, e in zip(starts, ends)]


def _nest_row(values: Mapping[str, str], columns: Mapping[str, str], at: At) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, text in values.items():
        value = _cell_value(columns[name], text, at.child(name))
        prefix, _, sub = name.partition("_")
        if prefix in ("start", "end", "location") and sub in _LOCATION_COLUMNS:
            row.setdefault(prefix, {})[sub] = value
        elif prefix == "window":
            row.setdefault("window", {})[sub] = value
        elif name == "pinned_to":
            row[name] = value[0] if len(value) == 1 else value
        elif name not in ("shift_start", "shift_end"):
            row[name] = value
    shift = _shift_cells(values, at)
    if shift is not None:
        row["shift"] = shift
    return row
