"""Errors a user can cause; the CLI prints them without a traceback and exits non-zero."""
from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input (config, file, flag); the message says how to fix it."""
