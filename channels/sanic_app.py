"""What the Sanic apps of Rasa and of the action server do on every request for nothing here.

Both Rasa (``rasa.server.configure_cors``) and rasa_sdk (``rasa_sdk.endpoint.configure_cors``)
always install the CORS extension, whose request and response middleware run on every call,
with Sanic's signals around each. No browser calls either server: the web fronts call Rasa and
Rasa calls the action servers, through nginx's internal listener, with no ``Origin``; the
servers are started without ``--cors``, so no answer ever got a CORS header. Both also build an
access-log record for every request that Sanic's access logger then drops (Rasa and rasa_sdk
set Sanic's loggers to ``LOG_LEVEL_LIBRARIES``, ``ERROR`` by default).

:func:`lighten` takes both off an app, as objects the app holds, replaced before it serves:
Rasa's and rasa_sdk's code are as they are. About a twentieth of an action server's CPU time.
"""

from __future__ import annotations

import logging
from typing import Any

import sanic_cors.extension
from sanic.log import access_logger

_CORS_MIDDLEWARE = {
    sanic_cors.extension.unapplied_cors_request_middleware,
    sanic_cors.extension.unapplied_cors_response_middleware,
}


def _is_cors(middleware: Any) -> bool:
    # The extension registers each as a ``functools.partial`` of its function.
    return getattr(middleware, "func", middleware) in _CORS_MIDDLEWARE


def lighten(app: Any) -> None:
    """Without the CORS extension's middleware, and without Sanic's access log if its lines would
    be dropped. Run once the extension has installed its middleware (as the server starts)."""
    for kept in (app.request_middleware, app.response_middleware):
        remaining = [middleware for middleware in kept if not _is_cors(middleware)]
        kept.clear()
        kept.extend(remaining)
    app._future_middleware[:] = [future for future in app._future_middleware if not _is_cors(future.middleware)]
    app.config.ACCESS_LOG = access_logger.isEnabledFor(logging.INFO)
