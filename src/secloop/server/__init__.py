"""The secloop server: an organisation's dashboard and API over the store, fed by webhooks and workers.

`create_app(settings)` builds the FastAPI app; `load_settings(os.environ)` reads its settings.
"""

from __future__ import annotations

from secloop.server.app import create_app
from secloop.server.settings import Settings, load_settings

__all__ = ["Settings", "create_app", "load_settings"]
