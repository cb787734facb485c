"""API faces: thin translators between a partner system's wire format and the core commands."""
