"""Reports as PDF: the blocks of bot.reportdocs laid out on A4 pages, Khmer shaped and copyable (bot.pdftext).

Layout is deliberately simple, as a report needs: blocks flow down the page; a heading stays with what follows
it; a picture, a table row or a chart with its table never splits; a table that runs onto the next page
repeats its header row; each language's part starts a page; page numbers sit at the foot.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pydyf
from PIL import Image

from bot import pdftext
from bot.pdftext import BOLD, REGULAR, Cluster, FontUse
from bot.posters import GREEN, GREY, INK
from bot.reportdocs import (LANGUAGE_TAGS, Block, Bullets, Heading, Panel, Paragraph, Part, Picture, Table, clean,
                            is_number)

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
TOP, SIDE, BOTTOM = 15 * MM, 16 * MM, 17 * MM
WIDTH = PAGE_WIDTH - 2 * SIDE
RULE = "#c8dcc9"
BORDER = "#bbbbbb"
HEADER_FILL = "#eef5ee"
CELL_PAD_X, CELL_PAD_Y = 5.0, 1.5
BULLET_INDENT = 14.0
PANEL_GAP = 10.0
BREAKS = (" ", "\u200b")


@dataclass(frozen=True)
class Style:
    size: float
    weight: int = REGULAR
    color: str = INK
    line_height: float = 1.5

    @property
    def leading(self) -> float:
        return self.size * self.line_height


TITLE = Style(19, BOLD, GREEN, 1.4)
H2 = Style(13.5, BOLD, GREEN, 1.45)
H3 = Style(11, BOLD, INK, 1.4)
H4 = Style(10, BOLD, GREY, 1.4)
BODY = Style(10, line_height=1.55)
STRONG = Style(10, BOLD, line_height=1.55)
META = Style(10, color=GREY, line_height=1.5)
CELL = Style(8.5, line_height=1.4)
HEAD_CELL = Style(8.5, BOLD, line_height=1.4)
CAPTION = Style(8.5, color="#555555", line_height=1.4)
FOOTER = Style(8, color="#666666")


@dataclass(frozen=True)
class Line:
    clusters: tuple[Cluster, ...]
    width: float


def _rgb(color: str) -> str:
    value = color.lstrip("#")
    return " ".join(f"{int(value[i:i + 2], 16) / 255:.3f}" for i in (0, 2, 4))


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- lines


def _words(clusters: Sequence[Cluster]) -> list[list[Cluster]]:
    """Clusters grouped into pieces that end where a line may break (after a space or zero-width space)."""
    words: list[list[Cluster]] = [[]]
    for cluster in clusters:
        words[-1].append(cluster)
        if cluster.text in BREAKS:
            words.append([])
    return [word for word in words if word]


def _trimmed(clusters: list[Cluster]) -> tuple[Cluster, ...]:
    while clusters and clusters[-1].text in BREAKS:
        clusters = clusters[:-1]
    return tuple(clusters)


def wrap(text: str, style: Style, width: float) -> list[Line]:
    """The text in lines no wider than `width` points: broken at spaces, inside a word only when it must be
    (between whole clusters, so a Khmer syllable is never cut); hard line breaks kept."""
    face = pdftext.face(style.weight)
    lines: list[Line] = []
    for paragraph in clean(text).split("\n"):
        current: list[Cluster] = []
        for word in _words(face.shape(paragraph)):
            if face.width(_trimmed(current + word), style.size) <= width:
                current += word
                continue
            if current:
                lines.append(_line(face, current, style))
                current = []
            for cluster in word:
                if current and face.width(_trimmed(current + [cluster]), style.size) > width:
                    lines.append(_line(face, current, style))
                    current = []
                current.append(cluster)
        lines.append(_line(face, current, style))
    return lines


def _line(face, clusters: list[Cluster], style: Style) -> Line:
    kept = _trimmed(clusters)
    return Line(kept, face.width(kept, style.size))


def natural_width(text: str, style: Style) -> float:
    """The width of the text's longest line, unbroken."""
    face = pdftext.face(style.weight)
    return max(face.width(face.shape(part.strip()), style.size) for part in clean(text).split("\n"))


def longest_word(text: str, style: Style) -> float:
    face = pdftext.face(style.weight)
    return max([face.width(_trimmed(word), style.size) for word in _words(face.shape(clean(text)))] or [0.0])


# ---------------------------------------------------------------- drawing


class Document:
    """The PDF being written: its fonts (one per weight) and images, shared by every page."""

    def __init__(self) -> None:
        self.fonts: dict[int, FontUse] = {}
        self.images: dict[str, tuple[bytes, int, int]] = {}

    def font(self, weight: int) -> tuple[str, FontUse]:
        if weight not in self.fonts:
            self.fonts[weight] = FontUse(pdftext.face(weight))
        return f"F{weight}", self.fonts[weight]

    def image(self, png: bytes) -> tuple[str, int, int]:
        key = hashlib.sha256(png).hexdigest()[:16]
        if key not in self.images:
            picture = Image.open(io.BytesIO(png)).convert("RGB")
            self.images[key] = (zlib.compress(picture.tobytes(), 6), *picture.size)
        _data, width, height = self.images[key]
        return f"Im{key}", width, height


class Canvas:
    """One page's drawing, in points from the top-left corner."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.ops: list[str] = []

    def text(self, x: float, top: float, line: Line, style: Style) -> None:
        """Draws a line whose line box starts at `top`."""
        if not line.clusters:
            return
        name, font = self.document.font(style.weight)
        face = font.face
        half_leading = (style.leading - (face.ascent + face.descent) * style.size) / 2
        baseline = PAGE_HEIGHT - (top + half_leading + face.ascent * style.size)
        self.ops.append(f"BT /{name} {_num(style.size)} Tf {_rgb(style.color)} rg {_num(x)} {_num(baseline)} Td "
                        f"{font.encode(line.clusters)} Tj ET")

    def rect(self, x: float, top: float, width: float, height: float, *, fill: str | None = None,
             stroke: str | None = None) -> None:
        box = f"{_num(x)} {_num(PAGE_HEIGHT - top - height)} {_num(width)} {_num(height)} re"
        if fill:
            self.ops.append(f"{_rgb(fill)} rg {box} f")
        if stroke:
            self.ops.append(f"0.6 w {_rgb(stroke)} RG {box} S")

    def rule(self, x: float, y: float, width: float, color: str) -> None:
        self.ops.append(f"0.75 w {_rgb(color)} RG {_num(x)} {_num(PAGE_HEIGHT - y)} m "
                        f"{_num(x + width)} {_num(PAGE_HEIGHT - y)} l S")

    def image(self, png: bytes, x: float, top: float, width: float) -> float:
        """Draws the picture `width` points wide; returns its height."""
        name, pixels_wide, pixels_high = self.document.image(png)
        height = width * pixels_high / pixels_wide
        self.ops.append(f"q {_num(width)} 0 0 {_num(height)} {_num(x)} {_num(PAGE_HEIGHT - top - height)} cm "
                        f"/{name} Do Q")
        return height


# ---------------------------------------------------------------- boxes: what cannot be split, and how it is drawn


@dataclass
class Box:
    height: float
    draw: Callable[[Canvas, float], None]
    space_before: float = 0.0
    keep_with_next: bool = False
    # Drawn again at the top of a page this box starts (a table's header row).
    header: Box | None = None
    page_break: bool = False


def _spacer(height: float) -> Box:
    """Room after a block, dropped at the top of a page."""
    return Box(0.0, lambda canvas, top: None, space_before=height)


def _text_boxes(text: str, style: Style, *, x: float = SIDE, width: float = WIDTH, space_before: float = 0.0,
                keep_with_next: bool = False) -> list[Box]:
    boxes = []
    for index, line in enumerate(wrap(text, style, width)):
        boxes.append(Box(style.leading, lambda canvas, top, line=line: canvas.text(x, top, line, style),
                         space_before=space_before if index == 0 else 0.0, keep_with_next=keep_with_next))
    return boxes


def _heading(block: Heading) -> list[Box]:
    if block.level <= 1:
        boxes = _text_boxes(block.text, H2, space_before=12, keep_with_next=True)
        last = boxes[-1]
        draw = last.draw

        def underlined(canvas: Canvas, top: float) -> None:
            draw(canvas, top)
            canvas.rule(SIDE, top + last.height + 1, WIDTH, RULE)

        boxes[-1] = Box(last.height + 4, underlined, last.space_before, keep_with_next=True)
        return boxes
    return _text_boxes(block.text, H3 if block.level == 2 else H4, space_before=6, keep_with_next=True)


def _bullets(block: Bullets) -> list[Box]:
    boxes: list[Box] = []
    for item in block.items:
        lines = _text_boxes(item, BODY, x=SIDE + BULLET_INDENT, width=WIDTH - BULLET_INDENT)
        first = lines[0]
        draw = first.draw

        def with_bullet(canvas: Canvas, top: float, draw=draw) -> None:
            canvas.text(SIDE + 3, top, Line(pdftext.face(REGULAR).shape("•"), 0), BODY)
            draw(canvas, top)

        lines[0] = Box(first.height, with_bullet, space_before=2 if not boxes else 0)
        boxes += lines
    return boxes


@dataclass
class _Grid:
    """A table measured for a width: column widths and each row's lines."""

    widths: list[float]
    rows: list[list[list[Line]]] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    numeric: list[list[bool]] = field(default_factory=list)


def _column_widths(table: Table, available: float) -> list[float]:
    """As wide as the content where it fits (like a browser's automatic table layout), else shared out."""
    columns = len(table.headers)
    natural, least = [0.0] * columns, [0.0] * columns
    for row_index, row in enumerate([table.headers, *table.rows]):
        style = HEAD_CELL if row_index == 0 else CELL
        for column, text in enumerate(row):
            natural[column] = max(natural[column], natural_width(text, style) + 2 * CELL_PAD_X + 0.5)
            least[column] = max(least[column], longest_word(text, style) + 2 * CELL_PAD_X + 0.5)
    if sum(natural) <= available:
        return natural
    least = [min(width, available / columns * 2) for width in least]
    if sum(least) >= available:
        return [width * available / sum(least) for width in least]
    spare = available - sum(least)
    extra = [n - m for n, m in zip(natural, least, strict=True)]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def _grid(table: Table, available: float) -> _Grid:
    grid = _Grid(_column_widths(table, available))
    for row_index, row in enumerate([table.headers, *table.rows]):
        style = HEAD_CELL if row_index == 0 else CELL
        cells = [wrap(text, style, width - 2 * CELL_PAD_X) for text, width in zip(row, grid.widths, strict=True)]
        grid.rows.append(cells)
        grid.heights.append(max(len(lines) for lines in cells) * style.leading + 2 * CELL_PAD_Y)
        grid.numeric.append([row_index > 0 and is_number(text) for text in row])
    return grid


def _draw_row(canvas: Canvas, grid: _Grid, index: int, x: float, top: float) -> None:
    style = HEAD_CELL if index == 0 else CELL
    left = x
    for column, lines in enumerate(grid.rows[index]):
        width = grid.widths[column]
        if index == 0:
            canvas.rect(left, top, width, grid.heights[index], fill=HEADER_FILL)
        canvas.rect(left, top, width, grid.heights[index], stroke=BORDER)
        for number, line in enumerate(lines):
            right_aligned = grid.numeric[index][column]
            start = left + width - CELL_PAD_X - line.width if right_aligned else left + CELL_PAD_X
            canvas.text(start, top + CELL_PAD_Y + number * style.leading, line, style)
        left += width


def _table(block: Table, *, x: float = SIDE, available: float = WIDTH) -> list[Box]:
    grid = _grid(block, available)
    header = Box(grid.heights[0], lambda canvas, top: _draw_row(canvas, grid, 0, x, top), space_before=4,
                 keep_with_next=True)
    rows = [Box(grid.heights[i], lambda canvas, top, i=i: _draw_row(canvas, grid, i, x, top), header=header)
            for i in range(1, len(grid.rows))]
    return [header, *rows, _spacer(6)]


def table_height(block: Table, available: float) -> float:
    return sum(_grid(block, available).heights)


def _picture(block: Picture) -> list[Box]:
    width = WIDTH * block.width
    pixels_wide, pixels_high = _size(block.png)
    height = width * pixels_high / pixels_wide
    caption = wrap(block.description, CAPTION, width) if block.caption else []
    total = height + 3 + len(caption) * CAPTION.leading

    def draw(canvas: Canvas, top: float) -> None:
        canvas.image(block.png, SIDE, top, width)
        for number, line in enumerate(caption):
            canvas.text(SIDE, top + height + 3 + number * CAPTION.leading, line, CAPTION)

    return [Box(total, draw, space_before=6), _spacer(4)]


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as picture:
        return picture.size


def _panel(block: Panel) -> list[Box]:
    """A chart with its table beside it, kept together."""
    picture_width = WIDTH * block.picture.width
    pixels_wide, pixels_high = _size(block.picture.png)
    picture_height = picture_width * pixels_high / pixels_wide
    table_x = SIDE + picture_width + PANEL_GAP
    grid = _grid(block.table, WIDTH - picture_width - PANEL_GAP)
    height = max(picture_height, sum(grid.heights))

    def draw(canvas: Canvas, top: float) -> None:
        canvas.image(block.picture.png, SIDE, top, picture_width)
        row_top = top
        for index in range(len(grid.rows)):
            _draw_row(canvas, grid, index, table_x, row_top)
            row_top += grid.heights[index]

    return [Box(height, draw, space_before=4), _spacer(6)]


def _block(block: Block) -> list[Box]:
    if isinstance(block, Heading):
        return _heading(block)
    if isinstance(block, Paragraph):
        return _text_boxes(block.text, STRONG if block.strong else BODY, space_before=3)
    if isinstance(block, Bullets):
        return _bullets(block)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Panel):
        return _panel(block)
    return _picture(block)


def _part(part: Part) -> list[Box]:
    boxes = _text_boxes(part.title, TITLE)
    boxes[0].page_break = True
    for index, line in enumerate(part.lines):
        boxes += _text_boxes(line, META, space_before=4 if index == 0 else 0)
    for block in part.blocks:
        boxes += _block(block)
    return boxes


# ---------------------------------------------------------------- pages


def paginate(boxes: Sequence[Box], document: Document) -> list[Canvas]:
    """Places the boxes down the pages: a box that does not fit (with what it must stay with) starts a page."""
    pages: list[Canvas] = []
    bottom = PAGE_HEIGHT - BOTTOM
    y = TOP
    for index, box in enumerate(boxes):
        if box.page_break or not pages:
            pages.append(Canvas(document))
            y = TOP
        space = box.space_before if y > TOP else 0.0
        if y + space + _needed(boxes, index) > bottom and y > TOP:
            pages.append(Canvas(document))
            y, space = TOP, 0.0
            if box.header is not None:
                box.header.draw(pages[-1], y)
                y += box.header.height
        box.draw(pages[-1], y + space)
        y += space + box.height
    return pages


def _needed(boxes: Sequence[Box], index: int) -> float:
    """The height of the box and of those it keeps with (a heading and the first line of what follows)."""
    needed = boxes[index].height
    while boxes[index].keep_with_next and index + 1 < len(boxes):
        index += 1
        needed += boxes[index].space_before + boxes[index].height
    return min(needed, PAGE_HEIGHT - TOP - BOTTOM)


def pdf(parts: Sequence[Part], *, title: str) -> bytes:
    """The parts as a PDF: A4, each part from a new page, Khmer shaped, every word copyable as written."""
    document = Document()
    boxes = [box for part in parts for box in _part(part)]
    pages = paginate(boxes, document)
    for number, canvas in enumerate(pages, start=1):
        label = pdftext.face(REGULAR).shape(str(number))
        line = Line(label, pdftext.face(REGULAR).width(label, FOOTER.size))
        canvas.text((PAGE_WIDTH - line.width) / 2, PAGE_HEIGHT - BOTTOM / 2 - FOOTER.leading / 2, line, FOOTER)
    return _write(document, pages, title=title, language=parts[0].language if parts else "en")


def _write(document: Document, pages: list[Canvas], *, title: str, language: str) -> bytes:
    pdf_file = pydyf.PDF()
    pdf_file.info["Title"] = pydyf.String(clean(title))
    pdf_file.info["Producer"] = pydyf.String("Sahakor")
    pdf_file.catalog["Lang"] = pydyf.String(LANGUAGE_TAGS.get(language, language))
    fonts = pydyf.Dictionary({f"F{weight}": use.write(pdf_file).reference for weight, use in document.fonts.items()})
    images = pydyf.Dictionary()
    for key, (data, width, height) in document.images.items():
        image = pydyf.Stream([data], {"Type": "/XObject", "Subtype": "/Image", "Width": width, "Height": height,
                                      "ColorSpace": "/DeviceRGB", "BitsPerComponent": 8, "Filter": "/FlateDecode"})
        pdf_file.add_object(image)
        images[f"Im{key}"] = image.reference
    resources = pydyf.Dictionary({"Font": fonts, "XObject": images})
    pdf_file.add_object(resources)
    for canvas in pages:
        content = pydyf.Stream(canvas.ops, compress=True)
        pdf_file.add_object(content)
        pdf_file.add_page(pydyf.Dictionary({
            "Type": "/Page", "Parent": pdf_file.pages.reference,
            "MediaBox": pydyf.Array([0, 0, _num(PAGE_WIDTH), _num(PAGE_HEIGHT)]),
            "Contents": content.reference, "Resources": resources.reference}))
    buffer = io.BytesIO()
    pdf_file.write(buffer, compress=True)
    return buffer.getvalue()
