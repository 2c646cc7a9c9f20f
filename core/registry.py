"""One way for a lower app to call up: a typed registry.

The lower app declares a Registry (a module-level constant beside the code that reads it) and documents what an
entry means; a higher app fills it from its AppConfig.ready(), never at import time of an unrelated module. The
lower app never imports the higher one. Every registry ever declared is listed by `manage.py registries`, so
nobody has to grep for who extends what.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

K = TypeVar("K")
V = TypeVar("V")

_ALL: dict[str, "Registry"] = {}


class Registry(Generic[K, V]):
    """An ordered table of entries, key -> value, filled once per key (a second registration of a key is a
    programming error and raises ImproperlyConfigured). Iteration follows registration order, which follows
    INSTALLED_APPS: lower apps first."""

    def __init__(self, name: str, *, owner: str, doc: str):
        if name in _ALL:
            raise ImproperlyConfigured(f"registry {name!r} declared twice")
        self.name, self.owner, self.doc = name, owner, doc
        self._entries: dict[K, tuple[V, str]] = {}
        _ALL[name] = self

    def register(self, key: K, value: V, *, by: str) -> V:
        """Add `value` under `key`; `by` names the registering app (for the listing)."""
        if key in self._entries:
            raise ImproperlyConfigured(f"registry {self.name!r}: {key!r} registered twice")
        self._entries[key] = (value, by)
        return value

    def __getitem__(self, key: K) -> V:
        return self._entries[key][0]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def get(self, key: K, default: V | None = None) -> V | None:
        entry = self._entries.get(key)
        return entry[0] if entry else default

    def items(self) -> list[tuple[K, V]]:
        return [(key, value) for key, (value, _by) in self._entries.items()]

    def registered_by(self, key: K) -> str:
        return self._entries[key][1]

    @contextmanager
    def overridden(self, key: K, value: V | None):
        """For tests: inside the block `key` holds `value` (None: `key` is absent), whatever was registered;
        the registered entry comes back when the block ends."""
        saved = self._entries.pop(key, None)
        if value is not None:
            self._entries[key] = (value, "test")
        try:
            yield self
        finally:
            self._entries.pop(key, None)
            if saved is not None:
                self._entries[key] = saved


def registries() -> list[Registry]:
    """Every registry declared so far, in declaration order."""
    return list(_ALL.values())
