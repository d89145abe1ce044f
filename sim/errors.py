"""Errors that the command line reports as one line with exit status 2."""


class UsageError(Exception):
    """Bad input that is not a scenario problem; the message is one line."""
