from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.personas import World, build_world


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]
    settings.DOUM_RATE_LIMIT_TOKEN_PER_MIN = 100_000  # type: ignore[attr-defined]
    settings.DOUM_RATE_LIMIT_IP_PER_MIN = 100_000  # type: ignore[attr-defined]
    settings.DOUM_RATE_LIMIT_ANON_PER_MIN = 100_000  # type: ignore[attr-defined]
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    # A request activates its user's language in this thread and nothing switches it back:
    # every test starts (and ends) in the default language, so messages compare in English.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def world(db: None) -> World:
    return build_world()
