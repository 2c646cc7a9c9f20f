"""Moving rows between PostgreSQL and numpy/pandas in bulk: COPY in both directions, never a Python tuple per row
(at province scale a tuple per row costs more memory than the whole computation)."""

import io

import pandas as pd


def sql_frame(cursor, sql: str, params: dict, columns: dict[str, str]) -> pd.DataFrame:
    """The rows of `sql` as a DataFrame with the given column names and dtypes, read through COPY … TO STDOUT
    (CSV) and pandas' C parser. Columns that may be NULL need a float dtype (NULL reads as NaN)."""
    query = cursor.mogrify(sql, params).decode()
    buffer = io.BytesIO()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
    if not buffer.tell():
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    buffer.seek(0)
    return pd.read_csv(buffer, header=None, names=list(columns), dtype=columns)


def copy_frame(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY the frame's rows into `table` (a temp table of ours) by column name; missing values become NULL
    (give integer columns with gaps pandas' nullable "Int64" dtype so they are written without a decimal point)."""
    text = frame.to_csv(header=False, index=False, na_rep="")
    columns = ", ".join(frame.columns)
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", io.StringIO(text))
