"""The xlwings decorators of the runtime this code runs in.

``xw.func`` / ``xw.script`` are whatever the runtime provides: the classic COM add-in's on Windows, xlwings Lite's and
xlwings Server's (``XLWINGS_ON_SERVER=true``) elsewhere, and no-ops otherwise. xlwings decides once, when it is first
imported; this module honours ``XLWINGS_ON_SERVER`` even when xlwings was imported before it was set (a server process
or a test session that imports other tools first), so the Lite/Server registration metadata is always there.
"""
from __future__ import annotations

import os

import xlwings as xw

XLWINGS_VERSION = "0.37.8"   # pinned everywhere: pyproject, the desktop config, the Lite requirements


def _decorators():
    if os.environ.get("XLWINGS_ON_SERVER") == "true" and not getattr(xw, "on_server", False):
        from xlwings.server import arg, func, ret, script
        return func, script, arg, ret
    return xw.func, xw.script, xw.arg, xw.ret


func, script, arg, ret = _decorators()


def on_server_runtime() -> bool:
    """True when the decorators register Lite/Server metadata (``__xlfunc__`` / ``__xlscript__``)."""
    return os.environ.get("XLWINGS_ON_SERVER") == "true"
