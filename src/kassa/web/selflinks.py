"""How this process makes buyers' self-service links, for the API and the buyer's page."""

from kassa.app.selflinks import Links
from kassa.web.context import Context


def links_of(ctx: Context) -> Links:
    """KASSA_PUBLIC_URL and KASSA_SECRET_KEY (empty: the database's generated secret)."""
    return Links(ctx.settings.public_url, ctx.settings.secret_key)
