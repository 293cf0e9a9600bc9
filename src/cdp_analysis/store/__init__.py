"""The processed store: raw downloads to Parquet (idempotent, atomic), read back with filters;
LSOA vintages, the national police aggregate, coverage and the data checklist."""
