from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never touch the user's cache or data directories."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SECLOOP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    # No test reads the user's advisory database; tests that need one import it into their own folder.
    patch.setenv("SECLOOP_OSV_DIR", str(tmp_path_factory.mktemp("osv")))
    patch.setenv("SECLOOP_REGISTRY_CACHE", str(tmp_path_factory.mktemp("registry")))
    yield
    patch.undo()
