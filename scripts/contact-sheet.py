#!/usr/bin/python3
# One-page contact sheet of a main-job output folder.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Usage: contact-sheet.py OUTDIR [SHEET.png]

Reads what tools/zc-main-job wrote into OUTDIR (summary.txt, audit.txt,
screenshot.png, thumbnails/*.jpg) and renders one PNG (default
OUTDIR/contact-sheet.png): the summary lines, the display screenshot, a
row of thumbnails spread over the run, and the zcaudit table, so that a
person sees at a glance whether the pipeline worked. Missing parts are
named on the sheet rather than failing. Needs Pillow (Debian python3-pil)
and, for legible text, the DejaVu fonts (fonts-dejavu-core).
"""
import glob
import os
import sys

from PIL import Image, ImageDraw, ImageFont

WIDTH = 1280
MARGIN = 24
GAP = 16
MAX_THUMBS = 8
BACKGROUND = (250, 250, 250)
INK = (20, 20, 20)
FAINT = (110, 110, 110)
FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def font(name, size):
    try:
        return ImageFont.truetype(os.path.join(FONT_DIR, name), size)
    except OSError:
        return ImageFont.load_default()


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().rstrip("\n").split("\n")
    except OSError:
        return None


def spread(items, n):
    """n items evenly spread over the list, first and last included."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def fit(img, width, height):
    scale = min(width / img.width, height / img.height)
    return img.resize((max(1, round(img.width * scale)),
                       max(1, round(img.height * scale))), Image.BILINEAR)


class Sheet:
    def __init__(self):
        self.parts = []  # (height, draw function)
        self.title_font = font("DejaVuSans-Bold.ttf", 26)
        self.head_font = font("DejaVuSans-Bold.ttf", 18)
        self.text_font = font("DejaVuSans.ttf", 16)
        self.mono_font = font("DejaVuSansMono.ttf", 14)

    def line_height(self, f):
        box = f.getbbox("Ag")
        return box[3] - box[1] + 6

    def text(self, lines, f, colour=INK):
        h = self.line_height(f)

        def draw(canvas, d, y):
            for i, line in enumerate(lines):
                d.text((MARGIN, y + i * h), line, font=f, fill=colour)
        self.parts.append((h * len(lines), draw))

    def heading(self, title):
        self.text([title], self.head_font)

    def image(self, img):
        def draw(canvas, d, y):
            canvas.paste(img, (MARGIN, y))
            d.rectangle((MARGIN - 1, y - 1, MARGIN + img.width,
                         y + img.height), outline=FAINT)
        self.parts.append((img.height, draw))

    def images_row(self, images, captions):
        h = max(i.height for i in images) + self.line_height(self.text_font)

        def draw(canvas, d, y):
            x = MARGIN
            for img, cap in zip(images, captions):
                canvas.paste(img, (x, y))
                d.text((x, y + img.height + 2), cap, font=self.text_font,
                       fill=FAINT)
                x += img.width + GAP
        self.parts.append((h, draw))

    def render(self, path):
        height = MARGIN * 2 + sum(h for h, _ in self.parts) \
            + GAP * (len(self.parts) - 1)
        canvas = Image.new("RGB", (WIDTH, height), BACKGROUND)
        d = ImageDraw.Draw(canvas)
        y = MARGIN
        for h, draw in self.parts:
            draw(canvas, d, y)
            y += h + GAP
        canvas.save(path)


def add_screenshot(sheet, out):
    sheet.heading("The display at the end of the run")
    path = os.path.join(out, "screenshot.png")
    if not os.path.exists(path):
        sheet.text(["no screenshot (see summary.txt)"], sheet.text_font,
                   FAINT)
        return
    with Image.open(path) as img:
        sheet.image(fit(img.convert("RGB"), WIDTH - 2 * MARGIN, 540))


def add_thumbnails(sheet, out):
    paths = sorted(glob.glob(os.path.join(out, "thumbnails", "*.jpg")))
    sheet.heading(f"Thumbnails ({len(paths)} written, "
                  f"{min(len(paths), MAX_THUMBS)} shown)")
    if not paths:
        sheet.text(["no thumbnails"], sheet.text_font, FAINT)
        return
    chosen = spread(paths, MAX_THUMBS)
    cell = (WIDTH - 2 * MARGIN - GAP * (MAX_THUMBS - 1)) // MAX_THUMBS
    images = []
    for p in chosen:
        with Image.open(p) as img:
            images.append(fit(img.convert("RGB"), cell, cell))
    sheet.images_row(images, [os.path.basename(p) for p in chosen])


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) == 3 else \
        os.path.join(out, "contact-sheet.png")
    sheet = Sheet()
    sheet.text(["gst-zerocopy main job"], sheet.title_font)
    sheet.text(read_lines(os.path.join(out, "summary.txt"))
               or ["no summary.txt"], sheet.text_font)
    add_screenshot(sheet, out)
    add_thumbnails(sheet, out)
    sheet.heading("zcaudit: memory and copies per element")
    sheet.text(read_lines(os.path.join(out, "audit.txt"))
               or ["no audit.txt"], sheet.mono_font)
    sheet.render(target)
    print(target)


if __name__ == "__main__":
    main()
