"""Doum (도움): customer support operations platform."""

__version__ = "0.1.0"
