"""The plan report of the bundled city day in a real headless browser (Chromium).

Skipped, with the reason, where ``/usr/bin/chromium`` is absent (CI installs the Debian package
``chromium``). Checks: no console message at all (plotly logs nothing on a good page; a
JavaScript error shows up there), the Gantt, map and KPI figures actually drawn into their
containers (``--dump-dom`` after the scripts ran), and a screenshot that is not blank.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.report import SECTION_IDS, plan_report
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve

CHROMIUM = Path("/usr/bin/chromium")
CITY_DAY = Path(__file__).resolve().parents[2] / "scenarios" / "city_day.yaml"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0")
WINDOW = (1400, 2400)
FIGURES = ("gantt-figure", "route-map-figure", "kpi-panels-figure")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason=f"{CHROMIUM} not installed (apt-get install -y chromium)")]


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on ``page`` with its own profile folder; stdout/stderr as text."""
    argv = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)


def console_lines(stderr: str) -> list[str]:
    """The page's console messages (``INFO:CONSOLE`` lines) in Chromium's log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> np.ndarray:
    """PNG scanline filters undone (types 0-4, 8-bit samples), as a (height, width, bpp) array."""
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:     # Sub: a running sum per channel
            cur = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:     # Up
            cur = (line + prev) % 256
        else:               # Average, Paeth: each byte depends on the one decoded before it
            cur = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                a = int(cur[i - bpp]) if i >= bpp else 0
                b = int(prev[i])
                c = int(prev[i - bpp]) if i >= bpp else 0
                if kind == 3:
                    cur[i] = (line[i] + (a + b) // 2) % 256
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    cur[i] = (line[i] + pred) % 256
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)


def read_png(path: Path) -> np.ndarray:
    """The RGB pixels of a PNG: with PIL when installed, else decoded here with zlib."""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "8-bit RGB(A), not interlaced"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    pixels = _unfilter(zlib.decompress(idat), width, height, 3 if colour == 2 else 4)
    return pixels[:, :, :3]


@pytest.fixture(scope="module")
def city_report(tmp_path_factory) -> Path:
    problem = load_scenario(CITY_DAY)
    plan = solve(problem, backend="greedy").plan
    assert verify(problem, plan) == []
    path = tmp_path_factory.mktemp("report") / "city_day.html"
    path.write_text(plan_report(problem, plan), encoding="utf-8")
    return path


def test_city_day_report_renders_every_panel_without_console_errors(city_report, tmp_path):
    run = chromium(city_report, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_lines(run.stderr) == []
    dom = run.stdout
    for section in SECTION_IDS:
        assert f'id="{section}"' in dom, section
    for figure in FIGURES:      # plotly drew into the container (its plot-container and SVG)
        assert re.search(rf'id="{figure}"[^>]*>\s*<div class="plot-container', dom), figure
    assert dom.count('class="main-svg"') >= 2 * len(FIGURES)
    assert len(re.findall(r'class="trace scatter', dom)) >= 10      # board and map traces
    assert 'id="unassigned-table"' in dom


def test_city_day_screenshot_is_not_blank(city_report, tmp_path):
    shot = tmp_path / "city_day.png"
    run = chromium(city_report, tmp_path / "profile", f"--screenshot={shot}",
                   f"--window-size={WINDOW[0]},{WINDOW[1]}")
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    assert console_lines(run.stderr) == []
    pixels = read_png(shot)
    assert pixels.shape == (WINDOW[1], WINDOW[0], 3)
    grey = pixels.mean(axis=2)
    assert grey.std() > 20, "an almost uniform picture"
    assert (grey < 235).mean() > 0.05, "less than 5 % of the picture is drawn"
    board = pixels[700:1600].reshape(-1, 3)       # the Gantt board: service colours, travel, breaks
    colours = np.unique(board // 32, axis=0)
    assert len(colours) >= 12, f"only {len(colours)} colour classes where the board should be"


def test_the_checks_can_fail_a_console_error_and_the_png_reader_without_pil(tmp_path):
    """On a tiny page with a script error: the console check sees it, and the zlib fallback
    decodes the screenshot exactly as PIL does."""
    pil = pytest.importorskip("PIL.Image")
    page = tmp_path / "tiny.html"
    page.write_text('<html><body style="margin:0"><div style="width:120px;height:40px;'
                    'background:linear-gradient(90deg,#f00,#00f)"></div>text'
                    "<script>notDefinedAnywhere();</script></body></html>", encoding="utf-8")
    shot = tmp_path / "tiny.png"
    run = chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=160,90")
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    assert any("notDefinedAnywhere" in line for line in console_lines(run.stderr))
    raw = shot.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    with pil.open(shot) as image:
        expected = np.asarray(image.convert("RGB"))
    from unittest import mock

    with mock.patch.dict("sys.modules", {"PIL": None}):
        decoded = read_png(shot)
    assert np.array_equal(decoded, expected)


HOVER_PROBE = """<script>
window.addEventListener("load", function () {   // a real mouse move over the first visit's service
  var gd = document.getElementById("gantt-figure");
  var visits = gd.data.find(function (t) { return t.name === "visit"; });
  var xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  gd.querySelector(".nsewdrag").dispatchEvent(new MouseEvent("mousemove", {bubbles: true,
    clientX: box.left + xa._offset + xa.d2p(visits.x[0]), clientY: box.top + ya._offset + ya.d2p(visits.y[0])}));
  setTimeout(function () {
    var label = gd.querySelector(".hovertext");
    console.log("HOVER " + (label ? label.textContent : "none"));
  }, 500);
});
</script>"""


def test_hovering_a_service_shows_job_window_and_sla_due(city_report, tmp_path):
    probe = tmp_path / "hover.html"
    probe.write_text(city_report.read_text(encoding="utf-8").replace("</body>", HOVER_PROBE + "</body>"),
                     encoding="utf-8")
    run = chromium(probe, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    lines = console_lines(run.stderr)
    assert len(lines) == 1 and '"HOVER ' in lines[0], lines
    text = lines[0].split('"HOVER ', 1)[1]
    assert re.match(r"J\d+ \(\w+\) - T\d+service \d\d:\d\d-\d\d:\d\d", text), text
    assert "window " in text and "SLA due " in text
