"""Pages of the reports app: route -> expected status per role (see pages_common.py)."""

from tests.api.pages_common import PageCase

PAGES: dict[str, PageCase] = {}
