"""A corpus of hostile input files, generated at test time (nothing large is stored in the repository).

Each entry is small on disk and tries to make a reader crash, recurse too
deep, or unpack far more than it holds: nested YAML and JSON, zip archives
that claim huge sheets or unpack to hundreds of megabytes, keys given twice,
control characters.  The tests run every entry through every entry point
(parsers, CLI, the Administration page) and expect a located message, no
crash, and nothing written.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from b1mg_maturity.questionnaire import BUNDLED_MLM


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name, its ending tells the kind
    make: Callable[[], bytes]
    expect: str  # a piece of the message that must be shown


# --- YAML (questionnaires) ---------------------------------------------------------------------


def _deep_flow(depth: int) -> bytes:
    return b"id: x\nlevels: " + b"[" * depth + b"]" * depth + b"\n"


def _deep_flow_mappings(depth: int) -> bytes:
    return b"{a: " * depth + b"}" * depth + b"\n"


def _deep_block_sequences(depth: int) -> bytes:
    return b"- " * depth + b"x\n"


def _deep_indentation(depth: int) -> bytes:
    return b"".join(b" " * i + b"a:\n" for i in range(depth)) + b" " * depth + b"b\n"


def _yaml_with(title: str) -> bytes:
    """The bundled questionnaire with another title (``title`` as written inside YAML double quotes)."""
    text = BUNDLED_MLM.read_text(encoding="utf-8")
    return re.sub(r"^title:.*$", lambda _: f'title: "{title}"', text, count=1, flags=re.M).encode("utf-8")


def _alias_bomb() -> bytes:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for index in range(1, 9):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return ("\n".join(lines) + "\n").encode("utf-8")


YAML_FILES = [
    Hostile("flow-30000.yaml", lambda: _deep_flow(30_000), "nested more than"),
    Hostile("flow-1000.yaml", lambda: _deep_flow(1_000), "nested more than"),
    Hostile("flow-maps-20000.yaml", lambda: _deep_flow_mappings(20_000), "nested more than"),
    Hostile("block-seq-20000.yaml", lambda: _deep_block_sequences(20_000), "nested more than"),
    Hostile("indent-2000.yaml", lambda: _deep_indentation(2_000), "nested more than"),
    Hostile("nul-escape.yaml", lambda: _yaml_with("bad\\0title"), "U+0000 (NUL)"),
    Hostile("ansi-escape.yaml", lambda: _yaml_with("\\e[31mred\\e[0m"), "U+001B (escape)"),
    Hostile("alias-bomb.yaml", _alias_bomb, "anchors and aliases"),
    Hostile("oversize.yaml", lambda: b"# " + b"x" * (3 * 1024 * 1024) + b"\n", "at most"),
    Hostile("latin1.yaml", lambda: "title: caf\u00e9\n".encode("latin-1"), "not valid UTF-8"),
]


# --- XLSX (answers) ----------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{extra}</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="answers" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>{extra}</Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>indicator_id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>level</t></is></c></row>'
)


def _workbook(
    sheet_chunks: Iterator[bytes], *, dimension: str = "", shared_strings: Iterator[bytes] | None = None
) -> bytes:
    """A minimal XLSX (zip), the sheet written in chunks so that a big part never sits in memory whole."""
    buffer = io.BytesIO()
    extra_types = extra_rels = ""
    if shared_strings is not None:
        extra_types = (
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        extra_rels = (
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(extra=extra_types))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(extra=extra_rels))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            part.write(_SHEET_HEAD.format(dimension=dim).encode())
            for chunk in sheet_chunks:
                part.write(chunk)
            part.write(_SHEET_TAIL.encode())
        if shared_strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_strings:
                    part.write(chunk)
    return buffer.getvalue()


def _claimed_huge_sheet() -> bytes:
    """4 KB that declare A1:XFD1048576 and fill the last row: a reader that trusts the dimension pads the
    million rows between to 16,384 cells each."""
    last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return _workbook(iter([_HEADER_ROW.encode(), last.encode()]), dimension="A1:XFD1048576")


def _far_cell() -> bytes:
    """No dimension, one cell in the very last row and column."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return _workbook(iter([_HEADER_ROW.encode(), far.encode()]))


def _row_bomb(rows: int = 300_000) -> bytes:
    """Hundreds of thousands of filled rows, a megabyte or so zipped."""

    def chunks() -> Iterator[bytes]:
        yield _HEADER_ROW.encode()
        batch: list[str] = []
        for row in range(2, rows + 2):
            batch.append(f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>D1.1.1</t></is></c></row>')
            if len(batch) == 10_000:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode()

    return _workbook(chunks())


def _text_bomb(megabytes: int = 400) -> bytes:
    """One shared string that unpacks to hundreds of megabytes (a few hundred KB zipped)."""

    def strings() -> Iterator[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        )
        block = b"A" * (1024 * 1024)
        for _ in range(megabytes):
            yield block
        yield b"</t></si></sst>"

    cell = '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return _workbook(iter([_HEADER_ROW.encode(), cell.encode()]), shared_strings=strings())


def _many_parts() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(2_000):
            archive.writestr(f"junk/{index}.xml", b"")
    return buffer.getvalue()


XLSX_FILES = [
    Hostile("claimed-huge.xlsx", _claimed_huge_sheet, "1,048,576 rows"),
    Hostile("far-cell.xlsx", _far_cell, "past row"),
    Hostile("row-bomb.xlsx", _row_bomb, "rows are filled in"),
    Hostile("text-bomb.xlsx", _text_bomb, "unpacks to"),
    Hostile("many-parts.xlsx", _many_parts, "parts"),
    Hostile("not-a-zip.xlsx", lambda: b"PK\x03\x04 this is not really a zip", "not a readable .xlsx workbook"),
]

CSV_FILES = [
    Hostile("blank-lines.csv", lambda: b"indicator_id,level\n" + b"\n" * 1_000_000, "past row"),
    Hostile("many-rows.csv", lambda: b"indicator_id,level\n" + b"D1.1.1,3\n" * 200_000, "rows are filled in"),
    Hostile("huge-field.csv", lambda: b'indicator_id,level\nD1.1.1,"' + b"x" * 200_000 + b'"\n', "malformed CSV"),
]


# --- round JSON --------------------------------------------------------------------------------


def _round_document(**changes: object) -> dict[str, object]:
    document: dict[str, object] = {
        "format": "b1mg-maturity.round",
        "format_version": 1,
        "exported_at": "2026-01-01T00:00:00Z",
        "health_system": {"code": "DE", "name": "Germany", "kind": "country"},
        "round": {"label": "Hostile", "round_date": "2026-01-01", "status": "draft"},
        "questionnaire": {"id": "b1mg-mlm", "version": "1.0.0", "content_hash": "0" * 64},
    }
    document.update(changes)
    return document


def _duplicate_status() -> bytes:
    text = json.dumps(_round_document())
    return text.replace('"status": "draft"', '"status": "draft", "status": "published"').encode()


def _long_rationale() -> bytes:
    entry = {"indicator_id": "D1.1.1", "level": 3, "rationale": "x" * 15_000_000}
    return json.dumps(_round_document(consensus=[entry])).encode()


def _deep_json(depth: int) -> bytes:
    return b'{"ratings": ' + b"[" * depth + b"]" * depth + b"}"


JSON_FILES = [
    Hostile("duplicate-status.json", _duplicate_status, "round.status"),
    Hostile("long-rationale.json", _long_rationale, "consensus[0].rationale: 15,000,000 characters; at most 1,000,000"),
    Hostile("deep-100000.json", lambda: _deep_json(100_000), "nested more than"),
    Hostile("deep-2000.json", lambda: _deep_json(2_000), "nested more than"),
    Hostile(
        "nul-label.json",
        lambda: json.dumps(
            _round_document(round={"label": "a\u0000b", "round_date": "2026-01-01", "status": "draft"})
        ).encode(),
        "round.label: contains a control character U+0000 (NUL)",
    ),
]

ALL = YAML_FILES + XLSX_FILES + CSV_FILES + JSON_FILES


def write(directory: Path, hostile: Hostile) -> Path:
    path = directory / hostile.name
    path.write_bytes(hostile.make())
    return path
