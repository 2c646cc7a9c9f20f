"""The one project error class for state conflicts (a view answers 409); input errors are ValidationError."""


class ConflictError(Exception):
    """The request is well-formed but clashes with the current state (stale edit, duplicate claim...)."""
