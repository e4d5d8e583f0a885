"""The example release's HTML report in a real browser (headless Chromium): it renders (a
screenshot that is not blank) and the page requests nothing from the network (Chromium's net
log). A control page with an external image proves the net-log check sees page requests.

Skips, with the reason, when Chromium is not installed or cannot start (``.ci/run`` installs
Debian's ``chromium``)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from mlbom.cli import main

_CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome"))
                  if p), None)
# Chromium's own background traffic (update checks, sign-in) is switched off where flags allow;
# what remains is told apart from the page's by its network isolation key (the page's is file://).
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
          "--disable-default-apps", "--disable-domain-reliability", "--no-pings"]


def _shoot(page: Path, tmp: Path, name: str, size: str = "1200,4000") -> tuple[Path, list[dict[str, object]]]:
    if _CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    shot, netlog = tmp / f"{name}.png", tmp / f"{name}.netlog.json"
    cmd = [_CHROMIUM, *_FLAGS, f"--user-data-dir={tmp / (name + '-profile')}", f"--log-net-log={netlog}",
           f"--screenshot={shot}", f"--window-size={size}", page.as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"Chromium could not run: {exc}")
    if not shot.exists() or not netlog.exists():
        pytest.skip(f"Chromium could not start (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[-300:]}")
    log = json.loads(netlog.read_text())
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    starts = [e.get("params", {}) for e in log["events"] if names.get(e["type"]) == "URL_REQUEST_START_JOB"]
    page_requests = [p for p in starts if "file://" in str(p.get("network_isolation_key", ""))
                     and not str(p.get("url", "")).startswith(("file:", "data:"))]
    return shot, page_requests


def _pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of pixels."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, channels, rows


def _ink(png: Path) -> float:
    """The share of pixels that are not the page's white background."""
    width, ch, rows = _pixels(png)
    inked = total = 0
    for row in rows[::4]:
        for x in range(0, width * ch, ch * 4):
            total += 1
            inked += row[x] < 235 or row[x + 1] < 235 or row[x + 2] < 235
    return inked / total


@pytest.mark.slow
def test_example_report_in_chromium(example_bom: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["report", str(example_bom), "--format", "html", "-o", str(page)]) == 0
    # the control: a page with external resources is seen making requests
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="http://127.0.0.1:9/canary.png">'
                       '<link rel="stylesheet" href="https://example.invalid/x.css"></body></html>')
    _, control_requests = _shoot(control, tmp_path, "control", "400,300")
    assert {str(r["url"]) for r in control_requests} >= {"http://127.0.0.1:9/canary.png", "https://example.invalid/x.css"}

    shot, requests = _shoot(page, tmp_path, "report")
    assert requests == [], requests
    ink = _ink(shot)
    assert 0.02 < ink < 0.9, f"the page looks blank or broken: {ink:.3f} of it is not background"
    keep = Path(__file__).resolve().parents[2] / "build" / "report-screenshot.png"
    keep.parent.mkdir(exist_ok=True)
    shutil.copy(shot, keep)  # for a person to look at (build/ is not committed)
