"""Object ids: 24 lowercase hex characters, as in the ticketing spec."""

import re

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def is_object_id(value: str) -> bool:
    """True when `value` is a well-formed 24-hex object id."""
    return bool(_OBJECT_ID.fullmatch(value))
