"""The session engine (settings.SESSION_ENGINE = "users.sessions"): Django's cached database sessions in
users.StaffSession, which also records the user each session belongs to (Django's documented way to extend the
database engine).

Cached: every request reads its session, and a session changes rarely (the login, the last-seen stamp once a
minute); the cache (Redis in production) answers the read, the database keeps the row, so a session survives a
cache flush and can be found by user. Ending a user's sessions therefore removes the cache entries too
(sessions_end, used by users.services.user_access_revoke)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseSessionStore
from django.core.cache import caches
from django.db import transaction


class SessionStore(CachedDatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from users.models import StaffSession

        return StaffSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if user_id not in (None, "") else None
        return instance


def sessions_end(*, sessions) -> int:
    """Delete these sessions (a StaffSession queryset): their rows, and their cache entries now and again after the
    commit (a request reading the row before the delete commits may have cached it meanwhile)."""
    from django.conf import settings

    keys = [KEY_PREFIX + key for key in sessions.values_list("session_key", flat=True)]
    deleted, _detail = sessions.delete()
    if keys:
        cache = caches[settings.SESSION_CACHE_ALIAS]
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))
    return deleted
