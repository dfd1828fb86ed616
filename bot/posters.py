"""Images for coordinators: the printable check-in QR poster and the attendance chart.

Both take text already translated; Khmer is shaped by HarfBuzz/raqm (Pillow and Matplotlib), with the
Noto Sans Khmer font shipped as a Python package, so coeng and vowel signs sit where they belong.
"""

from __future__ import annotations

import io
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import fontpkg_noto_sans_khmer
import segno
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = fontpkg_noto_sans_khmer.ROOT / "files" / "NotoSansKhmer[wdth,wght].ttf"
FONT_FAMILY = fontpkg_noto_sans_khmer.FAMILY
font_manager.fontManager.addfont(str(FONT_PATH))

# A4 portrait at 150 dpi: sharp enough to print, small enough to send over a slow connection.
POSTER_SIZE = (1240, 1754)
POSTER_DPI = 150
CHART_SIZE = (1600, 1200)
CHART_DPI = 160
MARGIN = 90
GREEN = "#2e7d32"
INK = "#1b1b1b"
GREY = "#444444"
COENG = "\u17d2"
CHART_TITLE_MAX = 80
CHART_LABEL_WIDTH = 28
# Babel puts thin and narrow no-break spaces in times and ranges; the font has no glyph for them.
_SPACES = str.maketrans({"\u2009": " ", "\u202f": " ", "\u200a": " "})
_BREAKS = re.compile(r"[^ \u200b]+[ \u200b]*")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str


@cache
def _font(size: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(FONT_PATH), size, layout_engine=ImageFont.Layout.RAQM)
    font.set_variation_by_name(weight)
    return font


def printable(text: str) -> str:
    return text.translate(_SPACES)


def _clusters(word: str) -> list[str]:
    """Pieces a word may be broken between: a Khmer consonant stack with its signs stays whole."""
    pieces: list[str] = []
    for ch in word:
        joins = unicodedata.category(ch).startswith("M") or ch in (COENG, "\u200c", "\u200d")
        if pieces and (joins or pieces[-1].endswith(COENG)):
            pieces[-1] += ch
        else:
            pieces.append(ch)
    return pieces


def _width(text: str, font: ImageFont.FreeTypeFont) -> float:
    return font.getlength(text.rstrip(" \u200b"))


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines that fit `width`: broken at spaces (and Khmer's zero-width spaces), or inside a long word."""
    lines: list[str] = []
    line = ""
    for token in _BREAKS.findall(printable(text).strip()):
        if _width(line + token, font) <= width:
            line += token
            continue
        if line:
            lines.append(line.rstrip(" \u200b"))
            line = ""
        for piece in _clusters(token):
            if line and _width(line + piece, font) > width:
                lines.append(line.rstrip(" \u200b"))
                line = ""
            line += piece
    if line.strip(" \u200b"):
        lines.append(line.rstrip(" \u200b"))
    return lines


def _fit(text: str, weight: str, sizes: Sequence[int], width: int,
         max_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the text fits in `max_lines`, if possible without breaking a word (Khmer
    writes many words without spaces between them); at the smallest size, the rest is cut with '…'."""
    tokens = _BREAKS.findall(printable(text).strip())
    for whole_words in (True, False):
        for size in sizes:
            font = _font(size, weight)
            if whole_words and any(_width(token, font) > width for token in tokens):
                continue
            lines = wrap(text, font, width)
            if len(lines) <= max_lines:
                return font, lines
    last = lines[max_lines - 1]
    while last and _width(last + "…", font) > width:
        last = "".join(_clusters(last)[:-1])
    return font, [*lines[:max_lines - 1], last.rstrip() + "…"]


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent


def _draw_block(draw: ImageDraw.ImageDraw, y: int, font, lines: Sequence[str], fill: str) -> int:
    """Draws centred lines from `y`; returns the y below them."""
    for line in lines:
        draw.text((POSTER_SIZE[0] // 2, y), line, font=font, fill=fill, anchor="ma")
        y += _line_height(font)
    return y


def _qr_image(link: str, size: int) -> Image.Image:
    """The link as a QR code, as large as fits in `size` pixels with whole-pixel modules."""
    code = segno.make(link, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=4))
    modules = len(rows)
    image = Image.new("L", (modules, modules), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    scale = max(1, size // modules)
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def qr_poster(link: str, *, titles: Sequence[str], details: Sequence[str], instructions: Sequence[str]) -> bytes:
    """A printable A4 PNG: the event's titles and details on top, a large QR code, the instruction below."""
    width, height = POSTER_SIZE
    poster = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(poster)
    draw.rectangle((0, 0, width, 24), fill=GREEN)
    draw.rectangle((0, height - 24, width, height), fill=GREEN)
    text_width = width - 2 * MARGIN
    y = 80
    for title in titles:
        font, lines = _fit(title, "Bold", (64, 58, 52, 46, 40), text_width, 3)
        y = _draw_block(draw, y, font, lines, INK) + 12
    y += 12
    for detail in details:
        font, lines = _fit(detail, "Regular", (34, 30), text_width, 2)
        y = _draw_block(draw, y, font, lines, GREY)
    instruction_font = _font(50, "Bold")
    bottom = height - 80 - len(instructions) * _line_height(instruction_font)
    _draw_block(draw, bottom, instruction_font, [printable(i) for i in instructions], GREEN)
    space = bottom - y - 60
    qr = _qr_image(link, min(text_width, space))
    poster.paste(qr, ((width - qr.width) // 2, y + 30 + (space - qr.height) // 2))
    buffer = io.BytesIO()
    poster.save(buffer, format="PNG", dpi=(POSTER_DPI, POSTER_DPI), optimize=True)
    return buffer.getvalue()


def attendance_chart(*, title: str, subtitle: str, panels: Sequence[tuple[str, Sequence[Bar]]]) -> bytes:
    """A PNG of horizontal bar panels (e.g. attendees by gender, by stakeholder type), values written on the bars."""
    figure = Figure(figsize=(CHART_SIZE[0] / CHART_DPI, CHART_SIZE[1] / CHART_DPI), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(panels), 1, squeeze=False,
                           gridspec_kw={"height_ratios": [max(len(bars), 1) + 1 for _h, bars in panels]})[:, 0]
    for ax, (heading, bars) in zip(axes, panels, strict=True):
        _bar_panel(ax, heading, bars)
    figure.suptitle(shorten(printable(title), CHART_TITLE_MAX) + "\n" + printable(subtitle), family=FONT_FAMILY,
                    fontsize=14)
    figure.subplots_adjust(left=0.3, right=0.94, top=0.83, bottom=0.04, hspace=0.5)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI, facecolor="white")
    return buffer.getvalue()


def shorten(text: str, limit: int) -> str:
    """At most about `limit` characters, cut between whole clusters and marked with '…'."""
    if len(text) <= limit:
        return text
    kept = ""
    for piece in _clusters(text):
        if len(kept) + len(piece) > limit - 1:
            break
        kept += piece
    return kept.rstrip() + "…"


def _bar_panel(ax, heading: str, bars: Sequence[Bar]) -> None:
    # The first bar on top, as it is read.
    ordered = list(reversed(bars))
    positions = range(len(ordered))
    drawn = ax.barh(positions, [bar.value for bar in ordered], color=GREEN, height=0.6)
    labels = [textwrap.fill(printable(bar.label), CHART_LABEL_WIDTH) for bar in ordered]
    ax.set_yticks(positions, labels, family=FONT_FAMILY, fontsize=11)
    ax.bar_label(drawn, labels=[printable(bar.text) for bar in ordered], padding=4, family=FONT_FAMILY, fontsize=11)
    ax.set_title(printable(heading), loc="left", family=FONT_FAMILY, fontsize=13, pad=10)
    ax.set_xlim(0, max([bar.value for bar in bars] + [1]) * 1.15)
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
