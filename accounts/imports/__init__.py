"""File intake: read CSV/XLSX in any common Chinese encoding, stage rows with COPY, validate set-wise,
upsert by natural key. Each kind of import (retailers here; products and orders in sales) is an ImportSpec."""
