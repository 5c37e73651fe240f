"""The page around the figures: one plotly.js copy in the head, sections, HTML tables.

Every report is one self-contained file: the plotly.js bundle is inlined once in ``<head>``
and each figure is a ``<div>`` drawn by a small script, so nothing is fetched from the network
(the report opens on an offline control-room PC).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 16px 24px;
       color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 18px; margin: 28px 0 8px 0; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 13px; margin-bottom: 10px; }
.ok { color: #1a7f37; font-weight: 600; }
.bad { color: #c62828; font-weight: 600; }
table.data { border-collapse: collapse; font-size: 12px; margin: 4px 0 12px 0; }
table.data th, table.data td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
table.data th { background: #f4f4f4; position: sticky; top: 0; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-height: 420px; overflow: auto; display: inline-block; }
.side { display: flex; gap: 24px; align-items: flex-start; }
.scroll.tall { flex: 1 1 360px; min-width: 0; max-height: 1540px; }
.note { color: #666; font-size: 12px; }
"""

PLOTLY_CONFIG = {"displaylogo": False, "responsive": False,
                 "modeBarButtonsToRemove": ["sendDataToCloud"]}


def esc(value: Any) -> str:
    """HTML-escaped text of a value."""
    return html.escape("" if value is None else str(value))


def figure_div(figure: Any, div_id: str) -> str:
    """The ``<div>`` and drawing script of a plotly figure, without plotly.js (the page has it)."""
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                          config=PLOTLY_CONFIG)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, table_id: str | None = None,
          numeric: Sequence[bool] | None = None) -> str:
    """A plain HTML table; ``numeric[i]`` right-aligns column i."""
    numeric = list(numeric) if numeric is not None else [False] * len(header)
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{esc(c)}</td>' if numeric[i] else f"<td>{esc(c)}</td>"
                        for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (f'<table class="data"{ident}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def page(title: str, body: str) -> str:
    """A complete HTML document with plotly.js inlined once in the head."""
    from plotly.offline import get_plotlyjs

    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n"
            f"<script type=\"text/javascript\">{get_plotlyjs()}</script>\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n")


def number(value: Any, digits: int = 2) -> str:
    """A figure for a table: integers as they are, floats rounded, missing as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if f != f:      # NaN
        return "-"
    return f"{f:.{digits}f}".rstrip("0").rstrip(".") if f % 1 else f"{f:.0f}"
