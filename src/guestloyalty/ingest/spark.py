"""Landing files into bronze with Spark: the same contract as the DuckDB loader.

Every contract column as text, plus the lineage columns ``_batch_id``, ``_source_file``,
``_row_number`` (the row's position in its file, from 1) and ``_loaded_at``, and ``_extra``
(the columns the contract does not name, as a JSON object). A file whose bytes bronze already
holds (``bronze._load_manifest``, keyed by SHA-256) is skipped. Files are read by Spark
(Parquet, CSV / TSV, JSON Lines, each optionally gzipped); one a Spark reader cannot read,
or one that lacks a required column, is refused with one line and the others still load.

What stays on the DuckDB engine for now: mapped exports (``mapping.yaml``: their
expressions are DuckDB SQL), the card-number scan and the erasure suppressions. A file with
a mapping is refused here, so nothing loads without the checks it would get there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.contracts import CONTRACTS, contract_for
from guestloyalty.errors import GuestLoyaltyError, IngestError, MappingError, ReadError
from guestloyalty.ingest import manifest
from guestloyalty.ingest.loader import FOLDER_MAPPING, IngestResult, discover, entity_of
from guestloyalty.warehouse.spark import BRONZE_SCHEMA, has_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from guestloyalty.warehouse import Layout

MANIFEST = f"{BRONZE_SCHEMA}.{manifest.MANIFEST_TABLE}"
_LINEAGE = "_batch_id string, _source_file string, _row_number bigint, _loaded_at timestamp"


def ensure_bronze_tables(spark: SparkSession) -> None:
    """Every entity's bronze table and the manifest, empty, so dbt's sources resolve."""
    for entity, contract in CONTRACTS.items():
        columns = ", ".join(f"`{column}` string" for column in contract.columns())
        spark.sql(
            f"create table if not exists {BRONZE_SCHEMA}.{entity} ({columns}, {_LINEAGE}, "
            "_extra string) using parquet"
        )
    spark.sql(
        f"create table if not exists {MANIFEST} (file_hash string, batch_id string, "
        "entity string, source_file string, row_count bigint, loaded_at timestamp, "
        "mapping string) using parquet"
    )


def ingest_paths(
    spark: SparkSession, layout: Layout, paths: list[Path] | None = None
) -> list[IngestResult]:
    """Load files (default: all of landing) into the Spark bronze tables."""
    files = discover(paths or [layout.landing_dir])
    ensure_bronze_tables(spark)
    loaded = {
        row.file_hash: row for row in spark.table(MANIFEST).collect()
    }  # one row per file ever loaded: small
    results = []
    for path in files:
        try:
            results.append(_load(spark, layout, path, loaded))
        except GuestLoyaltyError as error:
            results.append(IngestResult(path, None, None, 0, False, str(error), error))
    return results


def _load(spark: SparkSession, layout: Layout, path: Path, loaded: dict) -> IngestResult:
    if (path.parent / FOLDER_MAPPING).is_file():
        raise MappingError(
            f"{path}: mapped exports ({path.parent / FOLDER_MAPPING}) load on the DuckDB "
            "engine only; ingest them there, or convert the file to the contract's columns"
        )
    entity = entity_of(path, layout, entity=None, mapping=None)
    digest = manifest.file_hash(path)
    if digest in loaded:
        seen = loaded[digest]
        return IngestResult(
            path,
            entity,
            seen.batch_id,
            0,
            True,
            f"already loaded (same content) as batch {seen.batch_id}; nothing to do",
        )
    contract = contract_for(entity)
    frame = _read(spark, path)
    missing = [c for c in contract.required_columns() if c not in frame.columns]
    if missing:
        raise IngestError(
            f"{path}:1: missing required column(s) for {entity}: {', '.join(missing)}; "
            f"present: {', '.join(frame.columns[:12])}"
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch_id = manifest.new_batch_id(digest, now)
    rows = _append(spark, frame, entity, path, batch_id, now)
    if rows == 0:
        raise ReadError(f"{path}: no data rows (header only?); nothing to load")
    entry = manifest.ManifestEntry(digest, batch_id, entity, str(path.resolve()), rows, now)
    spark.createDataFrame(
        [(*(getattr(entry, f) for f in _MANIFEST_FIELDS), None)],
        spark.table(MANIFEST).schema,
    ).write.insertInto(MANIFEST)
    loaded[digest] = entry
    return IngestResult(
        path, entity, batch_id, rows, False, f"loaded {rows:,} rows as batch {batch_id}"
    )


_MANIFEST_FIELDS = ("file_hash", "batch_id", "entity", "source_file", "row_count", "loaded_at")


def _read(spark: SparkSession, path: Path) -> DataFrame:
    """The file as Spark reads it, every column text (typed Parquet columns cast as DuckDB's
    loader writes them: timestamps as ``yyyy-MM-dd HH:mm:ss``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.utils import AnalysisException

    name = path.name.lower().removesuffix(".gz")
    where = str(path.resolve())
    try:
        if name.endswith(".parquet"):
            frame = spark.read.parquet(where)
            columns = []
            for field in frame.schema.fields:
                kind = field.dataType.typeName()
                column = F.col(f"`{field.name}`")
                if kind.startswith("timestamp"):
                    text = F.date_format(column, "yyyy-MM-dd HH:mm:ss")
                else:
                    text = column.cast("string")
                columns.append(text.alias(field.name))
            return frame.select(*columns)
        if name.endswith((".csv", ".tsv")):
            return spark.read.csv(
                where,
                header=True,
                sep="\t" if name.endswith(".tsv") else ",",
                inferSchema=False,
                multiLine=True,
                escape='"',
                mode="PERMISSIVE",
            )
        if name.endswith((".jsonl", ".ndjson", ".json")):
            return spark.read.json(where, primitivesAsString=True)
    except AnalysisException as error:
        raise ReadError(f"{path}: Spark cannot read it ({str(error).splitlines()[0]})") from None
    raise ReadError(f"{path}: not a data file Spark reads (.parquet, .csv, .tsv, .jsonl)")


def _append(
    spark: SparkSession, frame: DataFrame, entity: str, path: Path, batch_id: str, now: dt.datetime
) -> int:
    """Number the rows in file order, add the lineage and append them to bronze."""
    from pyspark.sql import functions as F

    contract = contract_for(entity)
    known = contract.columns()
    extras = [c for c in frame.columns if c not in known and not c.startswith("_")]
    with _numbered(frame) as (numbered, rows):
        columns = [
            (F.col(f"`{c}`") if c in frame.columns else F.lit(None)).cast("string").alias(c)
            for c in known
        ]
        extra = (
            F.to_json(F.struct(*[F.col(f"`{c}`").cast("string").alias(c) for c in extras]))
            if extras
            else F.lit(None).cast("string")
        )
        table = f"{BRONZE_SCHEMA}.{entity}"
        out = numbered.select(
            *columns,
            F.lit(batch_id).alias("_batch_id"),
            F.lit(str(path.resolve())).alias("_source_file"),
            F.col("_row_number"),
            F.lit(now).cast("timestamp").alias("_loaded_at"),
            extra.alias("_extra"),
        )
        if not has_table(spark, BRONZE_SCHEMA, entity):
            ensure_bronze_tables(spark)
        if rows:
            out.write.insertInto(table)
        return rows


@contextmanager
def _numbered(frame: DataFrame) -> Iterator[tuple[DataFrame, int]]:
    """``_row_number``: the row's position in its file from 1, without a one-partition
    window: Spark's ids are (partition << 33) + position in it, the partitions of one file
    follow the file's order, so the rank is the rows of earlier partitions plus the position.
    Also the file's row count: the sum of the partition counts, so that the load is the only
    other pass (over the cached ids, released when the block ends)."""
    from pyspark.sql import functions as F

    with_ids = frame.withColumn("_id", F.monotonically_increasing_id()).withColumn(
        "_part", F.spark_partition_id()
    )
    with_ids.cache()
    try:
        counts = sorted(
            (row["_part"], row["count"]) for row in with_ids.groupBy("_part").count().collect()
        )
        offsets, total = {}, 0
        for part, count in counts:
            offsets[part] = total
            total += count
        offset = F.lit(0)
        for part, start in offsets.items():
            offset = F.when(F.col("_part") == part, F.lit(start)).otherwise(offset)
        first_id = F.col("_part").cast("long") * (1 << 33)
        yield (
            with_ids.withColumn(
                "_row_number", (offset + F.col("_id") - first_id + 1).cast("long")
            ).drop("_id", "_part"),
            total,
        )
    finally:
        with_ids.unpersist()
