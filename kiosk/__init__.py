"""The check-in kiosk and badge service for a meetup door."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any):
    """Build the Flask app (see kiosk.app.create_app); imported lazily so `kiosk.clock` stays light."""
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)
