"""The project's error classes for state conflicts; input errors are ValidationError. And how a page shows either:
as one line of text, or on the form whose fields it names."""

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The request is well-formed but clashes with the current state (stale edit, duplicate claim...): 409."""


class StaleVersionError(ConflictError):
    """The version the caller named (the API's If-Match) is not the current one: someone changed the record since.
    A page answers it as any conflict; the API answers 412 Precondition Failed."""


def error_text(exc: Exception) -> str:
    """A refusal as one line for a message or a panel: every message of a ValidationError (all fields'), or the
    text of a conflict."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def form_errors_text(form) -> str:
    """A bound form's errors as one line, every field's in order."""
    return " ".join(error for errors in form.errors.values() for error in errors)


def form_errors_add(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: each field's messages on that field when the form has it,
    on the form as a whole otherwise (and a ValidationError that names no field)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
