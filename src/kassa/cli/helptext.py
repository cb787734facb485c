"""The settings, listed in `--help` from `kassa.config.VARIABLES`, so the two never drift."""

from kassa.config import VARIABLES


def environment() -> str:
    """Every KASSA_* variable with its default and what it does."""
    lines = ["environment variables (shown with their defaults):"]
    for variable in VARIABLES:
        lines.append(f"  {variable.name}={variable.default}")
        lines.append(f"      {variable.meaning}")
    return "\n".join(lines)
