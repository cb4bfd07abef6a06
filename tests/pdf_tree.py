"""A tagged PDF read back as a screen reader meets it: the structure tree walked from its root.

pikepdf reads the tree and the content streams, pdfplumber the text of each marked sequence
(decoded through the fonts).  Everything is copied into plain values, so the file can be closed.
Used by the PDF/UA tests; no rule of the report lives here.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf

# Operators that put marks on the page (text, paths, images, shadings, forms).
PAINT = {"Tj", "TJ", "'", '"', "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "Do", "sh", "BI"}

Ref = tuple[int, int]  # an indirect object's (number, generation)


def _plain(value: Any) -> Any:
    if isinstance(value, pikepdf.Name):
        return str(value)
    if isinstance(value, pikepdf.String):
        return str(value)
    if isinstance(value, pikepdf.Array):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float | str):
        return value
    return repr(value)


@dataclasses.dataclass
class Element:
    """One structure element reachable from the root, as plain values."""

    ref: Ref
    tag: str  # "TH", "Table" ...
    parent: Element | None
    attributes: dict[str, Any]  # the /A dictionaries merged, names without the slash
    identifier: str | None  # /ID
    lang: str | None  # /Lang
    alt: str | None  # /Alt or /ActualText
    kids: list[Element] = dataclasses.field(default_factory=list)
    mcids: list[tuple[int, int]] = dataclasses.field(default_factory=list)  # (page index, MCID), in order
    annotations: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # /OBJR targets: Subtype, Contents

    def walk(self) -> list[Element]:
        found = [self]
        for kid in self.kids:
            found.extend(kid.walk())
        return found

    def text(self, texts: dict[tuple[int, int], str]) -> str:
        """What a screen reader reads here: the /Alt or /ActualText, else the text of the content below."""
        if self.alt is not None:
            return self.alt
        return "".join([texts.get(m, "") for m in self.mcids] + [kid.text(texts) for kid in self.kids])

    def pages(self) -> set[int]:
        return {page for element in self.walk() for page, _ in element.mcids}


@dataclasses.dataclass(frozen=True)
class Sequence:
    """One marked-content sequence of a page's content stream."""

    page: int
    tag: str  # "Span", "Artifact" ...
    mcid: int | None
    artifact: bool  # itself or an enclosing sequence is an artifact
    depth: int  # 0: outermost


@dataclasses.dataclass
class Tree:
    roots: list[Element]
    pages: int
    struct_parents: list[int | None]  # each page's /StructParents
    sequences: list[Sequence]
    unmarked: dict[int, list[str]]  # page index -> painting operators outside any marked sequence
    texts: dict[tuple[int, int], str]  # (page index, MCID) -> the text drawn in it
    artifact_text: dict[int, str]  # page index -> the text drawn inside artifacts
    parent_tree: dict[int, Any]  # StructParent(s) key -> list of element refs (None for null), or one ref
    id_tree: dict[str, Ref]
    role_map: dict[str, str]

    def elements(self) -> list[Element]:
        return [element for root in self.roots for element in root.walk()]

    def tag(self, element: Element) -> str:
        """The standard structure type of ``element`` (through the role map)."""
        return self.role_map.get(element.tag, element.tag)


def _attributes(node: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    groups = node.get("/A")
    for group in groups if isinstance(groups, pikepdf.Array) else [groups]:
        if isinstance(group, pikepdf.Dictionary):
            found.update({str(k)[1:]: _plain(v) for k, v in group.items()})
    return found


def _build(node: Any, parent: Element | None, pages: dict[Ref, int], seen: set[Ref]) -> Element:
    alt = node.get("/ActualText", node.get("/Alt"))
    element = Element(
        ref=node.objgen,
        tag=str(node.S)[1:],
        parent=parent,
        attributes=_attributes(node),
        identifier=str(node.ID) if "/ID" in node else None,
        lang=str(node.Lang) if "/Lang" in node else None,
        alt=str(alt) if alt is not None else None,
    )
    seen.add(node.objgen)
    page = node.get("/Pg")
    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]:
        if isinstance(kid, int):
            assert page is not None, f"MCID {kid} of {element.tag} without a page"
            element.mcids.append((pages[page.objgen], int(kid)))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            where = kid.get("/Pg", page)
            assert where is not None and "/Stm" not in kid, f"a marked content reference of {element.tag}"
            element.mcids.append((pages[where.objgen], int(kid.MCID)))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            target = kid.Obj
            element.annotations.append(
                {"Subtype": _plain(target.get("/Subtype")), "Contents": _plain(target.get("/Contents"))}
            )
        elif isinstance(kid, pikepdf.Dictionary) and kid.objgen not in seen:
            element.kids.append(_build(kid, element, pages, seen))
    return element


def _sequences(pdf: pikepdf.Pdf) -> tuple[list[Sequence], dict[int, list[str]]]:
    sequences: list[Sequence] = []
    unmarked: dict[int, list[str]] = defaultdict(list)
    for index, page in enumerate(pdf.pages):
        stack: list[Sequence] = []
        for instruction in pikepdf.parse_content_stream(page):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                if not stack:
                    unmarked[index].append("BI")
                continue
            operands, name = instruction.operands, str(instruction.operator)
            if name in ("BDC", "BMC"):
                properties = operands[1] if name == "BDC" else None
                mcid = properties.get("/MCID") if isinstance(properties, pikepdf.Dictionary) else None
                tag = str(operands[0])[1:]
                artifact = tag == "Artifact" or any(s.artifact for s in stack)
                sequence = Sequence(index, tag, int(mcid) if mcid is not None else None, artifact, len(stack))
                stack.append(sequence)
                sequences.append(sequence)
            elif name == "EMC":
                stack.pop()
            elif name in PAINT and not stack:
                unmarked[index].append(name)
    return sequences, dict(unmarked)


def _texts(path: Path) -> tuple[dict[tuple[int, int], str], dict[int, str]]:
    texts: dict[tuple[int, int], list[str]] = defaultdict(list)
    artifacts: dict[int, list[str]] = defaultdict(list)
    with pdfplumber.open(path) as document:
        for index, page in enumerate(document.pages):
            for char in page.chars:
                if char.get("tag") == "Artifact":
                    artifacts[index].append(char["text"])
                elif char.get("mcid") is not None:
                    texts[(index, int(char["mcid"]))].append(char["text"])
    return {k: "".join(v) for k, v in texts.items()}, {k: "".join(v) for k, v in artifacts.items()}


def _tree(node: Any, key: str) -> dict[Any, Any]:
    """The leaves of a number tree (``/Nums``) or a name tree (``/Names``)."""
    found: dict[Any, Any] = {}
    pairs = node.get(key)
    if pairs is not None:
        found.update({_plain(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)})
    for kid in node.get("/Kids", []):
        found.update(_tree(kid, key))
    return found


def _ref(value: Any) -> Ref | None:
    return value.objgen if isinstance(value, pikepdf.Dictionary) and value.is_indirect else None


def read_tree(path: Path) -> Tree:
    """The structure tree, the marked sequences and their texts of the PDF at ``path``."""
    with pikepdf.open(path) as pdf:
        pages: dict[Ref, int] = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        root = pdf.Root.StructTreeRoot
        kids = root.K if isinstance(root.K, pikepdf.Array) else [root.K]
        seen: set[Ref] = set()
        roots = [_build(kid, None, pages, seen) for kid in kids]
        sequences, unmarked = _sequences(pdf)
        parent_tree = {
            int(key): [_ref(v) for v in value] if isinstance(value, pikepdf.Array) else _ref(value)
            for key, value in (_tree(root.ParentTree, "/Nums") if "/ParentTree" in root else {}).items()
        }
        ids = {str(k): v.objgen for k, v in (_tree(root.IDTree, "/Names") if "/IDTree" in root else {}).items()}
        role_map = {str(k)[1:]: str(v)[1:] for k, v in root.get("/RoleMap", {}).items()}
        struct_parents = [int(p.obj["/StructParents"]) if "/StructParents" in p.obj else None for p in pdf.pages]
        count = len(pdf.pages)
    texts, artifact_text = _texts(path)
    return Tree(roots, count, struct_parents, sequences, unmarked, texts, artifact_text, parent_tree, ids, role_map)


def struct_nodes(node: Any) -> Iterator[Any]:
    """Every node of a structure tree as pypdf reads it (``root["/StructTreeRoot"]``), parents first."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if not isinstance(node, dict):
        return
    yield node
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        yield from struct_nodes(kid)
