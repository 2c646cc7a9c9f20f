"""How the API shows a staff user, everywhere one appears in an answer (a retailer's manager, who recorded,
approved, was assigned...): one small object, never a bare id in one place and a name in another."""

from core.serializers import ModelSerializer
from users.models import User


class UserRefSerializer(ModelSerializer):
    """`{id, username, display_name}`; read-only (an endpoint that takes a user as input takes its id)."""

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields


def user_ref(**kwargs) -> UserRefSerializer:
    """A read-only user field; `source` may cross a relation that can be empty (`route.manager`): null then."""
    kwargs.setdefault("read_only", True)
    if "." in kwargs.get("source", ""):
        kwargs.setdefault("default", None)
    return UserRefSerializer(**kwargs)
