"""Object ids on the wire: 24 lowercase hex characters, as the request schemas check them."""

import pytest
from pydantic import TypeAdapter, ValidationError

from kassa.faces.ticketing.schemas import ObjectId

OBJECT_ID = TypeAdapter(ObjectId)


@pytest.mark.parametrize("value", ["0123456789abcdef01234567", "a" * 24, "0" * 24])
def test_well_formed_ids(value: str) -> None:
    assert OBJECT_ID.validate_python(value) == value


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
    with pytest.raises(ValidationError):
        OBJECT_ID.validate_python(value)


def test_trailing_newline_is_not_an_id() -> None:
    with pytest.raises(ValidationError):
        OBJECT_ID.validate_python("0123456789abcdef01234567\n")
