"""The v1 `fields-schema` DSL (spec ticketing.md 1.11): parse once, check, cut answers down.

`id,tickets{id,serial},event{title{text}}` keeps `id`, expands the order's tickets and event
and keeps only the listed keys of each. The schema is checked against the resource's shape
(`fields_shapes`) before any command runs, so a bad schema never half-applies a POST.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from kassa.core.errors import FieldsSchemaInvalid

MAX_LENGTH = 2000
MAX_DEPTH = 8
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(frozen=True)
class Field:
    """One selected key; `sub` is its sub-schema, None for "the value whole"."""

    name: str
    sub: "Schema | None" = None


Schema = tuple[Field, ...]


def invalid(reason: str) -> FieldsSchemaInvalid:
    return FieldsSchemaInvalid(f"fields-schema: {reason}")


def parse(text: str) -> Schema:
    """The schema tree of `text`; braces may come raw or percent-encoded, whitespace is ignored."""
    if len(text) > MAX_LENGTH:
        raise invalid(f"longer than {MAX_LENGTH} characters")
    parser = _Parser(unquote(text) if "%" in text else text)
    schema = parser.schema(depth=1)
    if parser.peek() == "}":
        raise invalid(f"unmatched '}}' at {parser.pos}")
    if parser.peek() != "":
        raise invalid(f"unexpected {parser.peek()!r} at {parser.pos}")
    return schema


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def schema(self, depth: int) -> Schema:
        if depth > MAX_DEPTH:
            raise invalid(f"nested deeper than {MAX_DEPTH} levels")
        fields = [self.field(depth)]
        while self.peek() == ",":
            self.pos += 1
            fields.append(self.field(depth))
        seen: set[str] = set()
        for field in fields:
            if field.name in seen:
                raise invalid(f"field {field.name!r} given twice")
            seen.add(field.name)
        return tuple(fields)

    def field(self, depth: int) -> Field:
        name = self.name()
        if self.peek() != "{":
            return Field(name)
        self.pos += 1
        sub = self.schema(depth + 1)
        if self.peek() != "}":
            found = self.peek()
            raise invalid(f"unclosed '{{' after {name!r}" if found == "" else _unexpected(self))
        self.pos += 1
        return Field(name, sub)

    def name(self) -> str:
        self.peek()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _NAME_CHARS:
            self.pos += 1
        if self.pos == start:
            found = self.peek()
            if found not in ("", ",", "{", "}"):
                raise invalid(_unexpected(self))
            raise invalid(f"empty field name at {start}")
        return self.text[start : self.pos]


def _unexpected(parser: _Parser) -> str:
    return f"unexpected {parser.peek()!r} at {parser.pos}"


def render(schema: Schema) -> str:
    """The canonical text of a schema: `parse(render(s)) == s`."""
    return ",".join(f.name + ("{" + render(f.sub) + "}" if f.sub else "") for f in schema)


# Shapes: what a resource's keys are, so a schema is checked before anything is read.
class Scalar:
    """A value returned whole; it takes no sub-schema."""


SCALAR = Scalar()


@dataclass(frozen=True)
class Obj:
    """An embedded object (or list of them); `keys` None means its keys are free-form."""

    keys: "Mapping[str, Kind] | None" = None


@dataclass(frozen=True)
class Ref:
    """A reference (an id or list of ids) that `ref{...}` expands into a `kind` object."""

    kind: str | None  # None: Kassa cannot expand it (a sub-schema on it is refused)
    target: Obj = Obj()


Kind = Scalar | Obj | Ref


def check(schema: Schema, shape: Obj, path: str = "") -> frozenset[str]:
    """Refuse unknown names and sub-schemas on scalars; return the reference kinds expanded."""
    kinds: set[str] = set()
    for field in schema:
        where = path + field.name
        if shape.keys is None:
            continue
        kind = shape.keys.get(field.name)
        if kind is None:
            raise invalid(f"unknown field {where!r}")
        if field.sub is None:
            continue
        if isinstance(kind, Scalar):
            raise invalid(f"{where!r} is not an object and takes no sub-fields")
        if isinstance(kind, Ref):
            if kind.kind is None:
                raise invalid(f"{where!r} cannot be expanded")
            kinds.add(kind.kind)
            kind = kind.target
        kinds |= check(field.sub, kind, where + ".")
    return frozenset(kinds)


# id -> the full wire object, per reference kind ("event", "ticket", "set").
Refs = Mapping[str, Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class Selection:
    """A parsed and checked schema for one resource shape."""

    schema: Schema
    shape: Obj
    kinds: frozenset[str]

    def cut(self, value: Mapping[str, Any], refs: Refs | None = None) -> dict[str, Any]:
        return project(value, self.schema, self.shape, refs or {})

    def cut_all(
        self, values: Sequence[Mapping[str, Any]], refs: Refs | None = None
    ) -> list[dict[str, Any]]:
        return [self.cut(value, refs) for value in values]


def parse_schema(text: str, shape: Obj) -> Selection:
    schema = parse(text)
    return Selection(schema, shape, check(schema, shape))


def project(value: Mapping[str, Any], schema: Schema, shape: Obj, refs: Refs) -> dict[str, Any]:
    """Only the listed keys; sub-schemas cut embedded objects and expand references."""
    out: dict[str, Any] = {}
    for field in schema:
        if field.name not in value:
            continue  # an optional key this object lacks (e.g. values.discount)
        raw = value[field.name]
        if field.sub is None:
            out[field.name] = raw
            continue
        kind = shape.keys.get(field.name) if shape.keys is not None else Obj()
        out[field.name] = _sub(raw, field.sub, kind or Obj(), refs)
    return out


def _sub(raw: Any, schema: Schema, kind: Kind, refs: Refs) -> Any:
    if isinstance(kind, Ref):
        table = refs.get(kind.kind or "", {})
        if isinstance(raw, list):
            return [project(table.get(i) or {}, schema, kind.target, refs) for i in raw]
        return project(table.get(raw) or {} if raw is not None else {}, schema, kind.target, refs)
    target = kind if isinstance(kind, Obj) else Obj()
    if isinstance(raw, list):
        return [project(item or {}, schema, target, refs) for item in raw]
    # A missing embedded object (a ticket without a seat) is shown as {} (spec 1.11).
    return project(raw if isinstance(raw, Mapping) else {}, schema, target, refs)
