#!/usr/bin/env python3
"""Render an HTML file in headless Chromium (Debian's chromium, no network,
a fresh profile) to a PNG screenshot, and say whether anything is drawn:
the share of pixels that are not white, and the number of colours.

Usage: render.py PAGE.html OUT.png [WIDTH HEIGHT]
Prints "rendered OUT.png: ink X%, N colours"; exits 1 when the page is
blank (under 0.5% ink or under 3 colours), 2 when Chromium fails.
"""
import os
import subprocess
import sys
import tempfile

from PIL import Image


def main():
    page, png = sys.argv[1], sys.argv[2]
    width, height = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else ("1100", "1400")
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile, "--hide-scrollbars",
             "--window-size=%s,%s" % (width, height), "--screenshot=" + os.path.abspath(png),
             "file://" + os.path.abspath(page)],
            capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not os.path.exists(png):
        print(r.stderr[-2000:])
        print("chromium failed with status %d" % r.returncode)
        sys.exit(2)
    img = Image.open(png).convert("RGB")
    pixels = list(img.getdata())
    ink = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
    colours = len(set(pixels))
    print("rendered %s: ink %.1f%%, %d colours" % (png, 100 * ink, colours))
    sys.exit(0 if ink >= 0.005 and colours >= 3 else 1)


if __name__ == "__main__":
    main()
