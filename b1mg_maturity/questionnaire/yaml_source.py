"""Read YAML safely while remembering where every value came from.

The questionnaire loader needs ``PATH:LINE:COL`` for every error, so parsing
keeps the node marks: :func:`read_marked_yaml` returns the plain data together
with a table from each value's path (keys and list indices) to its position.
Reading is bounded (file size, and nesting depth: the events are scanned
before anything is composed, because composing is recursive and 30,000
nested ``[`` crash libyaml's composer or exhaust Python's recursion), uses
PyYAML's safe composer, refuses anchors and aliases (no alias bombs, no
shared values), duplicate mapping keys, which PyYAML would otherwise resolve
silently to the last one, and control characters in text (see
:mod:`b1mg_maturity.text_rules`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from b1mg_maturity.errors import Problem
from b1mg_maturity.text_rules import control_problem

MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_DEPTH = 32  # a questionnaire nests 8 deep (domains, subdomains, indicators, levels)

# libyaml's parser when PyYAML was built with it (the wheels are): same safe rules, several times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class MarkedDocument:
    """Plain data read from YAML, with the position of every value and key."""

    name: str
    data: Any
    value_positions: dict[PathKey, Position] = field(default_factory=dict)
    key_positions: dict[PathKey, Position] = field(default_factory=dict)

    def where(self, path: PathKey, *, key: bool = False) -> str:
        """``name:line:col`` of the deepest known value on ``path``.

        With ``key=True`` the position of the mapping key itself is preferred
        (used for unknown-key errors, so the caret lands on the typo).
        """
        if key and path in self.key_positions:
            at_key = self.key_positions[path]
            return f"{self.name}:{at_key.line}:{at_key.column}"
        for cut in range(len(path), -1, -1):
            at_value = self.value_positions.get(path[:cut])
            if at_value is not None:
                return f"{self.name}:{at_value.line}:{at_value.column}"
        return f"{self.name}:1:1"


class YamlReadError(Exception):
    """The bytes could not be read as one YAML document; carries located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _position(mark: yaml.Mark | None) -> Position:
    if mark is None:
        return Position(1, 1)
    return Position(mark.line + 1, mark.column + 1)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlReadError(
            [
                Problem(
                    f"{name}:{line}:{column}",
                    f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8 text",
                )
            ]
        ) from None


_PLAIN_TAGS: dict[type[Node], tuple[str, ...]] = {
    SequenceNode: ("tag:yaml.org,2002:seq",),
    MappingNode: ("tag:yaml.org,2002:map",),
}


class _Walker:
    """Turns a composed node graph into plain data, recording positions."""

    def __init__(self, loader: yaml.SafeLoader, doc: MarkedDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.seen: set[int] = set()
        self.problems: list[Problem] = []

    def _at(self, node: Node) -> str:
        pos = _position(node.start_mark)
        return f"{self.doc.name}:{pos.line}:{pos.column}"

    def walk(self, node: Node, path: PathKey) -> Any:
        self.doc.value_positions[path] = _position(node.start_mark)
        if id(node) in self.seen:
            self.problems.append(
                Problem(self._at(node), "anchors and aliases (& and *) are not supported; write the value out")
            )
            return None
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            if node.tag.startswith("tag:yaml.org,2002:python/") or not node.tag.startswith("tag:yaml.org,2002:"):
                self.problems.append(Problem(self._at(node), f"unsupported YAML tag '{node.tag}'; write plain values"))
                return None
            try:
                value = self.loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                self.problems.append(Problem(self._at(node), f"cannot read this value: {exc}"))
                return None
            if isinstance(value, str):
                problem = control_problem(value, self._at(node), allow="\t\n", what="text")
                if problem is not None:
                    self.problems.append(problem)
                    return None
            return value
        if node.tag not in _PLAIN_TAGS.get(type(node), ()):
            self.problems.append(Problem(self._at(node), f"unsupported YAML tag '{node.tag}'; write plain values"))
            return None
        if isinstance(node, SequenceNode):
            return [self.walk(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.problems.append(Problem(self._at(key_node), "a mapping key must be a plain value"))
                    continue
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, list | dict):
                    self.problems.append(Problem(self._at(key_node), "a mapping key must be a plain value"))
                    continue
                if key in result:
                    self.problems.append(
                        Problem(self._at(key_node), f"duplicate key '{key}' (each key may appear once here)")
                    )
                    continue
                self.doc.key_positions[(*path, key)] = _position(key_node.start_mark)
                result[key] = self.walk(value_node, (*path, key))
            return result
        self.problems.append(Problem(self._at(node), "unsupported YAML node"))
        return None


def _check_depth(text: str, label: str) -> None:
    """Refuse nesting deeper than :data:`MAX_YAML_DEPTH`, reading events only (no recursion, stops early)."""
    scanner = _SafeLoader(text)
    depth = 0
    try:
        while scanner.check_event():
            event = scanner.get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    mark = event.start_mark
                    pos = Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)
                    raise YamlReadError(
                        [
                            Problem(
                                f"{label}:{pos.line}:{pos.column}",
                                f"lists and mappings are nested more than {MAX_YAML_DEPTH} deep here; "
                                f"a questionnaire needs fewer than 10 levels",
                            )
                        ]
                    )
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    finally:
        scanner.dispose()


def read_marked_yaml(source: Path | str | bytes, name: str | None = None) -> MarkedDocument:
    """Parse one YAML document from a file path or bytes, keeping positions.

    Raises :class:`YamlReadError` with located problems for unreadable,
    oversized, non-UTF-8, empty or malformed input.
    """
    if isinstance(source, bytes):
        raw, label = source, name or "<input>"
    else:
        path = Path(source)
        label = name or str(source)
        try:
            size = path.stat().st_size
            if size > MAX_YAML_BYTES:
                raise YamlReadError(
                    [Problem(f"{label}:1:1", f"the file is {size:,} bytes; at most {MAX_YAML_BYTES:,} are accepted")]
                )
            raw = path.read_bytes()
        except OSError as exc:
            raise YamlReadError([Problem(label, f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_YAML_BYTES:
        raise YamlReadError(
            [Problem(f"{label}:1:1", f"the input is {len(raw):,} bytes; at most {MAX_YAML_BYTES:,} are accepted")]
        )
    text = _decode(raw, label)
    if not text.strip():
        raise YamlReadError([Problem(f"{label}:1:1", "the file is empty; expected a questionnaire mapping")])
    loader = _SafeLoader(text)
    try:
        _check_depth(text, label)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        pos = _position(exc.problem_mark or exc.context_mark)
        what = exc.problem or "malformed YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise YamlReadError([Problem(f"{label}:{pos.line}:{pos.column}", f"malformed YAML: {what}{context}")]) from None
    except yaml.YAMLError as exc:
        raise YamlReadError([Problem(f"{label}:1:1", f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()
    doc = MarkedDocument(name=label, data=None)
    if node is None:
        raise YamlReadError(
            [
                Problem(
                    f"{label}:1:1", "the file is empty (only comments or blank lines); expected a questionnaire mapping"
                )
            ]
        )
    walker = _Walker(loader, doc)
    doc.data = walker.walk(node, ())
    if walker.problems:
        raise YamlReadError(walker.problems)
    return doc
