"""Exceptions the worker raises into model code.

`CancelationException` derives from `BaseException` (as in Cog >= 0.17) so that the common
`except Exception:` in model code does not swallow a cancel; code that wants to clean up can
catch it explicitly and re-raise.
"""


class CancelationException(BaseException):
    """Raised inside a running prediction when it has been canceled."""


__all__ = ["CancelationException"]
