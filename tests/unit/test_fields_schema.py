"""The v1 `fields-schema` DSL: grammar, errors, checking against a shape, projection."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.core.errors import FieldsSchemaInvalid
from kassa.faces.ticketing import fields_shapes as shapes
from kassa.faces.ticketing.fields_schema import (
    MAX_DEPTH,
    Field,
    Schema,
    check,
    parse,
    parse_schema,
    project,
    render,
)


def test_parses_nested_fields_into_a_tree() -> None:
    assert parse("id,tickets{id,serial,number,seat{row,number}},event{title{text}}") == (
        Field("id"),
        Field(
            "tickets",
            (
                Field("id"),
                Field("serial"),
                Field("number"),
                Field("seat", (Field("row"), Field("number"))),
            ),
        ),
        Field("event", (Field("title", (Field("text"),)),)),
    )


def test_percent_encoded_braces_and_whitespace_mean_the_same() -> None:
    raw = "id,tickets{id,serial}"
    assert parse("id,tickets%7Bid,serial%7D") == parse(raw)
    assert parse(" id , tickets { id ,\tserial } ") == parse(raw)
    assert parse("id%2Ctickets%7bid%2Cserial%7d") == parse(raw)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("id,,{", "empty field name"),
        ("", "empty field name"),
        ("id,", "empty field name"),
        ("{id}", "empty field name"),
        ("tickets{}", "empty field name"),
        ("tickets{id", "unclosed '{'"),
        ("tickets{id{serial}", "unclosed '{'"),
        ("id}", "unmatched '}'"),
        ("tickets{id}}", "unmatched '}'"),
        ("id;status", "unexpected ';'"),
        ("ti ckets", "unexpected 'c'"),
        ("id,id", "given twice"),
        ("a{" * (MAX_DEPTH + 1) + "b" + "}" * (MAX_DEPTH + 1), "nested deeper"),
        ("x" * 2001, "longer than"),
    ],
)
def test_malformed_schemas_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(FieldsSchemaInvalid) as caught:
        parse(text)
    assert caught.value.message.startswith("fields-schema: ")
    assert reason in caught.value.message
    assert caught.value.code == "fields_schema_invalid"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("id,bogus", "unknown field 'bogus'"),
        ("event{title{bogus}}", "unknown field 'event.title.bogus'"),
        ("status{x}", "'status' is not an object"),
        ("org{name}", "'org' cannot be expanded"),
        ("tickets{seat{row{x}}}", "'tickets.seat.row' is not an object"),
    ],
)
def test_names_are_checked_against_the_resource(text: str, reason: str) -> None:
    with pytest.raises(FieldsSchemaInvalid, match=reason):
        parse_schema(text, shapes.ORDER)


def test_check_reports_the_references_to_expand() -> None:
    assert check(parse("id,event{id}"), shapes.ORDER) == {"event"}
    assert check(parse("tickets{set{name}}"), shapes.ORDER) == {"ticket", "set"}
    assert check(parse("id,customer{email},org"), shapes.ORDER) == set()


ORDER = {
    "id": "o1",
    "org": "g1",
    "event": "e1",
    "tickets": ["t1", "t2"],
    "customer": {"lang": "ru", "email": "a@b.c"},
    "values": {"full": "1.00", "extra": "0.00", "nominal": "1.00"},
}
REFS = {
    "event": {"e1": {"id": "e1", "title": {"text": "Show", "desc": None}, "status": "public"}},
    "ticket": {
        "t1": {"id": "t1", "serial": "AEY", "number": 1, "seat": None},
        "t2": {"id": "t2", "serial": "AEY", "number": 2, "seat": {"row": 3, "number": 4}},
    },
}


def test_only_listed_keys_and_nothing_implicit() -> None:
    assert parse_schema("org", shapes.ORDER).cut(ORDER) == {"org": "g1"}


def test_references_expand_and_missing_sub_objects_are_empty() -> None:
    sel = parse_schema("id,tickets{id,serial,seat{row,number}},event{title{text}}", shapes.ORDER)
    assert sel.cut(ORDER, REFS) == {
        "id": "o1",
        "tickets": [
            {"id": "t1", "serial": "AEY", "seat": {}},
            {"id": "t2", "serial": "AEY", "seat": {"row": 3, "number": 4}},
        ],
        "event": {"title": {"text": "Show"}},
    }


def test_embedded_objects_pick_sub_keys_and_plain_fields_come_whole() -> None:
    sel = parse_schema("customer{email},values", shapes.ORDER)
    assert sel.cut(ORDER) == {"customer": {"email": "a@b.c"}, "values": ORDER["values"]}


def test_an_unreadable_reference_expands_to_an_empty_object() -> None:
    assert project(ORDER, parse("event{id}"), shapes.ORDER, {}) == {"event": {}}


_names = st.text("abcdefghijklmnopqrstuvwxyz_0123456789-", min_size=1, max_size=8)


def _schemas(depth: int) -> st.SearchStrategy[Schema]:
    """Small trees, at most three levels deep (the docs show three)."""
    sub: st.SearchStrategy[Schema | None] = st.none()
    if depth < 3:
        sub = st.none() | st.deferred(lambda: _schemas(depth + 1))
    fields = st.lists(st.tuples(_names, sub), min_size=1, max_size=3, unique_by=lambda f: f[0])
    return fields.map(lambda items: tuple(Field(name, s) for name, s in items))


@settings(deadline=None, max_examples=200)
@given(_schemas(1))
def test_rendering_and_parsing_round_trip(schema: Schema) -> None:
    assert parse(render(schema)) == schema
    spaced = render(schema).replace(",", " , ").replace("{", " {").replace("}", "} ")
    assert parse(spaced) == schema
    encoded = render(schema).replace("{", "%7B").replace("}", "%7D")
    assert parse(encoded) == schema
