"""Reading the household line's input lists (SPEC §8.1) with the school books' reader."""
from __future__ import annotations


class InputError(Exception):
    """A required input is unreadable or lacks a required column; the message is Chinese (the CLI exits 2)."""
