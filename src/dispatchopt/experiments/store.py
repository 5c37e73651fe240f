"""A batch's results directory: plans, run records, ``results.csv`` / ``results.parquet``, all
written atomically (temporary file + rename); and the tidy results table built from the rows.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .runs import Run, plain

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

logger = logging.getLogger("dispatchopt.experiments.batch")   # one logger for the batch machinery

RECORD_FORMAT = "dispatchopt-run/1"
ID_COLUMNS = ("scenario", "variant", "backend", "seed")
"""Columns that identify a run; the table is sorted by them."""
RUN_COLUMNS = ID_COLUMNS + ("time_limit_s", "solution_limit", "status", "wall_s", "error", "n_violations",
                            "objective", "n_jobs", "n_technicians")
"""Columns every table has, in this order, before the KPI columns."""
_TEXT_COLUMNS = ("scenario", "variant", "backend", "status", "error")
_FLOAT_COLUMNS = ("wall_s", "objective", "time_limit_s")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (parents created) through a temporary file and a rename, so a
    reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    number = plain(value)
    if number is not value:
        return number
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def save_outcome(out: Path, run: Run, outcome: dict[str, Any]) -> None:
    """``out/plans/<key>.json`` (when the run made a plan) and ``out/runs/<key>.json``."""
    plan_rel = None
    if outcome.get("plan") is not None:
        plan_rel = f"plans/{run.key}.json"
        write_atomic(out / plan_rel, json.dumps(outcome["plan"], indent=2, ensure_ascii=False,
                                                default=_json_default) + "\n")
    record = {"format": RECORD_FORMAT, "key": run.key, "fingerprint": run.fingerprint,
              "row": outcome["row"], "plan": plan_rel, "violations": outcome.get("violations", []),
              "traceback": outcome.get("traceback")}
    write_atomic(out / "runs" / f"{run.key}.json",
                 json.dumps(record, indent=1, ensure_ascii=False, default=_json_default) + "\n")


def read_record(out: Path, key: str) -> dict[str, Any] | None:
    """The run record of ``key`` under ``out/runs``; ``None`` when absent or unreadable (logged)."""
    path = out / "runs" / f"{key}.json"
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("batch: ignoring unreadable run record %s: %s", path, exc)
        return None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(record.get("row"), dict):
        logger.warning("batch: ignoring %s: not a %s run record", path, RECORD_FORMAT)
        return None
    return record


def results_table(rows: Iterable[dict[str, Any]]) -> "pd.DataFrame":
    """Rows (dicts as produced by the workers or stored in run records) -> the sorted table.

    Dtypes do not depend on which runs failed: text columns are ``string``, columns of whole
    numbers (and missing values) nullable ``Int64``, other numbers ``float64``."""
    import pandas as pd

    rows = list(rows)
    rows.sort(key=lambda r: (str(r.get("scenario")), r.get("variant") is not None, str(r.get("variant") or ""),
                             str(r.get("backend")), int(r.get("seed", 0)), float(r.get("time_limit_s") or 0),
                             int(r.get("solution_limit") or 0)))
    columns = list(RUN_COLUMNS)
    seen = set(columns)
    for row in rows:
        for name in row:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    table = pd.DataFrame(rows, columns=columns)
    for name in columns:   # dtypes from the values, not from which runs happened to fail
        values = [row[name] for row in rows if row.get(name) is not None]
        if name in _TEXT_COLUMNS or (values and all(isinstance(v, str) for v in values)):
            table[name] = table[name].astype("string")
        elif name == "solution_limit" or (values and all(isinstance(v, int) and not isinstance(v, bool)
                                                         for v in values)):
            table[name] = table[name].astype("Int64")
        elif name in _FLOAT_COLUMNS or (values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                       for v in values)):
            table[name] = table[name].astype("float64")
    return table


def load_results(out_dir: str | Path) -> "pd.DataFrame":
    """The table of every run recorded under ``out_dir/runs`` (what ``results.csv`` holds)."""
    out = Path(out_dir)
    rows = []
    for path in sorted((out / "runs").glob("*.json")):
        record = read_record(out, path.stem)
        if record is not None:
            rows.append(record["row"])
    return results_table(rows)


def rewrite_results(out: Path) -> None:
    """``results.csv`` and (with pyarrow) ``results.parquet`` from every record under ``out/runs``."""
    table = load_results(out)
    write_atomic(out / "results.csv", table.to_csv(index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        logger.warning("batch: pyarrow is not installed; %s not written (pip install 'dispatchopt[batch]')",
                       out / "results.parquet")
        return
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".results.parquet.", suffix=".tmp")
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, out / "results.parquet")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
