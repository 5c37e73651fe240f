"""Matrix travel: a CSV of given travel times between location ids.

The file at ``spec.matrix`` has a header row with the columns ``from,to,minutes`` and
optionally ``km``; any other column is a :class:`TravelError` naming it (a typo must not be
silently ignored). Each row gives the travel from location id ``from`` to location id ``to``
(``Location.id``; the loader defaults it to the job or technician id).

- ``seconds = round(minutes x 60 / spec.speed_factor)``; ``metres = km x 1000``. Without a
  ``km`` column, or with an empty ``km`` cell, the distance is unknown and counts 0.
- Symmetric fill: if ``(a, b)`` is given and ``(b, a)`` is not, ``(b, a)`` takes the values of
  ``(a, b)``. Give both rows for an asymmetric pair.
- The diagonal is 0 (a ``from == to`` row is ignored).
- A pair of the problem's ids with neither ``(a, b)`` nor ``(b, a)`` is a :class:`TravelError`
  naming both ids and the file. Rows naming ids the problem does not use are ignored.
- The same ``(from, to)`` twice with different values is a :class:`TravelError` naming the lines.
- Ids are compared as text, with surrounding spaces stripped.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..domain import Location, TravelSpec
from ..errors import TravelError
from .base import TravelMatrix

REQUIRED_COLUMNS = ("from", "to", "minutes")
OPTIONAL_COLUMNS = ("km",)
_SHOW_MISSING = 5


def _read_csv(path: str | None) -> pd.DataFrame:
    if not path:
        raise TravelError("travel.matrix: model matrix needs a CSV file (travel.matrix), none given")
    if not Path(path).is_file():
        raise TravelError(f"travel.matrix: CSV file {path} not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except Exception as exc:  # pandas raises parser, decode and empty-data errors
        raise TravelError(f"travel.matrix: cannot read CSV file {path}: {type(exc).__name__}: {exc}") from exc
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise TravelError(f"travel.matrix {path}: unknown column {unknown[0]!r} "
                          f"(expected from,to,minutes[,km]; found {','.join(columns)})")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise TravelError(f"travel.matrix {path}: missing column {missing[0]!r} "
                          f"(expected from,to,minutes[,km]; found {','.join(columns)})")
    if len(set(columns)) != len(columns):
        raise TravelError(f"travel.matrix {path}: a column appears twice ({','.join(columns)})")
    return frame


def _numbers(frame: pd.DataFrame, column: str, path: str, *, blank_ok: bool) -> np.ndarray:
    text = frame[column].str.strip()
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
    blank = (text == "").to_numpy()
    bad = ~np.isfinite(values) | (values < 0)
    if blank_ok:
        bad &= ~blank
        values = np.where(blank, 0.0, values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TravelError(f"travel.matrix {path}: line {row + 2} (from {frame['from'].iat[row]!r} to "
                          f"{frame['to'].iat[row]!r}): {column} must be a non-negative number, "
                          f"got {frame[column].iat[row]!r}")
    return values


def csv_matrix(locations: list[Location], spec: TravelSpec) -> TravelMatrix:
    """Travel times read from the CSV at ``spec.matrix`` (see the module doc)."""
    factor = spec.speed_factor
    try:
        factor = float(factor)
    except (TypeError, ValueError):
        factor = math.nan
    if not math.isfinite(factor) or factor <= 0:
        raise TravelError(f"travel.speed_factor: must be a positive number, got {spec.speed_factor!r}")

    ids: list[str] = []
    for i, loc in enumerate(locations):
        if loc.id is None or str(loc.id).strip() == "":
            raise TravelError(f"travel.model matrix: location {i} ({loc}) has no id (a row id of the travel CSV)")
        ids.append(str(loc.id).strip())
    distinct = list(dict.fromkeys(ids))
    id_index = {name: k for k, name in enumerate(distinct)}
    loc_k = np.asarray([id_index[name] for name in ids], dtype=np.int64)

    path = spec.matrix
    frame = _read_csv(path)
    frame["from"] = frame["from"].str.strip()
    frame["to"] = frame["to"].str.strip()
    minutes = _numbers(frame, "minutes", path, blank_ok=False)
    km = _numbers(frame, "km", path, blank_ok=True) if "km" in frame.columns else np.zeros(len(frame))

    values = pd.DataFrame({"from": frame["from"], "to": frame["to"], "minutes": minutes, "km": km})
    dup = values.duplicated(["from", "to"], keep=False).to_numpy()
    if dup.any():
        conflicts = values[dup].groupby(["from", "to"], sort=False).nunique()
        conflicts = conflicts[(conflicts["minutes"] > 1) | (conflicts["km"] > 1)]
        if len(conflicts):
            a, b = conflicts.index[0]
            lines = [int(r) + 2 for r in np.flatnonzero(dup & (values["from"] == a).to_numpy()
                                                        & (values["to"] == b).to_numpy())]
            raise TravelError(f"travel.matrix {path}: from {a!r} to {b!r} is given twice with different "
                              f"values (lines {', '.join(map(str, lines))})")

    fi = values["from"].map(id_index)
    ti = values["to"].map(id_index)
    used = (fi.notna() & ti.notna()).to_numpy()
    fi = fi.to_numpy()[used].astype(np.int64)
    ti = ti.to_numpy()[used].astype(np.int64)
    k = len(distinct)
    minutes_k = np.zeros((k, k), dtype=float)
    km_k = np.zeros((k, k), dtype=float)
    given = np.zeros((k, k), dtype=bool)
    minutes_k[fi, ti] = minutes[used]
    km_k[fi, ti] = km[used]
    given[fi, ti] = True

    fill = ~given & given.T                      # (a, b) missing, (b, a) given: symmetric fill
    minutes_k[fill] = minutes_k.T[fill]
    km_k[fill] = km_k.T[fill]
    given |= fill
    np.fill_diagonal(minutes_k, 0.0)
    np.fill_diagonal(km_k, 0.0)
    np.fill_diagonal(given, True)
    if not given.all():
        missing = np.argwhere(~given)
        missing = missing[missing[:, 0] < missing[:, 1]]  # each unordered pair once
        shown = "; ".join(f"{distinct[a]!r} and {distinct[b]!r}" for a, b in missing[:_SHOW_MISSING])
        more = f" (and {len(missing) - _SHOW_MISSING} more)" if len(missing) > _SHOW_MISSING else ""
        a, b = missing[0]
        raise TravelError(f"travel.matrix {path}: no row from {distinct[a]!r} to {distinct[b]!r} nor from "
                          f"{distinct[b]!r} to {distinct[a]!r}; {len(missing)} pair(s) missing: {shown}{more}")

    seconds_k = np.rint(minutes_k * 60.0 / factor).astype(np.int64)
    seconds = seconds_k[np.ix_(loc_k, loc_k)]
    metres = (km_k * 1000.0)[np.ix_(loc_k, loc_k)]
    return TravelMatrix(locations=tuple(locations), seconds=seconds, metres=metres)
