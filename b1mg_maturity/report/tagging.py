"""The last touches to WeasyPrint's tag tree that PDF/UA-1 asks for (a WeasyPrint "finisher").

WeasyPrint 70 writes a tagged PDF and leaves four gaps this module closes, on the
``pydyf`` objects just before the file is written:

- **Running headers and footers, and the DRAFT watermark, become artifacts.**  All
  of them are page-margin boxes (``@top-left`` ... ``@left-middle`` in
  ``reports/report.css``).  WeasyPrint marks their text as ``/Span`` content with
  an MCID, but links the structure elements it makes for them to nothing (only
  PDF 2.0 would allow artifacts in the tree): content that is neither real
  content in the tree nor an artifact (Matterhorn 01-003 / PDF/UA-1 7.1).  Every
  marked sequence whose element is not reachable from the structure tree root is
  rewritten as ``/Artifact <</Type /Pagination>> BDC`` and leaves the parent tree.
- **Table header cells get a ``/Scope``**: ``/Column`` in the table's head,
  ``/Row`` in its body (the template's ``<th scope="row">``).  WeasyPrint only
  links data cells to header ids (``/Headers``).
- **An ``/IDTree``**: those ``/Headers`` name the header cells' ``/ID`` strings,
  which only resolve through the structure tree root's id tree.
- **Links are described in words**: WeasyPrint's ``/Contents`` of a link is its
  target (``domain-D1``); it becomes the link's own text ("I. Governance and
  strategy"), or "Web address ..." for an outside address with no text.

Pure bookkeeping on objects already made: nothing is laid out or drawn again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pydyf  # type: ignore[import-untyped]  # WeasyPrint's PDF writer, untyped

log = logging.getLogger(__name__)

PAGINATION = pydyf.Dictionary({"Type": "/Pagination"})


@dataclass
class TagReport:
    """What :func:`finish_tags` changed (for tests and the log)."""

    artifacts: int = 0  # marked sequences turned into artifacts
    scopes: dict[str, int] = field(default_factory=dict)  # "/Column" or "/Row" -> header cells
    ids: int = 0  # entries of the id tree
    links: list[str] = field(default_factory=list)  # the descriptions given to link annotations
    missed: int = 0  # unlinked marked content not found in a page's own content stream


def _number(reference: Any) -> int | None:
    """The object number of an indirect reference as pydyf holds it (``b"12 0 R"``)."""
    if isinstance(reference, bytes | str):
        text = reference.decode("ascii") if isinstance(reference, bytes) else reference
        parts = text.split()
        if len(parts) == 3 and parts[2] == "R" and parts[0].isdigit():
            return int(parts[0])
    return None


class _Objects:
    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf

    def get(self, reference: Any) -> Any:
        number = _number(reference)
        if number is None or number >= len(self.pdf.objects):
            return None
        found = self.pdf.objects[number]
        return found if found.number == number else None


def _elements(objects: _Objects, root: Any) -> Iterator[tuple[int, Any, Any]]:
    """Every structure element under ``root``: ``(object number, element, parent element)``, parents first."""
    stack: list[tuple[Any, Any]] = [(kid, None) for kid in reversed(root.get("K") or [])]
    seen: set[int] = set()
    while stack:
        reference, parent = stack.pop()
        number = _number(reference)
        element = objects.get(reference)
        if number is None or number in seen or not isinstance(element, dict) or element.get("Type") != "/StructElem":
            continue
        seen.add(number)
        yield number, element, parent
        kids = element.get("K")
        if isinstance(kids, list):
            stack.extend((kid, element) for kid in reversed(kids))


def _artifacts(objects: _Objects, root: Any, in_tree: set[int], report: TagReport) -> None:
    """Turn the marked content of elements outside the tree (the page-margin boxes) into artifacts."""
    parent_tree = objects.get(root.get("ParentTree"))
    if parent_tree is None:
        return
    nums = parent_tree.get("Nums") or []
    for index in range(0, len(nums) - 1, 2):
        page_index, mapping = nums[index], nums[index + 1]
        if not isinstance(mapping, list) or not isinstance(page_index, int):
            continue  # an annotation's entry: a single reference, not a page's MCID array
        outside = {mcid for mcid, ref in enumerate(mapping) if _number(ref) not in in_tree}
        if not outside:
            continue
        page = objects.get(objects.pdf.page_references[page_index])
        stream = objects.get(page.get("Contents")) if page is not None else None
        found = _mark_artifacts(stream.stream, outside) if stream is not None else set()
        report.artifacts += len(found)
        report.missed += len(outside - found)
        for mcid in found:
            mapping[mcid] = b"null"


def _mark_artifacts(operations: list[Any], mcids: set[int]) -> set[int]:
    """Rewrite ``/Tag <</MCID n>> BDC`` as an artifact for each ``n`` in ``mcids``; the MCIDs rewritten."""
    done: set[int] = set()
    for at in range(len(operations) - 2):
        properties = operations[at + 1]
        if operations[at + 2] != b"BDC" or not isinstance(properties, dict):
            continue
        mcid = properties.get("MCID")
        if mcid in mcids and isinstance(operations[at], str) and operations[at].startswith("/"):
            operations[at] = "/Artifact"
            operations[at + 1] = PAGINATION
            done.add(mcid)
    return done


def _scope(objects: _Objects, row: Any) -> str:
    group = objects.get(row.get("P")) if row is not None else None
    return "/Column" if group is not None and group.get("S") == "/THead" else "/Row"


def _link_text(box: Any) -> str:
    element = getattr(box, "element", None)
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _describe_links(document: Any, report: TagReport) -> None:
    for page in document.pages:
        for link_type, target, _rectangle, box in page.links:
            annotation = getattr(box, "link_annotation", None)
            if annotation is None or "Contents" not in annotation:
                continue
            text = _link_text(box)
            if not text:
                text = f"Web address {target}" if link_type == "external" else "Go to another part of the report"
            annotation["Contents"] = pydyf.String(text)
            report.links.append(text)


def finish_tags(document: Any, pdf: Any) -> TagReport:
    """Close the PDF/UA gaps of WeasyPrint's tagging in place (see the module docstring); what changed."""
    report = TagReport()
    objects = _Objects(pdf)
    root = objects.get(pdf.catalog.get("StructTreeRoot"))
    if root is None:
        return report  # an untagged document: nothing to finish
    in_tree: set[int] = set()
    ids: list[tuple[str, bytes]] = []
    for number, element, parent in _elements(objects, root):
        in_tree.add(number)
        if element.get("S") == "/TH":
            attributes = element.get("A")
            if isinstance(attributes, dict):
                scope = _scope(objects, parent)
                attributes["Scope"] = scope
                report.scopes[scope] = report.scopes.get(scope, 0) + 1
        identifier = element.get("ID")
        if isinstance(identifier, pydyf.String):
            ids.append((str(identifier.string), element.reference))
    _artifacts(objects, root, in_tree, report)
    if ids:
        names = pydyf.Array()
        for key, reference in sorted(ids, key=lambda item: item[0].encode("utf-8")):
            names.extend([pydyf.String(key), reference])
        tree = pydyf.Dictionary({"Names": names})
        pdf.add_object(tree)
        root["IDTree"] = tree.reference
        report.ids = len(ids)
    _describe_links(document, report)
    if report.missed:
        log.warning("report PDF: %d marked sequences outside the tag tree were not found to mark", report.missed)
    return report


__all__ = ["TagReport", "finish_tags"]
