"""Errors the store raises: each message is fit to show the person who caused it."""

from __future__ import annotations

from ..errors import CanipostError


class StoreError(CanipostError):
    """A problem with the escalations database itself."""


class NotFound(CanipostError):
    """No case (or answer) by that reference."""


class NotAllowed(CanipostError):
    """The person asking may not do this. The attempt is on the audit trail."""


class InvalidTransition(CanipostError):
    """The case is not in a state where this step makes sense (resolving twice, ...)."""


class StoreBusy(StoreError):
    """The database stayed locked by other writers for longer than we are willing to wait."""


class SchemaTooNew(StoreError):
    """The file was written by a newer canipost; an older one must not guess at it."""
