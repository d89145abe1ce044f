"""Errors that the command line reports as one line with exit status 2."""


class UsageError(Exception):
    """Bad input that is not a scenario problem; the message is one line."""


class WorkFailed(Exception):
    """Work that started and could not finish (a lost cluster); one line, exit status 1. What finished is on disk."""
