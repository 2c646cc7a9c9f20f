"""Staff logins, their roles, the org tree (company → county bureau → marketing department) and service routes."""

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REGION_CODE_VALIDATOR = RegexValidator(r"^\d{6}$", _("行政区划代码必须是 6 位数字。"))


class OrgUnit(models.Model):
    """A node of the company tree. `path` is the materialised ancestry ("/1/4/9/") so a subtree is one LIKE."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("市公司")
        COUNTY = "county", _("县级局")
        DEPARTMENT = "department", _("营销部")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("层级"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region_code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        blank=True,
        validators=[REGION_CODE_VALIDATOR],
        help_text=_("县级局填写其辖区的 6 位代码，许可证号前 6 位须与之一致。"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="company", parent__isnull=True) | Q(parent__isnull=False),
                name="orgunit_only_company_is_root",
            ),
        ]
        indexes = [models.Index(fields=["path"], name="orgunit_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A staff login. `role` decides which retailers the user may see (see accounts.selectors)."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        SUPERVISOR = "supervisor", _("营销主管")
        MANAGER = "manager", _("客户经理")
        INTEGRATION = "integration", _("系统对接")

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("员工账号")
        verbose_name_plural = _("员工账号")

    def __str__(self):
        return self.name_from(self.display_name, self.username)

    @staticmethod
    def name_from(display_name: str, username: str) -> str:
        """What __str__ says, from the two columns (for lists read as values rather than instances)."""
        return display_name or username

    @property
    def is_company_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN

    # Django's ModelBackend reads a user's own and their groups' permissions in two queries, the first time a request
    # asks (every page does: the navbar). They are read here in one, into the very attributes ModelBackend keeps them
    # in, so it finds them read; the rest is Django's (active check, superuser, the backends' order). The attributes
    # live on this instance, which AuthenticationMiddleware loads anew on every request: a change of a user's groups
    # or permissions, or of a group's permissions, counts from the next request, as before.
    def _read_model_permissions(self) -> None:
        if (
            not self.is_active
            or self.is_superuser
            or self.pk is None
            or hasattr(self, "_user_perm_cache")
            or hasattr(self, "_group_perm_cache")
        ):
            return  # ModelBackend's own path (nothing for the inactive, every permission for a superuser)
        from django.contrib.auth.models import Permission

        def rows(own: bool, **where):
            return (
                Permission.objects.filter(**where)
                .annotate(own=models.Value(own, output_field=models.BooleanField()))
                .values_list("content_type__app_label", "codename", "own")
                .order_by()
            )

        own_perms, group_perms = set(), set()
        for app_label, codename, own in rows(True, user=self).union(rows(False, group__user=self), all=True):
            (own_perms if own else group_perms).add(f"{app_label}.{codename}")
        self._user_perm_cache = own_perms
        self._group_perm_cache = group_perms

    def has_perm(self, perm, obj=None):
        if obj is None:
            self._read_model_permissions()
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        self._read_model_permissions()
        return super().has_module_perms(app_label)

    def get_all_permissions(self, obj=None):
        if obj is None:
            self._read_model_permissions()
        return super().get_all_permissions(obj)


class Route(models.Model):
    """A service route (服务线路): the shops one customer manager visits, on set weekdays."""

    code = models.CharField(_("线路编码"), max_length=20, unique=True)
    name = models.CharField(_("线路名称"), max_length=100)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="routes"
    )
    manager = models.ForeignKey(
        User,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routes",
        limit_choices_to={"role": User.Role.MANAGER},
    )
    visit_weekday = models.PositiveSmallIntegerField(
        _("走访日"), null=True, blank=True, choices=[(i, str(i)) for i in range(1, 8)]
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务线路")
        verbose_name_plural = _("服务线路")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_weekday__isnull=True) | Q(visit_weekday__range=(1, 7)),
                name="route_weekday_1_7",
            ),
        ]

    def __str__(self):
        return self.label_from(self.code, self.name)

    @staticmethod
    def label_from(code: str, name: str) -> str:
        """What __str__ says, from the two columns (for lists read as values rather than instances)."""
        return f"{code} {name}"


class StaffSession(AbstractBaseSession):
    """A browser session (SESSION_ENGINE = "users.sessions") that knows whose it is, so disabling a login ends
    every session of it with one DELETE (users.services.user_access_revoke) rather than decoding every session."""

    user = models.ForeignKey(
        User, verbose_name=_("员工账号"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user"], name="staffsession_user")]

    @classmethod
    def get_session_store_class(cls):
        from users.sessions import SessionStore

        return SessionStore


class ApiToken(models.Model):
    """An integration's API key (`Authorization: Token <key>`, users.api_auth.ExpiringTokenAuthentication). Only
    a SHA-256 of the key is stored — the key is shown once, when it is made — with an expiry, the time it was last
    used (at most one write a minute) and, once revoked, when."""

    user = models.ForeignKey(
        User, verbose_name=_("员工账号"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("前缀"), max_length=8, editable=False, help_text=_("密钥的前 8 位，用于辨认。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"


class RegionUnit(models.Model):
    """Where a licence from a region goes when its file names no department: the licence office's files carry the
    licence number (whose first 6 digits are the region code) but neither a department nor a route. One row per
    region code, editable in the admin; imports read it (accounts.imports.retailers.checks)."""

    region_code = models.CharField(
        _("行政区划代码"), max_length=6, unique=True, validators=[REGION_CODE_VALIDATOR]
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("营销部"),
        on_delete=models.PROTECT,
        related_name="region_units",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("区划对应营销部")
        verbose_name_plural = _("区划对应营销部")
        ordering = ["region_code"]

    def __str__(self):
        return f"{self.region_code} → {self.org_unit}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.org_unit_id is None:
            return
        if self.org_unit.kind != OrgUnit.Kind.DEPARTMENT:
            raise ValidationError({"org_unit": _("只能对应到营销部。")})
        county = self.org_unit.parent
        if county is not None and county.region_code and county.region_code != self.region_code:
            raise ValidationError(
                {
                    "org_unit": _("该营销部所属县级局的区划代码是 %(code)s，与 %(region)s 不一致。")
                    % {"code": county.region_code, "region": self.region_code}
                }
            )
