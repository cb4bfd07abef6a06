"""The last touches to WeasyPrint's tag tree that PDF/UA-1 asks for (a WeasyPrint "finisher").

WeasyPrint 70 writes a tagged PDF and leaves gaps this module closes, on the ``pydyf``
objects just before the file is written:

- **Running headers and footers, and the DRAFT watermark, become artifacts.**  All
  of them are page-margin boxes (``@top-left`` ... ``@left-middle`` in
  ``reports/report.css``).  WeasyPrint marks their text as ``/Span`` content with
  an MCID, but links the structure elements it makes for them to nothing (only
  PDF 2.0 would allow artifacts in the tree): content that is neither real
  content in the tree nor an artifact (Matterhorn 01-003 / PDF/UA-1 7.1).  Every
  marked sequence whose element is not reachable from the structure tree root is
  rewritten as ``/Artifact <</Type /Pagination>> BDC`` and leaves the parent tree.
- **One table per table.**  WeasyPrint builds the tree page by page, so a table
  split over pages becomes one ``/Table`` per page, each with the repeated header
  row tagged as content.  The fragments of one HTML table are merged into the
  first; a repeated header row becomes an artifact, and the cells that named its
  header cells name the first page's header cells instead.  A row cut by a page
  break stays one row.
- **One element per element.**  For the same reason a section, list or paragraph
  cut by a page break is two elements; the second part joins the first.
- **Table header cells get a ``/Scope``**: ``/Column`` in the table's head,
  ``/Row`` in its body (the template's ``<th scope="row">``).  WeasyPrint only
  links data cells to header ids (``/Headers``).
- **An ``/IDTree``**: those ``/Headers`` name the header cells' ``/ID`` strings,
  which only resolve through the structure tree root's id tree.
- **Links are described in words**: WeasyPrint's ``/Contents`` of a link is its
  target (``domain-D1``); it becomes the link's own text ("I. Governance and
  strategy"), or "Web address ..." for an outside address with no text.  A link's
  ``::after`` content (the contents page's page number) is tagged by WeasyPrint as
  a link inside the link; it joins the link itself, and its dot leader becomes a
  layout artifact.
- **The language of text in another script**: an element whose letters are all of
  one script that names one language (Greek: ``el``, Georgian: ``ka``, Armenian:
  ``hy``), or that carries an HTML ``lang`` attribute other than the document's,
  gets ``/Lang``.  Latin and Cyrillic text is left alone: the script does not tell
  the language.

To know which structure element stands for which HTML element, the boxes of each
page are walked in the order WeasyPrint made the elements (:func:`_made`); a page
where the two do not agree is left as WeasyPrint made it (and logged).

Pure bookkeeping on objects already made: nothing is laid out or drawn again.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pydyf  # type: ignore[import-untyped]  # WeasyPrint's PDF writer, untyped

from b1mg_maturity.i18n import _

log = logging.getLogger(__name__)

PAGINATION = pydyf.Dictionary({"Type": "/Pagination"})
LAYOUT = pydyf.Dictionary({"Type": "/Layout"})

# Scripts that name one language: the first word of a letter's Unicode name -> BCP 47 tag.
SCRIPT_LANGUAGES = {"GREEK": "el", "GEORGIAN": "ka", "ARMENIAN": "hy"}


@dataclass
class TagReport:
    """What :func:`finish_tags` changed (for tests and the log)."""

    artifacts: int = 0  # marked sequences turned into artifacts
    scopes: dict[str, int] = field(default_factory=dict)  # "/Column" or "/Row" -> header cells
    ids: int = 0  # entries of the id tree
    links: list[str] = field(default_factory=list)  # the descriptions given to link annotations
    missed: int = 0  # unlinked marked content not found in a page's own content stream
    merged_tables: int = 0  # table fragments merged into the fragment before them
    repeated_rows: int = 0  # repeated header (or footer) rows made artifacts
    folded_links: int = 0  # links inside links joined to the outer link
    joined: int = 0  # elements cut by a page break joined to their first part
    languages: dict[str, int] = field(default_factory=dict)  # "/Lang" given -> elements
    unmatched_pages: list[int] = field(default_factory=list)  # pages whose boxes and elements disagree


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


# --- which structure element stands for which box ---------------------------------------------


def _made(box: Any, parent_tag: str, out: list[tuple[str | None, Any]]) -> None:
    """Append ``(tag, box)`` for each structure element WeasyPrint's ``_build_box_tree`` makes, in order.

    A replica of ``weasyprint.pdf.tags._build_box_tree`` (WeasyPrint 70) that makes nothing: the
    elements it makes are numbered in this order, so zipping the two pairs each element with its box.
    ``tag`` is None where WeasyPrint takes it from the content stream (a text run's element)."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf.tags import _get_pdf_tag

    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    element_tag = None if box.element is None else box.element_tag
    tag = _get_pdf_tag(element_tag)
    if element_tag in ("html", "body") or isinstance(box, boxes.PageBox):
        if isinstance(box, boxes.ParentBox) and not isinstance(box, boxes.LineBox):
            for child in box.children:
                _made(child, parent_tag, out)
            return
    elif isinstance(box, boxes.MarginBox):
        for child in box.children:
            _made(child, parent_tag, out)
        return
    elif tag in ("TD", "TH"):
        if parent_tag in ("TD", "TH"):
            tag = "NonStruct"
    elif tag == "LI":
        dl_item = box.element_tag in ("dt", "dd")
        no_bullet_li = box.element_tag == "li" and (
            "list-item" not in box.style["display"] or box.style["list_style_type"] == "none"
        )
        if parent_tag == "LI":
            tag = "LBody"
        elif parent_tag == "LBody":
            tag = "NonStruct"
        elif dl_item or no_bullet_li:
            out.append(("LI", None))
            _made(box, "LI", out)
            return
    out.append((tag, box))
    if tag == "Table" and box.is_table_wrapper:
        wrapper, table = box, box.get_wrapped_table()
        if table:
            box = table.copy_with_children([])
            for child in wrapper.children:
                box.children.extend(child.children if child is table else [child])
    if getattr(box, "widget_annotation", None):
        out.append(("Form", None))
    for child in getattr(box, "children", ()):
        for kid in child.children if isinstance(child, boxes.LineBox) else [child]:
            if isinstance(kid, boxes.TextBox):
                if tag != "Link":
                    out.append((None, kid))
            else:
                nested_list = kid.element_tag in ("ul", "ol") and tag == "LI"
                _made(kid, parent_tag if nested_list else tag, out)


def _boxes(document: Any, pdf: Any, report: TagReport) -> dict[int, Any]:
    """The box each structure element was made from, by the element's object number."""
    pages: dict[bytes, list[Any]] = {reference: [] for reference in pdf.page_references}
    for found in pdf.objects:
        if isinstance(found, dict) and found.get("Type") == "/StructElem" and found.get("Pg") in pages:
            pages[found["Pg"]].append(found)
    result: dict[int, Any] = {}
    for index, (page, reference) in enumerate(zip(document.pages, pdf.page_references, strict=True)):
        made: list[tuple[str | None, Any]] = []
        _made(page._page_box, "Document", made)
        elements = sorted(pages[reference], key=lambda element: element.number)
        tags = [tag for tag, _box in made]
        if len(made) != len(elements) or any(
            t is not None and e["S"] != f"/{t}" for t, e in zip(tags, elements, strict=False)
        ):
            report.unmatched_pages.append(index)
            continue
        result.update(
            {element.number: box for element, (_tag, box) in zip(elements, made, strict=True) if box is not None}
        )
    return result


# --- the tree, edited --------------------------------------------------------------------------


class _Tree:
    """Edits of the structure tree and its parent tree that keep the two in step."""

    def __init__(self, objects: _Objects, root: Any) -> None:
        self.objects = objects
        parent_tree = objects.get(root.get("ParentTree"))
        nums = parent_tree.get("Nums") if parent_tree is not None else None
        self.nums: list[Any] = nums if isinstance(nums, list) else []
        self.pages = {objects.pdf.page_references[self.nums[i]]: self.nums[i + 1] for i in self._page_entries()}
        self.layout: set[tuple[int, int]] = set()  # (page index, MCID) to mark as layout artifacts

    def _page_entries(self) -> Iterator[int]:
        for index in range(0, len(self.nums) - 1, 2):
            if isinstance(self.nums[index + 1], list) and isinstance(self.nums[index], int):
                yield index

    def kids(self, element: Any) -> list[Any]:
        """The structure elements among ``element``'s kids, in order."""
        found = (self.objects.get(kid) for kid in element.get("K") or [])
        return [kid for kid in found if isinstance(kid, dict) and kid.get("Type") == "/StructElem"]

    def descendants(self, element: Any) -> Iterator[Any]:
        for kid in self.kids(element):
            yield kid
            yield from self.descendants(kid)

    def detach(self, element: Any) -> None:
        """Take ``element`` out of its parent's kids; a parent left empty goes too (not the root's kids)."""
        parent = self.objects.get(element.get("P"))
        if parent is None or parent.get("Type") != "/StructElem" or not isinstance(parent.get("K"), list):
            return
        parent["K"][:] = [kid for kid in parent["K"] if _number(kid) != element.number]
        if not parent["K"]:
            self.detach(parent)

    def adopt(self, parent: Any, kids: list[Any]) -> None:
        for kid in kids:
            kid["P"] = parent.reference
            parent["K"].append(kid.reference)

    def move_content(self, source: Any, target: Any) -> None:
        """Move all of ``source``'s kids (elements, marked content, annotations) to the end of ``target``'s."""
        for kid in source.get("K") or []:
            if isinstance(kid, int):
                self.point(source["Pg"], kid, target)
                kid = pydyf.Dictionary({"Type": "/MCR", "MCID": kid, "Pg": source["Pg"]})
            else:
                found = self.objects.get(kid)
                if isinstance(found, dict) and found.get("Type") == "/StructElem":
                    found["P"] = target.reference
                elif isinstance(found, dict) and found.get("Type") == "/OBJR":
                    self.point_annotation(found, target)
            target["K"].append(kid)
        source["K"] = pydyf.Array()

    def mcids(self, element: Any) -> list[tuple[bytes, int]]:
        """``element``'s own marked content: ``(page reference, MCID)``."""
        found: list[tuple[bytes, int]] = []
        for kid in element.get("K") or []:
            if isinstance(kid, int):
                found.append((element["Pg"], kid))
            elif isinstance(kid, dict) and kid.get("Type") == "/MCR":
                found.append((kid.get("Pg", element["Pg"]), kid["MCID"]))
        return found

    def drop_mcid(self, page: bytes, mcid: int, *, layout: bool = False) -> None:
        """Unlink marked content from the tree: :func:`_artifacts` then marks it an artifact."""
        mapping = self.pages.get(page)
        if mapping is not None and mcid < len(mapping):
            mapping[mcid] = b"null"
            if layout:
                self.layout.add((self.objects.pdf.page_references.index(page), mcid))

    def point(self, page: bytes, mcid: int, element: Any) -> None:
        mapping = self.pages.get(page)
        if mapping is not None and mcid < len(mapping):
            mapping[mcid] = element.reference

    def point_annotation(self, objr: Any, element: Any) -> None:
        annotation = self.objects.get(objr.get("Obj"))
        key = annotation.get("StructParent") if annotation is not None else None
        for index in range(0, len(self.nums) - 1, 2):
            if self.nums[index] == key and not isinstance(self.nums[index + 1], list):
                self.nums[index + 1] = element.reference


def _rows(tree: _Tree, table: Any) -> list[tuple[Any, Any]]:
    """A table element's rows: ``(TR element, its row group element)``, in order (not inside nested tables)."""
    found: list[tuple[Any, Any]] = []
    for kid in tree.kids(table):
        if kid["S"] == "/TR":
            found.append((kid, table))
        elif kid["S"] in ("/THead", "/TBody", "/TFoot"):
            found.extend((row, kid) for row in tree.kids(kid) if row["S"] == "/TR")
    return found


def _merge_tables(tree: _Tree, boxes: dict[int, Any], report: TagReport) -> None:
    """Merge the per-page fragments of each HTML table into its first fragment."""
    fragments: dict[int, list[Any]] = {}
    for number, box in sorted(boxes.items()):
        element = tree.objects.pdf.objects[number]
        if element["S"] == "/Table" and box.element is not None:
            fragments.setdefault(id(box.element), []).append(element)
    for tables in fragments.values():
        first = tables[0]
        for later in tables[1:]:
            _merge_table(tree, boxes, first, later, report)


def _merge_table(tree: _Tree, boxes: dict[int, Any], first: Any, later: Any, report: TagReport) -> None:
    """Move what ``later`` adds to ``first``: its new rows, each into ``first``'s row group of its kind."""
    seen = {id(boxes[row.number].element): row for row, _group in _rows(tree, first) if row.number in boxes}
    renamed: dict[str, pydyf.String] = {}
    for part in tree.kids(later):
        is_group = part["S"] in ("/THead", "/TBody", "/TFoot")
        if not is_group and part["S"] != "/TR":
            if part.get("K"):  # a caption left for the next page; an empty column group is left out
                tree.adopt(first, [part])
            continue
        fresh: list[Any] = []
        for row in [r for r in tree.kids(part) if r["S"] == "/TR"] if is_group else [part]:
            box = boxes.get(row.number)
            earlier = seen.get(id(box.element)) if box is not None else None
            if earlier is None:
                fresh.append(row)
                continue
            # a repeated head or foot row, or the rest of a row the page break cut
            for old, new in zip(tree.kids(earlier), tree.kids(row), strict=False):
                if isinstance(new.get("ID"), pydyf.String) and isinstance(old.get("ID"), pydyf.String):
                    renamed[str(new["ID"].string)] = old["ID"]
            if part["S"] in ("/THead", "/TFoot"):
                for element in [row, *tree.descendants(row)]:
                    for page, mcid in tree.mcids(element):
                        tree.drop_mcid(page, mcid)
                report.repeated_rows += 1
            else:
                for old, new in zip(tree.kids(earlier), tree.kids(row), strict=False):
                    tree.move_content(new, old)
        if not fresh:
            continue
        target = next((kid for kid in reversed(tree.kids(first)) if kid["S"] == part["S"]), None) if is_group else first
        if target is None:  # the first of its kind: the group moves, with its new rows only
            part["K"] = pydyf.Array(row.reference for row in fresh)
            tree.adopt(first, [part])
        else:
            tree.adopt(target, fresh)
    for element in tree.descendants(first):
        headers = element.get("A", {}).get("Headers") if isinstance(element.get("A"), dict) else None
        if isinstance(headers, list):
            element["A"]["Headers"] = pydyf.Array(renamed.get(str(h.string), h) for h in headers)
    tree.detach(later)
    report.merged_tables += 1


def _join_pages(tree: _Tree, document_element: Any, boxes: dict[int, Any], report: TagReport) -> None:
    """Join the elements a page break cut in two (a section, a list, a paragraph) into one element.

    At each page break, the last element of one page and the first of the next are walked down
    side by side (the last kid of the one, the first kid of the other) while both are made from
    the same HTML element: the later one's kids move to the earlier one, which it then leaves."""
    pages: dict[bytes, list[Any]] = {}
    for kid in tree.kids(document_element):
        pages.setdefault(kid.get("Pg"), []).append(kid)
    previous = None  # the last element at the top so far, once its later parts are joined to it
    for reference in tree.objects.pdf.page_references:
        tops = pages.get(reference)
        if not tops:
            continue
        joined = False
        earlier, later = previous, tops[0]
        while earlier is not None and later is not None and _same(boxes, earlier, later):
            last = tree.kids(earlier)[-1] if tree.kids(earlier) else None
            first = tree.kids(later)[0] if tree.kids(later) else None
            tree.move_content(later, earlier)
            tree.detach(later)
            report.joined += 1
            joined = joined or later is tops[0]
            earlier, later = last, first
        previous = previous if joined and len(tops) == 1 else tops[-1]


def _same(boxes: dict[int, Any], one: Any, other: Any) -> bool:
    """Whether two elements are made from one HTML element (and neither is a text run)."""
    from weasyprint.formatting_structure import boxes as kinds

    first, second = boxes.get(one.number), boxes.get(other.number)
    return (
        first is not None
        and second is not None
        and first.element is not None
        and first.element is second.element
        and one["S"] == other["S"]
        and not isinstance(first, kinds.TextBox)
        and not isinstance(second, kinds.TextBox)
    )


def _fold_links(tree: _Tree, boxes: dict[int, Any], links: list[Any], report: TagReport) -> None:
    """Join each link inside a link (``a::after`` content) to the outer link; dot leaders become artifacts."""
    for link in links:
        parent = tree.objects.get(link.get("P"))
        if parent is None or parent.get("S") != "/Link" or parent.get("Type") != "/StructElem":
            continue
        outer = parent
        while (above := tree.objects.get(outer.get("P"))) is not None and above.get("S") == "/Link":
            outer = above
        leader = getattr(boxes.get(link.number), "is_leader", False)
        spliced: list[Any] = []
        for kid in link.get("K") or []:
            if isinstance(kid, int):
                if leader:
                    tree.drop_mcid(link["Pg"], kid, layout=True)
                    continue
                tree.point(link["Pg"], kid, outer)
                kid = (
                    kid
                    if link["Pg"] == outer["Pg"]
                    else pydyf.Dictionary({"Type": "/MCR", "MCID": kid, "Pg": link["Pg"]})
                )
            else:
                objr = tree.objects.get(kid)
                if isinstance(objr, dict) and objr.get("Type") == "/OBJR":
                    tree.point_annotation(objr, outer)
                else:
                    nested = objr if isinstance(objr, dict) and objr.get("Type") == "/StructElem" else None
                    if nested is not None:
                        nested["P"] = outer.reference
            spliced.append(kid)
        # the folded link's place in its parent is taken by what it held
        at = next(i for i, kid in enumerate(parent["K"]) if _number(kid) == link.number)
        parent["K"][at : at + 1] = spliced
        report.folded_links += 1


def _script_language(text: str) -> str | None:
    """The language of ``text`` when all its letters are of one script that names one language."""
    found: set[str | None] = set()
    for letter in text:
        if letter.isalpha():
            found.add(SCRIPT_LANGUAGES.get(unicodedata.name(letter, "").split(" ")[0]))
    return found.pop() if len(found) == 1 else None


def _box_text(box: Any) -> str:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return str(box.text)
    return "".join(_box_text(child) for child in getattr(box, "children", ()))


def _languages(tree: _Tree, root: Any, boxes: dict[int, Any], language: str, report: TagReport) -> None:
    """``/Lang`` on the highest elements whose language differs from the document's and is known."""
    document = language.lower().split("-")[0]

    def visit(element: Any, inherited: str) -> None:
        box = boxes.get(element.number)
        own = inherited
        if box is not None:
            declared = box.element.get("lang") if box.element is not None and element["S"] != "/NonStruct" else None
            own = str(declared).lower() if declared else (_script_language(_box_text(box)) or inherited)
        if own != inherited:
            element["Lang"] = pydyf.String(own)
            report.languages[own] = report.languages.get(own, 0) + 1
        for kid in tree.kids(element):
            visit(kid, own)

    for top in tree.kids(root):
        visit(top, document)


def _artifacts(
    objects: _Objects, root: Any, in_tree: set[int], layout: set[tuple[int, int]], report: TagReport
) -> None:
    """Turn the marked content of elements outside the tree (page-margin boxes, repeats, leaders) into artifacts."""
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
        kinds = {mcid: LAYOUT if (page_index, mcid) in layout else PAGINATION for mcid in outside}
        found = _mark_artifacts(stream.stream, kinds) if stream is not None else set()
        report.artifacts += len(found)
        report.missed += len(outside - found)
        for mcid in found:
            mapping[mcid] = b"null"


def _mark_artifacts(operations: list[Any], kinds: dict[int, Any]) -> set[int]:
    """Rewrite ``/Tag <</MCID n>> BDC`` as an artifact of kind ``kinds[n]``; the MCIDs rewritten."""
    done: set[int] = set()
    for at in range(len(operations) - 2):
        properties = operations[at + 1]
        if operations[at + 2] != b"BDC" or not isinstance(properties, dict):
            continue
        mcid = properties.get("MCID")
        if mcid in kinds and isinstance(operations[at], str) and operations[at].startswith("/"):
            operations[at] = "/Artifact"
            operations[at + 1] = kinds[mcid]
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
                if link_type == "external":
                    text = _("Web address {address}", address=target)
                else:
                    text = _("Go to another part of the report")
            annotation["Contents"] = pydyf.String(text)
            report.links.append(text)


def finish_tags(document: Any, pdf: Any) -> TagReport:
    """Close the PDF/UA gaps of WeasyPrint's tagging in place (see the module docstring); what changed."""
    report = TagReport()
    objects = _Objects(pdf)
    root = objects.get(pdf.catalog.get("StructTreeRoot"))
    if root is None:
        return report  # an untagged document: nothing to finish
    tree = _Tree(objects, root)
    boxes = _boxes(document, pdf, report)
    if report.unmatched_pages:
        log.warning("report PDF: boxes and tags disagree on pages %s; left as made", report.unmatched_pages)
    _merge_tables(tree, boxes, report)
    document_element = objects.get((root.get("K") or [None])[0])
    if document_element is not None:
        _join_pages(tree, document_element, boxes, report)
    links = [objects.pdf.objects[n] for n in sorted(boxes) if objects.pdf.objects[n]["S"] == "/Link"]
    _fold_links(tree, boxes, links, report)
    language = pdf.catalog.get("Lang")
    if isinstance(language, pydyf.String) and language.string:
        _languages(tree, root, boxes, str(language.string), report)
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
    _artifacts(objects, root, in_tree, tree.layout, report)
    if ids:
        names = pydyf.Array()
        for key, reference in sorted(ids, key=lambda item: item[0].encode("utf-8")):
            names.extend([pydyf.String(key), reference])
        id_tree = pydyf.Dictionary({"Names": names})
        pdf.add_object(id_tree)
        root["IDTree"] = id_tree.reference
        report.ids = len(ids)
    _describe_links(document, report)
    if report.missed:
        log.warning("report PDF: %d marked sequences outside the tag tree were not found to mark", report.missed)
    return report


__all__ = ["TagReport", "finish_tags"]
