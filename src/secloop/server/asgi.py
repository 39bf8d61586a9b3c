"""Entry point for ASGI servers started with several worker processes: settings from the environment.

`uvicorn --factory secloop.server.asgi:app_from_env`; SECLOOP_SERVER_CONFIG names the optional
configuration file.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from secloop.server.app import create_app
from secloop.server.settings import load_settings


def app_from_env() -> FastAPI:
    config = os.environ.get("SECLOOP_SERVER_CONFIG")
    return create_app(load_settings(os.environ, Path(config) if config else None))
