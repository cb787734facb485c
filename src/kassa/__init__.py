"""Kassa: one order core with three wire-compatible API faces."""

__version__ = "0.1.0"
