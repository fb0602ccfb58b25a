"""The Python stages' working copy on the Spark engine: Spark tables in and out of DuckDB
as Parquet files, never through the Spark driver.

The Python stages (sentiment, train, score, recommend, gate) read and write DuckDB; on the
Spark engine they run unchanged against DuckDB copies of the few Spark tables each one
reads (:func:`copy_to_duckdb`), and what they write goes back as Spark tables
(:func:`copy_to_spark`).

**Why files, not task results.** Everything Spark hands to Python through its driver
(``collect``, ``toArrow``, ``toLocalIterator``, Arrow batches from ``mapInArrow``) travels as
task results: each task's output is serialised, kept in the block manager and fetched by the
driver JVM before Python sees a row. At 100,000 guests streaming ``guest_feature_snapshots``
that way failed (``TaskResultLost``) with a 2 GiB driver, and more driver memory only moves
the limit. A Spark table here is already a folder of Parquet files: DuckDB reads them
directly (no Spark job at all, DuckDB streams and spills); a view, or a table that is not
plain Parquet, is first written out by Spark's own tasks into the scratch folder (files,
written in parallel, nothing through the driver). Back the other way, DuckDB writes one
Parquet file and Spark's tasks read it. On a cluster the scratch folder must be on storage
both the driver and the executors see (HDFS, an object store mount); local mode, where it is
a local folder, is what the test suite and the benchmark verify.

Types are the Arrow transfer's: Spark's timestamps (UTC instants, the session time zone is
UTC) become DuckDB's plain timestamps in UTC wall time and back; DuckDB's ``hugeint`` goes to
Spark as ``decimal(38, 0)`` (Parquet has no 128-bit integer; DuckDB would write a double).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.warehouse import Layout
from guestloyalty.warehouse.spark import has_table, spark_dir

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class ScratchLayout(Layout):
    """A layout whose silver, gold build and published gold are DuckDB working copies.

    State (registry, score history, run log) and model artifacts stay where they are.
    ``exports`` holds the Parquet files on their way between the engines.
    """

    scratch_dir: Path = Path("scratch")

    @property
    def silver_path(self) -> Path:
        return self.scratch_dir / "silver.duckdb"

    @property
    def gold_build_path(self) -> Path:
        return self.scratch_dir / "gold_build.duckdb"

    @property
    def gold_path(self) -> Path:
        return self.scratch_dir / "gold.duckdb"

    @property
    def exports(self) -> Path:
        return self.scratch_dir / "parquet"


def scratch_layout(layout: Layout) -> ScratchLayout:
    """An empty working copy under ``<data>/spark/scratch`` (what a crashed run left is gone)."""
    scratch = spark_dir(layout) / "scratch"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    return ScratchLayout(layout.data_dir, scratch_dir=scratch)


def copy_to_duckdb(
    spark: SparkSession, tables: dict[str, str], path: Path, *, exports: Path
) -> list[str]:
    """Copy Spark tables (``{duckdb name: spark schema.table}``) into the DuckDB file
    ``path`` from their Parquet files; tables Spark does not have are left out. Returns
    those copied."""
    import duckdb

    copied = []
    with duckdb.connect(str(path)) as con:
        con.execute("set TimeZone = 'UTC'")
        for name, source in tables.items():
            files = parquet_files(spark, source, exports / "in" / name)
            if files is None:
                continue
            if files:
                _create_from_parquet(con, name, files)
            else:
                _create_empty(con, name, spark, source)
            copied.append(name)
    return copied


def parquet_files(spark: SparkSession, source: str, export: Path) -> list[Path] | None:
    """The Parquet files holding the Spark relation ``source`` (schema.table): a plain
    Parquet table's own files, else (a view, a partitioned or non-Parquet table) the files
    Spark's tasks write into ``export``. None when there is no such relation."""
    schema, _, table = source.partition(".")
    if not spark.catalog.databaseExists(schema):
        return None
    if not has_table(spark, schema, table):
        return None
    location = _plain_parquet_location(spark, source)
    if location is None:
        spark.table(source).write.mode("overwrite").parquet(str(export))
        location = export
    return _data_files(location)


def _plain_parquet_location(spark: SparkSession, source: str) -> Path | None:
    """The local folder of an unpartitioned Parquet table, else None."""
    details = {}
    for row in spark.sql(f"describe table extended {source}").collect():
        if row.col_name == "# Partition Information":
            return None
        details.setdefault(row.col_name, row.data_type)
    location = details.get("Location") or ""
    if (details.get("Provider") or "").lower() != "parquet" or details.get("Type") == "VIEW":
        return None
    if location.startswith("file:"):
        location = location.removeprefix("file:")
    elif "://" in location or not location.startswith("/"):
        return None  # hdfs://, s3a://: not a folder DuckDB reads here
    folder = Path(location)
    return folder if folder.is_dir() else None


def _data_files(folder: Path) -> list[Path]:
    """Files Spark reads as the table's data: not hidden, not ``_SUCCESS`` or ``_temporary``."""
    return sorted(
        path for path in folder.iterdir() if path.is_file() and not path.name.startswith(("_", "."))
    )


def _create_from_parquet(con: duckdb.DuckDBPyConnection, name: str, files: list[Path]) -> None:
    source = f"read_parquet({[str(path) for path in files]!r})"
    columns = con.execute(f"describe select * from {source}").fetchall()
    select = ", ".join(
        f'cast("{column}" as timestamp) as "{column}"'
        if kind == "TIMESTAMP WITH TIME ZONE"
        else f'"{column}"'
        for column, kind, *_ in columns
    )
    con.execute(f'create or replace table "{name}" as select {select} from {source}')


def _create_empty(
    con: duckdb.DuckDBPyConnection, name: str, spark: SparkSession, source: str
) -> None:
    """A table with no data files yet (created, never written): its columns from Spark's
    schema."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(spark.table(source).schema, timezone="UTC")
    empty = pa.schema(  # noqa: F841 - read by the query below
        [
            field.with_type(pa.timestamp(field.type.unit))  # UTC wall time, as copied rows
            if pa.types.is_timestamp(field.type)
            else field
            for field in schema
        ]
    ).empty_table()
    con.execute(f'create or replace table "{name}" as select * from empty')


def copy_to_spark(
    spark: SparkSession, path: Path, tables: list[str], schema: str, *, exports: Path
) -> list[str]:
    """Write DuckDB tables of ``path`` as Spark tables ``schema.<name>`` (replacing them),
    each through one Parquet file in ``exports``; tables the file does not have are left
    out. Returns those written."""
    import duckdb

    written = []
    out = exports / "out"
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        present = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        for name in tables:
            if name not in present:
                continue
            file = out / f"{name}.parquet"
            con.execute(f"copy ({_export_select(con, name)}) to '{file}' (format parquet)")
            spark.read.parquet(str(file)).write.mode("overwrite").format("parquet").saveAsTable(
                f"{schema}.{name}"
            )
            written.append(name)
    return written


def _export_select(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The table with Spark's types: timestamps as instants (Spark's ``timestamp``, not
    ``timestamp_ntz``), 128-bit integers as ``decimal(38, 0)``."""
    columns = con.execute(f'describe "{name}"').fetchall()
    parts = []
    for column, kind, *_ in columns:
        if kind.startswith("TIMESTAMP") and "TIME ZONE" not in kind:
            parts.append(f'cast("{column}" as timestamptz) as "{column}"')
        elif kind in ("HUGEINT", "UHUGEINT"):
            parts.append(f'cast("{column}" as decimal(38, 0)) as "{column}"')
        else:
            parts.append(f'"{column}"')
    return f'select {", ".join(parts)} from "{name}"'
