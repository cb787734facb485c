"""kassa.core.ids: 24 lowercase hex characters."""

import pytest

from kassa.core.ids import is_object_id


@pytest.mark.parametrize("value", ["0123456789abcdef01234567", "a" * 24, "0" * 24])
def test_well_formed_ids(value: str) -> None:
    assert is_object_id(value) is True


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0123456789abcdef0123456",  # 23
        "0123456789abcdef012345678",  # 25
        "0123456789ABCDEF01234567",  # uppercase
        "0123456789abcdef0123456g",
        " 0123456789abcdef01234567",
        "0123456789abcdef01234567 ",
        "0123456789abcdef-1234567",
    ],
)
def test_malformed_ids(value: str) -> None:
    assert is_object_id(value) is False


def test_trailing_newline_is_not_an_id() -> None:
    assert is_object_id("0123456789abcdef01234567\n") is False
