"""Order history in monthly partitions: sales_order, sales_orderline, sales_retailerperiodsummary and
sales_retailerproductsummary become PostgreSQL declarative partitions (RANGE on the order day, the period start
and the week start), converting an existing database with its rows kept. See sales/partitions.py for the
partitions' upkeep and retention.

Each table is converted the same way (CONVERT below, in one transaction): its triggers (including other apps',
e.g. visits' shop facts), indexes, checks and foreign keys are read from the catalogue; the old table is renamed;
a partitioned table of the same name and columns is created with a partition per month from its first row to
three months ahead (no DEFAULT partition: see ENSURE_FUNCTION); the rows are copied; then the keys, indexes, checks, foreign keys and triggers are created again on the
new table and the old one dropped. What cannot stay as it was:
- the primary key becomes (id, <day>): a partitioned table's unique keys must hold the partition key. `id` keeps
  its sequence (now a plain sequence owned by the column: PostgreSQL before 17 has no identity column on a
  partitioned table), so ids stay unique;
- "one order number per source" moves to sales_ordernumber, kept by statement triggers on sales_order;
- the lines get `ordered_on` (their order's day) and reference the order by (order_id, ordered_on); the
  allocation's excess rows reference their line by (order_line_id, ordered_on);
- a foreign key from another app to sales_order(id) cannot survive: feedback 0017 (run before this) replaced the
  complaints' by triggers; this migration refuses to run if any other is left."""

from django.db import migrations, models

TABLES = (
    # table, partition key, primary key
    ("sales_order", "ordered_on"),
    ("sales_orderline", "ordered_on"),
    ("sales_retailerperiodsummary", "period_start"),
    ("sales_retailerproductsummary", "week_start"),
)

# Creates the month partitions of all four tables for every month from first_day's to last_day's: every writer of
# orders calls it for the months it is about to write (the import, the demo seed), and beat keeps the next months
# ready (sales/partitions.py). Serialised by an advisory lock; a month that exists is skipped without any lock.
# There is no DEFAULT partition: a row for a month nobody made fails loudly rather than landing where every
# window scan has to read it, and a DEFAULT partition would also keep PostgreSQL from scanning the months in
# order (the "last order day" probes stop at the newest month holding an order only with an ordered Append).
ENSURE_FUNCTION = """
CREATE OR REPLACE FUNCTION sales_history_partitions_ensure(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql AS $f$
DECLARE
  spec record;
  m date;
  part text;
  made integer := 0;
BEGIN
  IF first_day IS NULL OR last_day IS NULL THEN
    RETURN 0;
  END IF;
  FOR m IN SELECT generate_series(date_trunc('month', first_day), date_trunc('month', last_day),
                                  interval '1 month')::date LOOP
    FOR spec IN SELECT * FROM (VALUES (1, 'sales_order'), (2, 'sales_orderline'),
                                      (3, 'sales_retailerperiodsummary'), (4, 'sales_retailerproductsummary')) v (n, tbl)
                ORDER BY n LOOP
      part := spec.tbl || '_p' || to_char(m, 'YYYYMM');
      CONTINUE WHEN EXISTS (SELECT FROM pg_class WHERE relname = part AND relnamespace = 'public'::regnamespace);
      PERFORM pg_advisory_xact_lock(hashtext('sales_history_partitions'));
      BEGIN
        -- made apart, then attached: ATTACH locks the parent against other writes only (SHARE UPDATE
        -- EXCLUSIVE and the keys' triggers), where CREATE … PARTITION OF would lock out its readers too until
        -- the writer's transaction ends
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, spec.tbl);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', spec.tbl, part, m,
                       (m + interval '1 month')::date);
        made := made + 1;
      EXCEPTION WHEN duplicate_table THEN
        NULL;  -- made by another session while this one waited for the lock
      END;
    END LOOP;
  END LOOP;
  RETURN made;
END
$f$;
"""

# sales_ordernumber follows sales_order, statement by statement (one pass over the transition rows, no per-row
# trigger): ENABLE ALWAYS, so the demo's COPY under session_replication_role = replica keeps it too.
NUMBER_TRIGGERS = """
CREATE FUNCTION sales_ordernumber_keep() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO sales_ordernumber (order_id, source, order_no, ordered_on)
    SELECT id, source, order_no, ordered_on FROM new_rows;
  ELSIF TG_OP = 'UPDATE' THEN
    DELETE FROM sales_ordernumber k USING old_rows o JOIN new_rows n ON n.id = o.id
    WHERE k.order_id = o.id AND (o.source, o.order_no, o.ordered_on) IS DISTINCT FROM (n.source, n.order_no,
                                                                                      n.ordered_on);
    INSERT INTO sales_ordernumber (order_id, source, order_no, ordered_on)
    SELECT n.id, n.source, n.order_no, n.ordered_on FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (o.source, o.order_no, o.ordered_on) IS DISTINCT FROM (n.source, n.order_no, n.ordered_on);
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM sales_ordernumber k USING old_rows o WHERE k.order_id = o.id;
  ELSE
    -- TRUNCATE: a DELETE, since the same TRUNCATE statement may be emptying sales_ordernumber too (a flush)
    DELETE FROM sales_ordernumber;
  END IF;
  RETURN NULL;
END
$f$;
CREATE TRIGGER sales_ordernumber_insert AFTER INSERT ON sales_order REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sales_ordernumber_keep();
CREATE TRIGGER sales_ordernumber_update AFTER UPDATE ON sales_order
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_ordernumber_keep();
CREATE TRIGGER sales_ordernumber_delete AFTER DELETE ON sales_order REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sales_ordernumber_keep();
CREATE TRIGGER sales_ordernumber_truncate AFTER TRUNCATE ON sales_order
  FOR EACH STATEMENT EXECUTE FUNCTION sales_ordernumber_keep();
ALTER TABLE sales_order ENABLE ALWAYS TRIGGER sales_ordernumber_insert;
ALTER TABLE sales_order ENABLE ALWAYS TRIGGER sales_ordernumber_update;
ALTER TABLE sales_order ENABLE ALWAYS TRIGGER sales_ordernumber_delete;
ALTER TABLE sales_order ENABLE ALWAYS TRIGGER sales_ordernumber_truncate;
"""

COMPOSITE_KEYS = """
ALTER TABLE sales_orderline ADD CONSTRAINT sales_orderline_order_fk FOREIGN KEY (order_id, ordered_on)
  REFERENCES sales_order (id, ordered_on) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE sales_allocationexcess ADD CONSTRAINT sales_allocationexcess_order_line_fk
  FOREIGN KEY (order_line_id, ordered_on) REFERENCES sales_orderline (id, ordered_on) ON UPDATE CASCADE
  DEFERRABLE INITIALLY DEFERRED;
"""


def _rows(cursor, sql, params=()):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _prepare(cursor, table: str, key: str) -> dict | None:
    """Read what the table has, rename it and create its partitioned successor (empty, no keys yet)."""
    old = f"{table}_unpartitioned"
    oid = _rows(cursor, "SELECT %s::regclass::oid", [table])[0][0]
    if _rows(cursor, "SELECT relkind FROM pg_class WHERE oid = %s", [oid])[0][0] == "p":
        return None  # already partitioned
    for referencing, name in _rows(
        cursor,
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' AND confrelid = %s "
        "AND conrelid <> confrelid",
        [oid],
    ):
        if (table, referencing) not in (
            ("sales_order", "sales_orderline"),
            ("sales_orderline", "sales_allocationexcess"),
        ):
            raise RuntimeError(f"{referencing}.{name} references {table}: replace it before partitioning")
        cursor.execute(f'ALTER TABLE {referencing} DROP CONSTRAINT "{name}"')
    found = {
        "table": table,
        "key": key,
        "old": old,
        "triggers": _rows(
            cursor, "SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s "
            "AND NOT tgisinternal",
            [oid],
        ),
        "constraints": _rows(
            cursor,
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s AND contype "
            "IN ('p', 'u', 'c', 'f') ORDER BY contype",
            [oid],
        ),
        # indexes that back no constraint (those come back with their constraint)
        "indexes": _rows(
            cursor,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            [oid],
        ),
        "columns": [
            row[0]
            for row in _rows(
                cursor,
                "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped "
                "ORDER BY attnum",
                [oid],
            )
        ],
    }
    sequence = _rows(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0][0]
    last_value, is_called = _rows(cursor, f"SELECT last_value, is_called FROM {sequence}")[0]
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, _sql in found["indexes"]:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, _type, _sql in found["constraints"]:
        cursor.execute(f'ALTER TABLE {old} DROP CONSTRAINT "{name}"')
    for name, _state, _sql in found["triggers"]:
        cursor.execute(f'DROP TRIGGER "{name}" ON {old}')
    # identity -> a plain sequence owned by the column, at the same point (no identity on a partitioned table
    # before PostgreSQL 17)
    cursor.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP IDENTITY IF EXISTS")
    cursor.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP DEFAULT")
    cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")
    cursor.execute(f"CREATE SEQUENCE {table}_id_seq AS bigint")
    cursor.execute(f"SELECT setval('{table}_id_seq', %s, %s)", [last_value, is_called])
    extra = ", ordered_on date NOT NULL" if table == "sales_orderline" else ""  # the lines' copy of the day
    cursor.execute(f"CREATE TABLE {table} (LIKE {old}{extra}) PARTITION BY RANGE ({key})")
    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")
    cursor.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
    return found


def _finish(cursor, found: dict) -> None:
    """Copy the rows into the month partitions, then give the new table its keys, indexes and triggers back."""
    table, key, old, names = found["table"], found["key"], found["old"], found["columns"]
    columns = ", ".join(names)
    if table == "sales_orderline":
        cursor.execute(
            f"INSERT INTO {table} ({columns}, ordered_on) SELECT {', '.join('l.' + n for n in names)}, o.ordered_on "
            f"FROM {old} l JOIN sales_order o ON o.id = l.order_id"
        )
    else:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {old}")
    for name, contype, sql in found["constraints"]:
        if contype == "p":
            sql = f"PRIMARY KEY (id, {key})"
        elif contype == "u":
            if table == "sales_order":
                continue  # the order number's key lives in sales_ordernumber
            if key not in sql:
                sql = sql[: sql.rindex(")")] + f", {key})"
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}')
    for _name, sql in found["indexes"]:
        cursor.execute(sql)
    for name, state, sql in found["triggers"]:
        cursor.execute(sql)
        if state == "A":
            cursor.execute(f'ALTER TABLE {table} ENABLE ALWAYS TRIGGER "{name}"')
        elif state == "D":
            cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
    cursor.execute(f"DROP TABLE {old}")


def _migrate(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(ENSURE_FUNCTION)
        cursor.execute(
            "SELECT least(min(o.first), current_date), greatest(max(o.last), current_date) FROM ("
            "SELECT min(ordered_on) AS first, max(ordered_on) AS last FROM sales_order UNION ALL "
            "SELECT min(period_start), max(period_start) FROM sales_retailerperiodsummary UNION ALL "
            "SELECT min(week_start), max(week_start) FROM sales_retailerproductsummary) o"
        )
        first, last = cursor.fetchone()
        found = [_prepare(cursor, table, key) for table, key in TABLES]
        # the months of every row held and the next three; earlier months are made when written
        cursor.execute(
            "SELECT sales_history_partitions_ensure(%s, (%s::date + interval '3 months')::date)", [first, last]
        )
        for one in found:
            if one:
                _finish(cursor, one)


def _keys(apps, schema_editor):
    """After sales_ordernumber exists: fill it, keep it by triggers, and add the composite foreign keys."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sales_ordernumber (order_id, source, order_no, ordered_on) "
            "SELECT id, source, order_no, ordered_on FROM sales_order"
        )
        cursor.execute(NUMBER_TRIGGERS)
        cursor.execute(COMPOSITE_KEYS)
        for table in (*(table for table, _key in TABLES), "sales_ordernumber"):
            cursor.execute(f"ANALYZE {table}")


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("sales", "0006_period_summary_order_days"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="order", name="order_unique_number_per_source"),
                migrations.AddField(
                    model_name="orderline",
                    name="ordered_on",
                    field=models.DateField(default="2000-01-01", editable=False, verbose_name="订货日期"),
                    preserve_default=False,
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="order",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="lines",
                        to="sales.order",
                    ),
                ),
                migrations.RemoveConstraint(model_name="orderline", name="orderline_one_per_product"),
                migrations.AddConstraint(
                    model_name="orderline",
                    constraint=models.UniqueConstraint(
                        fields=("order", "product", "ordered_on"), name="orderline_one_per_product"
                    ),
                ),
                migrations.AlterField(
                    model_name="allocationexcess",
                    name="order_line",
                    field=models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="+",
                        to="sales.orderline",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_migrate)],
        ),
            migrations.CreateModel(
            name="OrderNumber",
            fields=[
                ("order_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("source", models.CharField(max_length=10)),
                ("order_no", models.CharField(max_length=40)),
                ("ordered_on", models.DateField()),
            ],
            options={
                "verbose_name": "订单号",
                "verbose_name_plural": "订单号",
                "constraints": [
                    models.UniqueConstraint(fields=("source", "order_no"), name="order_unique_number_per_source")
                ],
            },
        ),
        migrations.RunPython(_keys),
    ]
