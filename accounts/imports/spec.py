"""What an import kind declares to the pipeline (ImportSpec: its columns and its clean, check and upsert
steps), the problems and context its per-row clean works with, and the registry of the kinds."""

import abc
import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from accounts.imports.models import ImportJob
from core.registry import Registry

WARNINGS_SHOWN = 50


# The right to use imports at all; each kind adds the permissions of writing its models (ImportSpec.permissions).
IMPORT_PERMISSION = "accounts.add_importjob"


@dataclass
class RowProblem:
    column: str
    value: str
    message: str


@dataclass
class CleanContext:
    """What a spec's clean() may use: the job, lookups it prepared, today's date."""

    job: ImportJob
    today: datetime.date
    lookups: dict = field(default_factory=dict)


class ImportSpec(abc.ABC):
    """One kind of import. Subclasses declare the header aliases, the staging columns and three steps:
    clean (per row, Python), check (set-based, SQL) and upsert (set-based, SQL)."""

    kind: str
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    # (staging column, SQL type); row_no and ok are added by the pipeline
    staging_columns: tuple[tuple[str, str], ...]
    labels: dict[str, str] = {}
    analyze_tables: tuple[str, ...] = ()  # tables to ANALYZE after a large commit
    # The models the import writes. An import creates and updates rows, so it needs what writing them directly
    # needs: add and change of each model (see `permissions`). `register` refuses a spec that declares none.
    models: tuple[type[Model], ...] = ()

    @property
    def permissions(self) -> tuple[str, ...]:
        """Every permission an import of this kind needs: importing at all, and adding and changing each model
        it writes — the same as writing that model directly (the admin, the pages, the API)."""
        perms = [IMPORT_PERMISSION]
        for model in self.models:
            for action in ("add", "change"):
                perms.append(f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}")
        return tuple(perms)

    def allowed_for(self, user) -> bool:
        return bool(user.is_authenticated and user.is_active and user.has_perms(self.permissions))

    def prepare(self, ctx: CleanContext) -> None:  # noqa: B027 - optional hook, most specs need lookups
        """Load small lookups once per job (enum maps, known codes)."""

    @abc.abstractmethod
    def clean(self, raw: dict[str, str], ctx: CleanContext) -> tuple[tuple | None, list[RowProblem]]:
        """Normalise one row: the staging values in `staging_columns` order, and the problems found."""

    def check(self, *, cursor, job: ImportJob, table: str) -> None:  # noqa: B027 - optional hook
        """Set-based checks; add errors with `add_errors_sql`."""

    def warnings(self, *, cursor, job: ImportJob, table: str) -> dict:
        """Set-based hints that do not block a row (a likely duplicate of a record already in the system):
        {"count": n, "items": [{"row": …, "kind": …, "message": …}, …]} with at most WARNINGS_SHOWN items."""
        return {"count": 0, "items": []}

    @abc.abstractmethod
    def upsert(self, *, cursor, job: ImportJob, table: str) -> tuple[int, int, int]:
        """Write the rows where ok; return (created, updated, unchanged)."""

    def column_label(self, name: str) -> str:
        return str(self.labels.get(name, name))

    # field -> an example cell, shown on the import help page (and checked by a test to pass clean())
    examples: dict[str, str] = {}
    # field -> a rule the help page states beside the format (e.g. what happens when the column is missing)
    notes: dict = {}

    def field_format(self, name: str) -> str:
        """The accepted format of a field's cells, from its staging column's type or its model field's
        choices: what the import help page says."""
        for model in self.models:
            try:
                choices = model._meta.get_field(name).choices
            except Exception:  # noqa: S112 - not a field of this model
                continue
            if choices:
                return _("可选值：%(list)s") % {"list": "、".join(str(label) for _v, label in choices)}
        types = dict(self.staging_columns)
        if f"{name}_fen" in types:
            return _("金额（元，最多两位小数，可带 ¥ 或千分位）")
        sqltype = types.get(name, "text")
        if sqltype == "date":
            return _("日期：2024-05-01、2024/5/1、2024年5月1日、20240501 或 Excel 日期序号（45296）")
        if sqltype == "boolean":
            return _("是 / 否")
        if sqltype in ("smallint", "integer", "bigint"):
            return _("整数")
        if sqltype.startswith("numeric"):
            return _("数字")
        return _("文本")

    def help_rows(self) -> list[dict]:
        """Every field this kind accepts, for the help page: its label, the headers that name it, whether it
        is required, its format, an example and any rule about it."""
        return [
            {
                "name": name,
                "label": self.column_label(name),
                "headers": [name, *aliases],
                "required": name in self.required,
                "format": self.field_format(name),
                "example": self.examples.get(name, ""),
                "note": str(self.notes.get(name, "")),
            }
            for name, aliases in self.aliases.items()
        ]

    def column_title(self, name: str, job: ImportJob | None = None) -> str:
        """How to name a column to the user: by the file's own header where the file has the column, else by
        the field's label."""
        if job is not None and name in (job.column_mapping or {}):
            return str(job.column_mapping[name])
        return self.column_label(name)


REGISTRY: Registry[str, ImportSpec] = Registry(
    "import-kinds",
    owner="accounts",
    doc="import kind -> ImportSpec (its columns, cleaning, upsert and the models it writes, which decide who may "
    "run it); each app registers its kinds when its AppConfig.ready() imports its spec modules",
)


def register(spec: ImportSpec) -> ImportSpec:
    if not spec.models:
        raise ImproperlyConfigured(
            f"import kind {spec.kind!r} declares no models: its permission would be unknown"
        )
    return REGISTRY.register(spec.kind, spec, by=type(spec).__module__.split(".")[0])


def spec_for(kind: str) -> ImportSpec:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise ValidationError(_("未知的导入类型：%(kind)s") % {"kind": kind}) from None
