"""The session engine (settings.SESSION_ENGINE = "users.sessions"): Django's database sessions in users.StaffSession,
which also records the user each session belongs to (Django's documented way to extend the database engine)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from users.models import StaffSession

        return StaffSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if user_id not in (None, "") else None
        return instance
