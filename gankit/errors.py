"""The one exception type users see.

Anything raised as `GankitError` is a problem with the user's input (a file, a config field, a
name). The CLI prints its message on one line and exits with status 2; anything else escaping
is a bug and keeps its traceback.
"""


class GankitError(Exception):
    """Bad input: the message names what was wrong and what was expected."""


class RankZeroError(GankitError):
    """Under torchrun, an error another rank prints, as this rank stops with it: rank 0's set-up failure
    (train/runtime.py: on_main_rank), or a config error every rank of a node finds (commands/train.py).
    The CLI does not print it, so the line appears once."""
