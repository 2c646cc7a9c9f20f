"""The checks of a retailer import that need the database, set-based over the staging table: departments and
routes resolved, region codes, repeats in the file, fields an import may not change; and the warnings about
rows that look like a shop already known under another licence."""

from django.utils.translation import gettext as _

from accounts.imports.pipeline import add_errors_sql, add_repeat_errors
from accounts.imports.retailers.columns import customer_code_required
from accounts.imports.spec import WARNINGS_SHOWN
from accounts.models import Retailer
from accounts.services import LOCKED_FIELDS, starting_tier_cap
from users.models import User


def retailer_rows_check(*, cursor, job, table):
    user = job.created_by
    # Org units by name and routes by code were resolved by clean(); a row naming neither takes the
    # retailer's current ones, or the department of its licence's region code.
    cursor.execute(f"""
        UPDATE {table} s SET org_unit_id = r.org_unit_id, route_id = r.route_id FROM accounts_retailer r
         WHERE s.org_unit_name IS NULL AND s.route_code IS NULL AND r.licence_no = s.licence_no;
        UPDATE {table} s SET org_unit_id = m.org_unit_id FROM users_regionunit m
         WHERE s.org_unit_name IS NULL AND s.route_code IS NULL AND s.org_unit_id IS NULL
           AND m.region_code = left(s.licence_no, 6);
    """)
    add_errors_sql(
        cursor,
        job=job,
        table=table,
        column="org_unit",
        value_sql="left(s.licence_no, 6)",
        message=_(
            "没有填写营销部或服务线路，许可证号的区划代码也没有对应的营销部"
            "（请在文件中填写，或由管理员在“区划对应营销部”中添加该代码）。"
        ),
        where="s.org_unit_name IS NULL AND s.route_code IS NULL AND s.org_unit_id IS NULL",
    )
    # No customer code: an existing retailer keeps its own; a new one takes its licence number (the rule in
    # settings.CRM_IMPORT_CUSTOMER_CODE; under "required" clean() has refused the row already).
    if not customer_code_required():
        cursor.execute(f"""
            UPDATE {table} s SET customer_code = coalesce(r.customer_code, s.licence_no)
            FROM {table} t LEFT JOIN accounts_retailer r ON r.licence_no = t.licence_no
            WHERE t.row_no = s.row_no AND s.customer_code IS NULL AND s.licence_no IS NOT NULL
        """)
    add_errors_sql(
        cursor,
        job=job,
        table=table,
        column="route",
        value_sql="s.route_code",
        message=_("没有这条服务线路。"),
        where="s.route_code IS NOT NULL AND s.route_id IS NULL",
    )
    add_errors_sql(
        cursor,
        job=job,
        table=table,
        column="org_unit",
        value_sql="s.org_unit_name",
        message=_("没有这个营销部（请填写系统中的营销部全称）。"),
        where="s.org_unit_name IS NOT NULL AND s.org_unit_id IS NULL",
    )
    add_errors_sql(
        cursor,
        job=job,
        table=table,
        column="route",
        value_sql="s.route_code",
        message=_("服务线路不属于所填营销部。"),
        where="s.route_id IS NOT NULL AND s.org_unit_id IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM users_route r WHERE r.id = s.route_id AND r.org_unit_id <> s.org_unit_id)",
    )
    # A file without a route column keeps each retailer's route: moving a retailer to another department
    # by name alone would leave it on a route of its old department.
    if "route" not in job.column_mapping:
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="org_unit",
            value_sql="s.org_unit_name",
            message=_("该客户现在的服务线路不属于所填营销部，请在文件中同时填写服务线路。"),
            where="s.org_unit_id IS NOT NULL AND EXISTS (SELECT 1 FROM accounts_retailer r "
            "JOIN users_route rt ON rt.id = r.route_id "
            "WHERE r.licence_no = s.licence_no AND rt.org_unit_id <> s.org_unit_id)",
        )
    # Region code: must be one of the company's, and the one of the retailer's county.
    from users.selectors import region_codes_known

    codes = sorted(region_codes_known())
    cursor.execute(
        'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
        f"SELECT %s, s.row_no, 'licence_no', s.licence_no, %s FROM {table} s "
        "WHERE s.licence_no IS NOT NULL AND NOT (left(s.licence_no, 6) = ANY(%s))",
        [job.pk, _("许可证号前 6 位不是本公司辖区的行政区划代码。"), codes],
    )
    # (each department's county found once, not once per row)
    cursor.execute(
        "WITH county AS MATERIALIZED (SELECT d.id, (SELECT a.region_code FROM users_orgunit a "
        "  WHERE d.path LIKE a.path || '%%' AND a.region_code <> '' ORDER BY length(a.path) DESC LIMIT 1) "
        "  AS region_code FROM users_orgunit d) "
        'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
        f"SELECT %s, s.row_no, 'licence_no', s.licence_no, %s || c.region_code FROM {table} s "
        "JOIN county c ON c.id = s.org_unit_id "
        "WHERE s.licence_no IS NOT NULL AND left(s.licence_no, 6) = ANY(%s) AND left(s.licence_no, 6) <> c.region_code",
        [job.pk, _("许可证号前 6 位与所属县级局的区划代码不一致：应为 "), codes],
    )
    # Duplicates inside the file: the first occurrence wins, later ones are rejected.
    add_repeat_errors(
        cursor,
        job=job,
        table=table,
        column="licence_no",
        message=_("文件内许可证号重复，与第 %s 行相同。"),
    )
    add_repeat_errors(
        cursor,
        job=job,
        table=table,
        column="customer_code",
        message=_("文件内客户编码重复，与第 %s 行相同。"),
    )
    # Against the retailers already in the system, in one pass over the file (the customer code's owner and
    # the licence's retailer, each unique, joined once), in the order the rules are stated:
    # - a customer code already used by a different licence;
    # - the tier and the credit grade have their own engines (accounts.services.LOCKED_FIELDS): a file may
    #   repeat what an existing retailer has (re-importing an export changes nothing) but not change it;
    # - a new retailer may start at a tier up to the tier rule's cap for new retailers, and at the credit
    #   rule's starting grade (the model default).
    cap = starting_tier_cap()
    default_grade = Retailer._meta.get_field("credit_grade").default
    rules = [
        (
            "customer_code",
            "s.customer_code",
            _("客户编码已被另一家客户（不同许可证号）使用。"),
            "c.id IS NOT NULL AND c.licence_no IS DISTINCT FROM s.licence_no",
        ),
        *(
            (
                name,
                f"s.{name}",
                _("已有客户的该项不能通过导入修改。") + str(LOCKED_FIELDS[name]),
                f"s.{name} IS NOT NULL AND r.id IS NOT NULL AND r.{name} IS DISTINCT FROM s.{name}",
            )
            for name in LOCKED_FIELDS
        ),
        (
            "tier",
            "s.tier",
            _("新客户的起始档位不能高于 %(cap)s 档（档位评定规则中的新客户上限）。") % {"cap": cap},
            "s.tier > %(cap)s AND r.id IS NULL",
        ),
        (
            "credit_grade",
            "s.credit_grade",
            _("新客户的信用等级从 %(grade)s 级开始。") % {"grade": default_grade}
            + str(LOCKED_FIELDS["credit_grade"]),
            "s.credit_grade <> %(grade)s AND r.id IS NULL",
        ),
    ]
    params = {"job": job.pk, "cap": cap, "grade": default_grade}
    values = []
    for n, (column, value_sql, message, condition) in enumerate(rules):
        params[f"column{n}"], params[f"message{n}"] = column, message
        values.append(f"({n}, {condition}, %(column{n})s, ({value_sql})::text, %(message{n})s)")
    # ordered rule by rule, then by row: the errors' ids as when each rule was its own statement
    cursor.execute(
        'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
        "SELECT %(job)s, s.row_no, e.col, left(coalesce(e.value, ''), 255), left(e.message, 255) "
        f"FROM {table} s "
        "LEFT JOIN accounts_retailer c ON c.customer_code = s.customer_code "
        "LEFT JOIN accounts_retailer r ON r.licence_no = s.licence_no "
        f"CROSS JOIN LATERAL (VALUES {', '.join(values)}) e(n, bad, col, value, message) "
        "WHERE e.bad ORDER BY e.n, s.row_no",
        params,
    )
    # Territory: a supervisor imports only into their own subtree and updates only their own retailers.
    if not (user.is_superuser or user.role == User.Role.ADMIN):
        path = user.org_unit.path if user.org_unit_id else "/nowhere/"
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="org_unit",
            value_sql="s.org_unit_name",
            message=_("您无权把客户导入到该营销部。"),
            where_params=[path],
            where="s.org_unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users_orgunit o "
            "WHERE o.id = s.org_unit_id AND o.path LIKE %s || '%%')",
        )
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="licence_no",
            value_sql="s.licence_no",
            message=_("该许可证号属于您辖区以外的客户，无权更新。"),
            where_params=[path],
            where="EXISTS (SELECT 1 FROM accounts_retailer r JOIN users_orgunit o ON o.id = r.org_unit_id "
            "WHERE r.licence_no = s.licence_no AND o.path NOT LIKE %s || '%%')",
        )


def retailer_rows_warnings(*, cursor, job, table):
    """Rows that look like a shop already in the system under another licence: the same mobile number, or
    a similar name and address in the same county (any of its departments) — the duplicate scan's rules, so
    what the preview flags is what the data-quality page would find after the import."""
    from accounts.dedupe.services import ADDRESS_SIMILARITY, COUNTY_OF_SQL, NAME_KEY_SQL, NAME_SIMILARITY

    cursor.execute(
        f"""
        WITH staged AS MATERIALIZED (
          SELECT s.row_no, s.licence_no, s.mobile, s.shop_name, s.address,
                 {COUNTY_OF_SQL.format(o="d")} AS county_id,
                 {NAME_KEY_SQL.format(name="s.shop_name")} AS name_key
          FROM {table} s LEFT JOIN users_orgunit d ON d.id = s.org_unit_id WHERE s.ok
        ), found AS (
          SELECT s.row_no, 'phone' AS kind, r.shop_name, r.licence_no, r.id
          FROM staged s JOIN accounts_retailer r ON r.mobile = s.mobile AND r.licence_no <> s.licence_no
          WHERE r.status <> 'closed'
          UNION ALL
          SELECT s.row_no, 'similar', r.shop_name, r.licence_no, r.id
          FROM staged s
          JOIN accounts_retailer r ON r.licence_no <> s.licence_no AND r.status <> 'closed'
           AND {NAME_KEY_SQL.format(name="r.shop_name")} = s.name_key
          JOIN users_orgunit o ON o.id = r.org_unit_id
           AND {COUNTY_OF_SQL.format(o="o")} = s.county_id
          WHERE similarity(r.address, s.address) >= %s AND similarity(r.shop_name, s.shop_name) >= %s
        )
        SELECT row_no, kind, shop_name, licence_no, id, count(*) OVER () FROM found
        ORDER BY row_no, kind LIMIT %s
        """,
        [ADDRESS_SIMILARITY, NAME_SIMILARITY, WARNINGS_SHOWN],
    )
    rows = cursor.fetchall()
    phone = _("手机号与已有客户 %(name)s（%(licence)s）相同，可能是同一家店。")
    similar = _("店名和地址与已有客户 %(name)s（%(licence)s）相近，可能是同一家店。")
    items = [
        {
            "row": row_no,
            "kind": kind,
            "retailer_id": retailer_id,
            "message": (phone if kind == "phone" else similar) % {"name": name, "licence": licence},
        }
        for row_no, kind, name, licence, retailer_id, _total in rows
    ]
    return {"count": rows[0][5] if rows else 0, "items": items}
