"""The edge's text checks (kassa.web.guard) as plain functions."""

import pytest

from kassa.web.guard import (
    MAX_JSON_DEPTH,
    InputRefused,
    check_body,
    check_json,
    check_urlencoded,
    json_depth,
)


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b"1", 0),
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),  # brackets inside a string are text
        (b'{"a": "\\"[[[["}', 1),  # an escaped quote does not end the string
        (b'["\\\\", [[]]]', 3),  # an escaped backslash does
        (b"[" * 1000 + b"]" * 1000, 1000),
    ],
)
def test_json_depth_counts_only_structure(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


def test_json_at_the_limit_passes_and_one_deeper_is_refused() -> None:
    check_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    with pytest.raises(InputRefused) as refused:
        check_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert refused.value.code == "json_too_deep"


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "x\\u0000"}',
        b'{"a\\u0000": 1}',
        b'{"a": ["\\ud800"]}',
        b'{"a": "\\udfff x"}',
        b'{"a": "\x00"}',
        b'{"a": "\xff"}',
        b'{"a": "\xed\xa0\x80"}',  # a surrogate written as UTF-8 bytes is not UTF-8
    ],
)
def test_json_text_no_database_stores_is_refused(body: bytes) -> None:
    with pytest.raises(InputRefused) as refused:
        check_body(body, "application/json")
    assert refused.value.code == "text_invalid"


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "\\\\u0000"}',  # a backslash and the letters u0000: plain text
        b'{"a": "\\ud83c\\udfab \xe2\x82\xbd"}',
        b"not json at all",  # the face says what is wrong with it
        b'{"unterminated": "',
    ],
)
def test_ordinary_text_passes(body: bytes) -> None:
    check_body(body, "application/json")


@pytest.mark.parametrize("data", [b"a=%00", b"a%00=1", b"a=%ff", b"a=%ED%A0%80", b"x=1&b=\x00"])
def test_urlencoded_text_no_database_stores_is_refused(data: bytes) -> None:
    with pytest.raises(InputRefused):
        check_urlencoded(data, "query")


def test_urlencoded_plus_and_percent_are_plain_text() -> None:
    check_urlencoded(b"a=%2B7+999&b=100%25&c&=", "query")
