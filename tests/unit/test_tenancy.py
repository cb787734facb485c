"""kassa.core.tenancy: who is calling and what they may see."""

import pytest

from kassa.core.tenancy import Principal

ORGANISER = Principal("org-1")
SELLER = Principal("org-1", "partner-1")


def test_organiser_identity() -> None:
    assert ORGANISER.is_organiser is True
    assert ORGANISER.id == "org-1"


def test_seller_identity() -> None:
    assert SELLER.is_organiser is False
    assert SELLER.id == "partner-1"


@pytest.mark.parametrize(
    ("principal", "org_id", "vendor_id", "sees"),
    [
        (ORGANISER, "org-1", "org-1", True),
        (ORGANISER, "org-1", "partner-1", True),  # every order of its events
        (ORGANISER, "org-1", "partner-2", True),
        (ORGANISER, "org-2", "org-2", False),
        (ORGANISER, "org-2", "org-1", False),
        (SELLER, "org-1", "partner-1", True),  # only the orders it made
        (SELLER, "org-1", "org-1", False),
        (SELLER, "org-1", "partner-2", False),
        (SELLER, "org-2", "partner-1", False),  # its own id, another organisation
    ],
)
def test_sees(principal: Principal, org_id: str, vendor_id: str, sees: bool) -> None:
    assert principal.sees(org_id, vendor_id) is sees
