"""Errors that reach the user as a one-line message and exit status 2."""


class InputError(Exception):
    """Bad input from the user: a file, an argument, an unknown claim id."""


class InstanceError(InputError):
    """An instance file that cannot be read or fails validation."""
