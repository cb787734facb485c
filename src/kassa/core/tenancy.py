"""Who is calling: an organiser (organisation key) or a seller (partner key)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    org_id: str
    partner_id: str | None = None
    operator: str | None = None  # a console operator acting for the organisation
    # Narrowed to one restaurant or one loyalty shop of the organisation (a console account
    # narrowed so, or a shop's own secret on the loyalty face).
    restaurant_id: str | None = None
    shop_id: str | None = None
    key_id: str | None = None  # the API key it called with (the v1 "current user")

    @property
    def actor(self) -> str:
        """Who the timeline names: the operator's e-mail, else the key's organisation or
        partner."""
        return f"operator:{self.operator}" if self.operator else self.id

    @property
    def id(self) -> str:
        """The id a response names in X-Partner, and an order records as its vendor."""
        return self.partner_id or self.org_id

    @property
    def is_organiser(self) -> bool:
        return self.partner_id is None

    def sees(self, org_id: str, vendor_id: str) -> bool:
        """An organiser sees every order of its events; a seller only the orders it made."""
        if self.is_organiser:
            return org_id == self.org_id
        return vendor_id == self.partner_id and org_id == self.org_id
