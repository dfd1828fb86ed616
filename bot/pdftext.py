"""Text in a PDF that reads back as it shows: Khmer shaped by HarfBuzz, each shaped cluster drawn as one glyph.

A PDF viewer turns drawn glyph codes back into text with the font's ToUnicode map: one string per code. Khmer
shaping reorders and stacks glyphs (a coeng-ro drawn before its consonant, a subscript under it, a vowel
above), so one glyph of the font belongs to different text in different words, and a PDF that draws the
font's own glyphs cannot say which: copying "ស្ត្រី" gave "ស្តលើ"-like strings. Here every shaped cluster (a
Khmer syllable such as ស្ត្រី, a Latin letter, a space) becomes one glyph of the embedded font, a composite of
the glyphs HarfBuzz chose at the offsets it gave them, and its code maps back to exactly the cluster's text.
The page shows what HarfBuzz shaped; copying, searching and text extraction give back what was written.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache, lru_cache

import pydyf
import uharfbuzz as hb
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent
from fontTools.varLib import instancer

from bot.posters import FONT_PATH

REGULAR, BOLD = 400, 700
_KHMER = ((0x1780, 0x17FF), (0x19E0, 0x19FF))
_ROUND_XY_TO_GRID = 0x0004


@dataclass(frozen=True)
class Cluster:
    """The smallest piece of shaped text that can be drawn and copied on its own: its text, the glyphs that
    draw it (glyph id, x, y in font units from the cluster's origin) and how far it moves the pen."""

    text: str
    glyphs: tuple[tuple[int, int, int], ...]
    advance: int

    @property
    def is_space(self) -> bool:
        return self.text.isspace()


def _is_khmer(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _KHMER)


def script_runs(text: str) -> list[str]:
    """The text cut where it changes between Khmer and other scripts; spaces and digits go with what precedes."""
    runs: list[str] = []
    current: list[str] = []
    khmer: bool | None = None
    for char in text:
        kind = _is_khmer(char) if char.isalpha() or _is_khmer(char) else khmer
        if current and kind is not None and khmer is not None and kind != khmer:
            runs.append("".join(current))
            current = []
        current.append(char)
        khmer = kind if kind is not None else khmer
    if current:
        runs.append("".join(current))
    return runs


class Face:
    """One weight of Noto Sans Khmer, made static (PDF viewers do not apply font variations), and its shaper."""

    def __init__(self, weight: int) -> None:
        font = instancer.instantiateVariableFont(TTFont(FONT_PATH), {"wght": weight, "wdth": 100})
        buffer = io.BytesIO()
        font.save(buffer)
        self.weight = weight
        self.data = buffer.getvalue()
        self.upem = font["head"].unitsPerEm
        self.ascent = font["hhea"].ascent / self.upem
        self.descent = -font["hhea"].descent / self.upem
        self.cap_height = font["OS/2"].sCapHeight / self.upem
        self.bbox = [font["head"].xMin, font["head"].yMin, font["head"].xMax, font["head"].yMax]
        family = (font["name"].getDebugName(1) or "NotoSansKhmer").replace(" ", "")
        self.name = f"{family}-{'Bold' if weight >= BOLD else 'Regular'}"
        self._font = hb.Font(hb.Face(hb.Blob(self.data)))

    def shape(self, text: str) -> tuple[Cluster, ...]:
        """The text as HarfBuzz shapes it, cluster by cluster, in order."""
        return _shape(self, text)

    def width(self, clusters, size: float) -> float:
        """Width in points of clusters drawn at `size` points."""
        return sum(cluster.advance for cluster in clusters) * size / self.upem

    def _shape_run(self, run: str) -> list[Cluster]:
        buffer = hb.Buffer()
        buffer.add_str(run)
        buffer.guess_segment_properties()
        if any(_is_khmer(char) for char in run):
            buffer.language = "km"
        hb.shape(self._font, buffer, {})
        infos, positions = buffer.glyph_infos, buffer.glyph_positions
        starts = sorted({info.cluster for info in infos}) + [len(run)]
        following = dict(zip(starts, starts[1:]))
        clusters: list[Cluster] = []
        index = 0
        while index < len(infos):
            start = infos[index].cluster
            glyphs, pen = [], 0
            while index < len(infos) and infos[index].cluster == start:
                position = positions[index]
                glyphs.append((infos[index].codepoint, pen + position.x_offset, position.y_offset))
                pen += position.x_advance
                index += 1
            clusters.append(Cluster(run[start:following[start]], tuple(glyphs), pen))
        return clusters


@lru_cache(maxsize=20_000)
def _shape(face: Face, text: str) -> tuple[Cluster, ...]:
    return tuple(cluster for run in script_runs(text) for cluster in face._shape_run(run))


@cache
def face(weight: int = REGULAR) -> Face:
    """The face of that weight, made once per process (instancing the variable font takes a moment)."""
    return Face(weight)


class FontUse:
    """What one face drew in one document: a code per distinct cluster, written out as an embedded subset."""

    def __init__(self, face: Face) -> None:
        self.face = face
        self.codes: dict[Cluster, int] = {}

    def encode(self, clusters) -> str:
        """The clusters as a hex string for the Tj operator (two bytes a cluster, Identity-H)."""
        codes = []
        for cluster in clusters:
            code = self.codes.get(cluster)
            if code is None:
                code = self.codes[cluster] = len(self.codes) + 1
            codes.append(f"{code:04X}")
        return "<" + "".join(codes) + ">"

    def write(self, pdf: pydyf.PDF) -> pydyf.Dictionary:
        """Adds the font (a subset with one glyph per cluster, its widths and ToUnicode map) to the PDF."""
        program, gids = self._program()
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(program).digest()[:6])
        name = f"/{tag}+{self.face.name}"
        file = pydyf.Stream([program], {"Length1": len(program)}, compress=True)
        pdf.add_object(file)
        descriptor = pydyf.Dictionary({
            "Type": "/FontDescriptor", "FontName": name, "Flags": 4, "FontBBox": pydyf.Array(self.face.bbox),
            "ItalicAngle": 0, "Ascent": round(self.face.ascent * 1000), "Descent": -round(self.face.descent * 1000),
            "CapHeight": round(self.face.cap_height * 1000), "StemV": 80 if self.face.weight < BOLD else 140,
            "FontFile2": file.reference})
        pdf.add_object(descriptor)
        ordered = sorted(self.codes.items(), key=lambda item: item[1])
        cid_to_gid = bytearray(2 * (len(ordered) + 1))
        for cluster, code in ordered:
            cid_to_gid[2 * code:2 * code + 2] = gids[code].to_bytes(2, "big")
        mapping = pydyf.Stream([bytes(cid_to_gid)], compress=True)
        pdf.add_object(mapping)
        widths = pydyf.Array([1, pydyf.Array([round(c.advance * 1000 / self.face.upem) for c, _code in ordered])])
        descendant = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/CIDFontType2", "BaseFont": name,
            "CIDSystemInfo": pydyf.Dictionary({"Registry": pydyf.String("Adobe"),
                                               "Ordering": pydyf.String("Identity"), "Supplement": 0}),
            "FontDescriptor": descriptor.reference, "W": widths, "CIDToGIDMap": mapping.reference})
        pdf.add_object(descendant)
        to_unicode = pydyf.Stream(_to_unicode(ordered), compress=True)
        pdf.add_object(to_unicode)
        font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type0", "BaseFont": name, "Encoding": "/Identity-H",
                                 "DescendantFonts": pydyf.Array([descendant.reference]),
                                 "ToUnicode": to_unicode.reference})
        pdf.add_object(font)
        return font

    def _program(self) -> tuple[bytes, dict[int, int]]:
        """The subset font file, and the glyph id in it of each code."""
        font = TTFont(io.BytesIO(self.face.data))
        order = list(font.getGlyphOrder())
        glyf, hmtx = font["glyf"], font["hmtx"]
        names: dict[int, str] = {}
        added: list[str] = []
        for cluster, code in self.codes.items():
            if _plain(cluster, order, hmtx):
                names[code] = order[cluster.glyphs[0][0]]
                continue
            names[code] = f"cluster{code}"
            glyf[names[code]] = _composite(cluster, order)
            glyf[names[code]].recalcBounds(glyf)
            hmtx[names[code]] = (cluster.advance, getattr(glyf[names[code]], "xMin", 0))
            added.append(names[code])
        font.setGlyphOrder(order + added)
        glyf.glyphOrder = font.getGlyphOrder()
        options = subset.Options()
        options.glyph_names = True
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "STAT", "HVAR", "MVAR", "DSIG"]
        options.notdef_outline = True
        options.name_IDs = [1, 2, 3, 4, 6]
        subsetter = subset.Subsetter(options)
        subsetter.populate(glyphs=sorted(set(names.values())))
        subsetter.subset(font)
        position = {glyph: index for index, glyph in enumerate(font.getGlyphOrder())}
        font["post"].formatType = 3.0
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue(), {code: position[name] for code, name in names.items()}


def _plain(cluster: Cluster, order: list[str], hmtx) -> bool:
    """Whether the font's own glyph draws the cluster as shaped (one glyph, no offset, its own width)."""
    if len(cluster.glyphs) != 1:
        return False
    gid, x, y = cluster.glyphs[0]
    return (x, y) == (0, 0) and hmtx[order[gid]][0] == cluster.advance


def _composite(cluster: Cluster, order: list[str]) -> Glyph:
    """A glyph made of the cluster's glyphs at their shaped offsets."""
    glyph = Glyph()
    glyph.numberOfContours = -1
    glyph.components = []
    for gid, x, y in cluster.glyphs:
        component = GlyphComponent()
        component.glyphName = order[gid]
        component.x, component.y = x, y
        component.flags = _ROUND_XY_TO_GRID
        glyph.components.append(component)
    return glyph


def _to_unicode(ordered: list[tuple[Cluster, int]]) -> list[bytes]:
    """The ToUnicode CMap: each code back to its cluster's text."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    entries = [f"<{code:04X}> <{cluster.text.encode('utf-16-be').hex().upper()}>" for cluster, code in ordered]
    for start in range(0, len(entries), 100):
        chunk = entries[start:start + 100]
        lines += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return [line.encode("ascii") for line in lines]
