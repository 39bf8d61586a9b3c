"""Running the app under uvicorn, in one process or several.

Several processes share one listening socket that secloop binds itself: uvicorn's own
`Config.bind_socket()` leaves the socket's protocol at 0, so asyncio never sets TCP_NODELAY on the
accepted connections and every keep-alive response waits ~40 ms on the client's delayed ACK
(https://github.com/Kludex/uvicorn/issues/3149). Binding with IPPROTO_TCP avoids that.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from secloop.server.settings import Settings

FACTORY = "secloop.server.asgi:app_from_env"


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run(
    settings: Settings, config_file: Path | None, host: str, port: int, workers: int, **options: Any
) -> None:
    """Serve until interrupted. Several workers each build the app from the environment."""
    import uvicorn

    from secloop.server.app import create_app

    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
        return
    from uvicorn.supervisors import Multiprocess

    create_app(settings).state.secloop.close()  # migrate once, and fail here rather than N times
    if config_file is not None:
        os.environ["SECLOOP_SERVER_CONFIG"] = str(config_file)
    config = uvicorn.Config(FACTORY, factory=True, host=host, port=port, workers=workers, **options)
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()
