"""The project error class, defined in the base layer (core.errors); apps still import it from here."""

from core.errors import ConflictError

__all__ = ["ConflictError"]
