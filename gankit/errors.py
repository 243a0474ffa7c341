"""The one exception type users see.

Anything raised as `GankitError` is a problem with the user's input (a file, a config field, a
name). The CLI prints its message on one line and exits with status 2; anything else escaping
is a bug and keeps its traceback.
"""


class GankitError(Exception):
    """Bad input: the message names what was wrong and what was expected."""


class RankZeroError(GankitError):
    """Under torchrun, rank 0's error as the other ranks raise it (train/runtime.py: on_main_rank): they
    stop with it, and the CLI leaves the printing to rank 0, so the line appears once."""
