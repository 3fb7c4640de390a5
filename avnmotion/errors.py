"""Exception types. Each carries a one-line message meant for the user.

``AvnInputError`` is bad input or usage (CLI exit code 2, HTTP 4xx / failed job with a
reason); anything else that escapes is an internal error (exit code 1).
"""


class AvnMotionError(Exception):
    """Base class for errors raised deliberately by avnmotion."""


class AvnInputError(AvnMotionError, ValueError):
    """The input (file, parameters, track) cannot be analysed; the message says why."""


class ModelNotAvailableError(AvnMotionError):
    """No pose model bundle could be found; the message names the command that fixes it."""
