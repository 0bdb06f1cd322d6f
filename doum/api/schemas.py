"""Base classes for API shapes.

Input shapes forbid unknown fields (the error names the field). Output shapes are plain
pydantic models validated from dicts or attributes: django-ninja's `Schema` wraps every value
in a resolver for ORM lookups, which costs more than the rest of a list request together, and
the endpoints here already hand over plain values.
"""

from __future__ import annotations

from ninja import Schema
from pydantic import BaseModel, ConfigDict


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)
