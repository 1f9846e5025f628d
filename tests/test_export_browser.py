"""The exported worksheet as a browser shows it: headless Chromium renders the HTML (offline, no script)
to a PNG of its first page, which must not be blank. Marked ``browser`` (``pytest -m browser``):
it needs Chromium (Debian: ``apt-get install chromium``) and skips with the reason when it is absent."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlstudy.app import app
from dlstudy.cli import load_commands

pytestmark = pytest.mark.browser

load_commands(["export"])


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG (the PNG spec's filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        ftype, cur = line[0], bytearray(line[1:])
        for x in range(stride):
            a = cur[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if ftype == 1:
                cur[x] = (cur[x] + a) & 0xFF
            elif ftype == 2:
                cur[x] = (cur[x] + b) & 0xFF
            elif ftype == 3:
                cur[x] = (cur[x] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (cur[x] + pred) & 0xFF
        rows.append(bytes(cur))
        prev = cur
    return width, height, rows


def screenshot(browser: str, page: Path, png: Path) -> tuple[int, int, list[bytes]]:
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=794,1123",  # an A4 page at 96 dpi
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=png.parent,
    )
    assert png.exists(), proc.stderr[-2000:]
    return png_pixels(png.read_bytes())


def dark_pixels(rows: list[bytes], width: int) -> int:
    channels = len(rows[0]) // width
    return sum(
        1
        for row in rows
        for x in range(0, len(row), channels)
        if row[x] + row[x + 1] + row[x + 2] < 3 * 128
    )


def test_worksheet_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    sheet = tmp_path / "sheet.html"
    r = CliRunner().invoke(
        app,
        ["export", "sheet", str(sheet), "--section", "convolution", "--n", "4", "--seed", "2"],
    )
    assert r.exit_code == 0, r.output
    width, height, rows = screenshot(browser, sheet, tmp_path / "page.png")
    assert (width, height) == (794, 1123)
    # text and matrices: a blank or failed page has (almost) no dark pixel
    dark = dark_pixels(rows, width)
    assert dark > 0.005 * width * height, f"{dark} dark pixels: the page looks blank"
    assert dark_pixels(rows[: height // 8], width) > 200, "no title at the top of the page"
    # the control: the same measure calls an empty page blank
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    width, height, rows = screenshot(browser, empty, tmp_path / "empty.png")
    assert dark_pixels(rows, width) == 0
