"""The operator console (web pages)."""
