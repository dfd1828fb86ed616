"""Bar charts of survey and poll results for coordinators, and small ones for printed reports.

They use the Khmer font set up in bot.posters (Noto Sans Khmer, shaped by Matplotlib's text engine),
and wrap long labels only between whole Khmer clusters (bot.posters.wrap): a label such as
'ទីផ្សារសម្រាប់ផលិតផលកសិអេកូឡូស៊ី' has no spaces, and cutting it at a fixed number of characters would
split a consonant from its vowel sign.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import ImageFont

from bot.posters import FONT_FAMILY, FONT_PATH, GREEN, Bar, printable, wrap

SIZE = (1600, 1200)
DPI = 160
LABEL_POINTS = 11
# Room for the labels left of the bars, in pixels (the axes start at 30% of the width).
LABEL_WIDTH = 420
LABEL_LINES = 3
TITLE_WIDTH = 1400
# The report's chart: drawn at the size it is printed (inches), a bar a line of labels high.
COMPACT_WIDTH = 3.9
COMPACT_DPI = 220
COMPACT_POINTS = 7.5
COMPACT_BAR = 0.25
COMPACT_LABELS = 0.4

__all__ = ["Bar", "bar_chart", "compact_chart"]


@cache
def _measure(points: float, dpi: int = DPI) -> ImageFont.FreeTypeFont:
    """The font at the pixel size Matplotlib draws `points` at, to measure where lines may break."""
    return ImageFont.truetype(str(FONT_PATH), round(points * dpi / 72), layout_engine=ImageFont.Layout.RAQM)


def wrapped(text: str, points: float, width: int, max_lines: int, dpi: int = DPI) -> str:
    """The text broken into lines that fit `width` pixels, between words or whole clusters; '…' if cut."""
    lines = wrap(text, _measure(points, dpi), width) or [""]
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], lines[max_lines - 1].rstrip() + "…"]
    return "\n".join(lines)


def bar_chart(*, title: str, subtitle: str, panels: Sequence[tuple[str, Sequence[Bar]]]) -> bytes:
    """A PNG of horizontal bar panels (e.g. all answers, women, men), the count and share written on each bar."""
    figure = Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    heights = [max(len(bars), 1) + 1 for _heading, bars in panels]
    axes = figure.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, (heading, bars) in zip(axes, panels, strict=True):
        _panel(ax, heading, bars)
    figure.suptitle(wrapped(title, 14, TITLE_WIDTH, 2) + "\n" + printable(subtitle), family=FONT_FAMILY, fontsize=14)
    figure.subplots_adjust(left=0.3, right=0.94, top=0.83, bottom=0.04, hspace=0.55)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _panel(ax, heading: str, bars: Sequence[Bar]) -> None:
    ordered = list(reversed(bars))  # the first bar on top, as it is read
    positions = range(len(ordered))
    drawn = ax.barh(positions, [bar.value for bar in ordered], color=GREEN, height=0.6)
    ax.set_yticks(positions, [wrapped(bar.label, LABEL_POINTS, LABEL_WIDTH, LABEL_LINES) for bar in ordered],
                  family=FONT_FAMILY, fontsize=LABEL_POINTS)
    ax.bar_label(drawn, labels=[printable(bar.text) for bar in ordered], padding=4, family=FONT_FAMILY,
                 fontsize=LABEL_POINTS)
    ax.set_title(printable(heading), loc="left", family=FONT_FAMILY, fontsize=13, pad=10)
    ax.set_xlim(0, max([bar.value for bar in bars] + [1]) * 1.15)
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)


def compact_chart(bars: Sequence[Bar]) -> bytes:
    """A small PNG for a printed page: a bar per answer, its label on the left and its count and share at its end."""
    height = 0.12 + COMPACT_BAR * max(len(bars), 1)
    figure = Figure(figsize=(COMPACT_WIDTH, height), dpi=COMPACT_DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((COMPACT_LABELS, 0.06 / height, 1 - COMPACT_LABELS - 0.02, 1 - 0.12 / height))
    ordered = list(reversed(bars))
    positions = range(len(ordered))
    drawn = ax.barh(positions, [bar.value for bar in ordered], color=GREEN, height=0.62)
    label_pixels = round((COMPACT_LABELS - 0.03) * COMPACT_WIDTH * COMPACT_DPI)
    ax.set_yticks(positions, [wrapped(bar.label, COMPACT_POINTS, label_pixels, 2, COMPACT_DPI) for bar in ordered],
                  family=FONT_FAMILY, fontsize=COMPACT_POINTS, linespacing=1.0)
    ax.bar_label(drawn, labels=[printable(bar.text) for bar in ordered], padding=3, family=FONT_FAMILY,
                 fontsize=COMPACT_POINTS)
    ax.set_ylim(-0.5, len(ordered) - 0.5)
    ax.set_xlim(0, max([bar.value for bar in bars] + [1]) * 1.45)
    ax.xaxis.set_visible(False)
    ax.tick_params(axis="y", length=0, pad=3)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#999999")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=COMPACT_DPI, facecolor="white")
    return buffer.getvalue()
