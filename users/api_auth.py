"""`Authorization: Token <key>` for integrations, with an expiry, a last-used time and revocation (users.ApiToken).

Every refusal is a 401 that says why: unknown key, revoked (e.g. its login was disabled), expired (and when), or
the login is disabled."""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from users.models import ApiToken

# last_used_at is written at most this often per token: a busy integration costs one UPDATE a minute, not one a call
LAST_USED_RESOLUTION = datetime.timedelta(seconds=60)


class ExpiringTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        from users.services import api_token_hash

        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌已撤销。"))
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("令牌已于 %(when)s 过期，请向管理员申请新令牌。")
                % {"when": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")}
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("该账号已停用。"))
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION), pk=token.pk
        ).update(last_used_at=now)
        return token.user, token
