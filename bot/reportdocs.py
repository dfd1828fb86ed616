"""Reports as documents: a few kinds of blocks (headings, paragraphs, lists, tables, pictures, a chart with its
table), written out as DOCX (python-docx) here and as PDF by bot.reportpdf.

The text comes already translated; one document holds several parts, one per language, each starting on a
new page. Text from members (answers, needs, organisation names) is written as plain text, never as markup,
with the characters XML cannot hold removed (clean). Khmer needs a font that has its glyphs and a shaper that
puts coeng and vowel signs in place: in the DOCX every run names Noto Sans Khmer for complex scripts too (w:cs)
and marks Khmer as the complex-script language, and the font file is embedded as Word does it (an obfuscated
font part, ECMA-376 §17.8.1; python-docx has no call for it), so Word and LibreOffice shape Khmer even where no
Khmer font is installed.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part as PackagePart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, RGBColor
from lxml import etree

from bot.posters import FONT_FAMILY, FONT_PATH, GREEN, printable

LANGUAGE_TAGS = {"km": "km-KH", "en": "en-GB"}
BODY_POINTS = 10.5
HEADING_POINTS = {0: 20, 1: 14, 2: 12, 3: 11}
PAGE_SIZE = (Cm(21), Cm(29.7))
MARGIN = Cm(2.2)
TEXT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# Elements of w:settings that must come before w:embedTrueTypeFonts (the schema fixes their order).
_SETTINGS_BEFORE_EMBED = ("w:writeProtection", "w:view", "w:zoom", "w:removePersonalInformation",
                          "w:removeDateAndTime", "w:doNotDisplayPageBoundaries", "w:displayBackgroundShape",
                          "w:printPostScriptOverText", "w:printFractionalCharacterWidth", "w:printFormsData")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Picture:
    png: bytes
    description: str
    # Share of the text width it takes, and whether the description is printed under it.
    width: float = 0.82
    caption: bool = True


@dataclass(frozen=True)
class Panel:
    """A chart with a small table beside it (in the PDF; one under the other in Word)."""

    picture: Picture
    table: Table


Block = Heading | Paragraph | Bullets | Table | Picture | Panel

# Characters XML 1.0 cannot hold (python-docx refuses them) and other controls a member's text may carry.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_NUMBER_MARKS = str.maketrans("", "", " ()%.,\u00a0\u202f\u2009")


def clean(text: str) -> str:
    """Text as it can be printed: controls removed, tabs as spaces, carriage returns as line breaks."""
    return _CONTROLS.sub("", printable(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def is_number(text: str) -> bool:
    """Whether a table cell holds a count or a share (set flush right)."""
    stripped = text.translate(_NUMBER_MARKS)
    return bool(stripped) and stripped.isdigit()


@dataclass(frozen=True)
class Part:
    """The report in one language: a title, lines under it (date, venue), then the blocks."""

    language: str
    title: str
    lines: Sequence[str] = ()
    blocks: Sequence[Block] = field(default_factory=list)


# ---------------------------------------------------------------- DOCX


def _set_fonts(rpr, *, points: float | None = None, bold: bool | None = None, language: str | None = None) -> None:
    """One font for every script of a run or style, its size and weight for complex scripts too, and its language."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), FONT_FAMILY)
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            _flag(rpr, tag, bold)
    if points is not None:
        for tag in ("w:sz", "w:szCs"):
            _child(rpr, tag).set(qn("w:val"), str(round(points * 2)))
    if language is not None:
        lang = _child(rpr, "w:lang")
        lang.set(qn("w:val"), LANGUAGE_TAGS.get(language, language))
        lang.set(qn("w:bidi"), LANGUAGE_TAGS["km"])


def _child(parent, tag: str):
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        parent.append(found)
    return found


def _flag(rpr, tag: str, on: bool) -> None:
    element = _child(rpr, tag)
    if on:
        element.attrib.pop(qn("w:val"), None)
    else:
        element.set(qn("w:val"), "0")


def _prepare_styles(document) -> None:
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Caption"):
        style = document.styles[name]
        _set_fonts(style.element.get_or_add_rPr(), language="en")
    _set_fonts(document.styles["Normal"].element.get_or_add_rPr(), points=BODY_POINTS)
    for level, points in HEADING_POINTS.items():
        style = document.styles["Title" if level == 0 else f"Heading {level}"]
        _set_fonts(style.element.get_or_add_rPr(), points=points, bold=True)
        style.font.color.rgb = RGBColor.from_string(GREEN.lstrip("#"))


def _run(paragraph, text: str, language: str, *, bold: bool = False):
    # Babel's thin spaces (in times and ranges) are not in the font.
    run = paragraph.add_run(clean(text))
    _set_fonts(run._element.get_or_add_rPr(), bold=bold if bold else None, language=language)
    return run


def _docx_block(document, block: Block, language: str) -> None:
    if isinstance(block, Heading):
        _run(document.add_paragraph(style=f"Heading {min(block.level, 3)}"), block.text, language)
    elif isinstance(block, Paragraph):
        _run(document.add_paragraph(), block.text, language, bold=block.strong)
    elif isinstance(block, Bullets):
        for item in block.items:
            _run(document.add_paragraph(style="List Bullet"), item, language)
    elif isinstance(block, Table):
        _docx_table(document, block, language)
    elif isinstance(block, Picture):
        document.add_picture(io.BytesIO(block.png), width=int(TEXT_WIDTH * block.width))
        if block.caption:
            _run(document.add_paragraph(style="Caption"), block.description, language)
    elif isinstance(block, Panel):
        _docx_block(document, block.picture, language)
        _docx_table(document, block.table, language)


def _docx_table(document, table: Table, language: str) -> None:
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.headers))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    for row_index, cells in enumerate([table.headers, *table.rows]):
        for cell, text in zip(grid.rows[row_index].cells, cells, strict=True):
            paragraph = cell.paragraphs[0]
            _run(paragraph, text, language, bold=row_index == 0)
    document.add_paragraph()


def obfuscate(font: bytes, key: uuid.UUID) -> bytes:
    """The font as a DOCX stores it: the first 32 bytes XORed with the key's bytes, last byte first."""
    mask = key.bytes[::-1]
    head = bytes(b ^ mask[i % 16] for i, b in enumerate(font[:32]))
    return head + font[32:]


def _embed_font(document) -> None:
    """Puts the Khmer font into the document, so readers without it installed still see Khmer."""
    key = uuid.uuid4()
    table = document.part.part_related_by(RT.FONT_TABLE)
    font = PackagePart(PackURI("/word/fonts/font1.odttf"), OBFUSCATED_FONT,
                       obfuscate(FONT_PATH.read_bytes(), key), document.part.package)
    rid = table.relate_to(font, RT.FONT)
    fonts = parse_xml(table.blob)
    entry = OxmlElement("w:font")
    entry.set(qn("w:name"), FONT_FAMILY)
    for tag, value in (("w:charset", "00"), ("w:family", "swiss"), ("w:pitch", "variable")):
        _child(entry, tag).set(qn("w:val"), value)
    embedded = _child(entry, "w:embedRegular")
    embedded.set(qn("r:id"), rid)
    embedded.set(qn("w:fontKey"), "{" + str(key).upper() + "}")
    fonts.append(entry)
    table._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)
    settings = document.settings.element
    flag = OxmlElement("w:embedTrueTypeFonts")
    earlier = [child for child in settings if child.tag in {qn(t) for t in _SETTINGS_BEFORE_EMBED}]
    if earlier:
        earlier[-1].addnext(flag)
    else:
        settings.insert(0, flag)


def docx(parts: Sequence[Part], *, title: str) -> bytes:
    """The parts as one Word document, a page break between them, with the Khmer font embedded."""
    document = new_docx()
    _prepare_styles(document)
    _embed_font(document)
    for section in document.sections:
        section.page_width, section.page_height = PAGE_SIZE
        section.left_margin = section.right_margin = MARGIN
    document.core_properties.title = clean(title)
    document.core_properties.language = LANGUAGE_TAGS.get(parts[0].language, "") if parts else ""
    for index, part in enumerate(parts):
        if index:
            document.add_page_break()
        _run(document.add_paragraph(style="Title"), part.title, part.language)
        for line in part.lines:
            _run(document.add_paragraph(), line, part.language)
        for block in part.blocks:
            _docx_block(document, block, part.language)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
