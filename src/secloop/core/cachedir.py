"""Where secloop keeps caches: SECLOOP_CACHE_DIR when set (CI runners, tests), else the user cache."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    override = os.environ.get("SECLOOP_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("secloop"))
