"""Doum SLAs models (fields and constraints only; writers are in actions.py)."""
