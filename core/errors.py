"""The project's error classes for state conflicts; input errors are ValidationError."""


class ConflictError(Exception):
    """The request is well-formed but clashes with the current state (stale edit, duplicate claim...): 409."""


class StaleVersionError(ConflictError):
    """The version the caller named (the API's If-Match) is not the current one: someone changed the record since.
    A page answers it as any conflict; the API answers 412 Precondition Failed."""
