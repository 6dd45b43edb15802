#!/usr/bin/env python3
# Checks that a PNG written by zc-pool-push shows the colour bars of a given frame.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Usage: check-png.py FILE WIDTH HEIGHT FRAME

Decodes FILE (8-bit RGB, the format zcsnapshot writes) with the standard
library only, and compares every pixel with what zc-pool-push draws for
frame FRAME: at column x the bar (x * 8 // WIDTH + FRAME) % 8, bars in the
order white, yellow, cyan, green, magenta, red, blue, black. Exit status 0
when they all match, 1 (with the first difference) otherwise.
"""
import struct
import sys
import zlib

BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
        (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]


def chunks(data):
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, bpp=3):
    """The scanlines of a non-interlaced image (PNG spec, section 9)."""
    stride = width * bpp
    rows, prev, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            line[i] = (line[i] + pred) & 0xff
        rows.append(line)
        prev = line
    return rows


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG file")
    idat = b""
    for kind, body in chunks(data):
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(
                ">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if (depth, colour, interlace) != (8, 2, 0):
        sys.exit(f"{path}: not 8-bit RGB non-interlaced "
                 f"(depth {depth}, colour type {colour})")
    return width, height, unfilter(zlib.decompress(idat), width, height)


def main():
    path, want_w, want_h, frame = sys.argv[1], *map(int, sys.argv[2:5])
    width, height, rows = read_png(path)
    if (width, height) != (want_w, want_h):
        sys.exit(f"{path}: {width}x{height}, expected {want_w}x{want_h}")
    for y, row in enumerate(rows):
        for x in range(width):
            want = BARS[(x * 8 // width + frame) % 8]
            got = tuple(row[3 * x:3 * x + 3])
            if got != want:
                sys.exit(f"{path}: pixel {x},{y} is {got}, frame {frame} "
                         f"has {want} there")
    print(f"{path}: {width}x{height}, the bars of frame {frame}")


if __name__ == "__main__":
    main()
