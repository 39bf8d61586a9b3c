from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never write compiled pattern databases into the user's cache directory."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SECLOOP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()
