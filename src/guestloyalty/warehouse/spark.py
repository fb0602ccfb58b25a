"""The Spark engine's layers: one SparkSession per process over a data directory.

Everything Spark writes lives under ``<data>/spark/``:

    warehouse/             ``spark.sql.warehouse.dir``: one folder per schema, one Parquet
                           folder per table (bronze.db/stays/, silver.db/..., gold_<v>.db/...)
    metastore_db/          the catalog (Hive metastore in embedded Derby: one process at a
                           time, which the pipeline lock already guarantees)
    BUILD                  name of the gold schema the run in progress builds into
    scratch/               the Python stages' DuckDB working copies and the Parquet files
                           on their way between the engines (``warehouse.spark_copies``)
    GOLD                   name of the published gold schema (see :func:`publish_gold`)

Tables are Parquet, not Delta: Delta Lake's jars are not part of pyspark (they would be
fetched from Maven at start-up, and nothing here downloads at run time), and Delta's ACID
commits are per table, so publishing a whole gold consistently needs the pointer below
anyway.

**What Spark guarantees, and how gold is published.** Spark SQL has no multi-statement or
multi-table transactions. With Parquet tables in the Hive metastore, one DDL statement on
one table is atomic in the metastore, but rewriting a table (drop + create as select, or
``insert overwrite``) is not: a reader in between sees no table or a partial set of files.
So a run never rewrites published tables: each run builds into a schema of its own
(``gold_<run>``), and publishing replaces one small pointer file (``GOLD``) with
``os.replace``, which POSIX makes atomic. A reader resolves the pointer once
(:func:`published_gold_schema`) and reads every table of that one version; a run that
fails before the rename leaves the pointer, and so gold, as it was. The previous version
is kept after a publish (a reader that resolved it just before keeps reading it); older
ones are dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.errors import ConfigError, NoDataError
from guestloyalty.faults import fault_point
from guestloyalty.warehouse import Layout, fsync_dir

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

#: Spark schemas of the layers (the gold build schema is per run: ``gold_<run>``).
BRONZE_SCHEMA = "bronze"
SILVER_SCHEMA = "silver"
GOLD_PREFIX = "gold_"
DEFAULT_MASTER = "local[*]"
#: Shuffle partitions by default: Spark's 200 is tuned for clusters; on one machine a few per
#: core keep small stages from paying for 200 tasks. Override with --spark-conf.
DEFAULT_SHUFFLE_PARTITIONS = 8
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Spark's own log: errors only (a failed statement is raised as an exception anyway).
_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
# the metastore logs "already exists" for every create ... if not exists
logger.hms.name = org.apache.hadoop.hive.metastore.RetryingHMSHandler
logger.hms.level = off
"""


def driver_memory() -> str:
    """``spark.driver.memory``: $GUESTLOYALTY_SPARK_DRIVER_MEMORY, else a quarter of the
    machine's memory, between 2 and 16 GiB. In local mode the driver JVM also runs every
    task (dbt's joins and sorts, the Parquet writes), so its heap is the engine's working
    memory; a quarter leaves the rest to DuckDB and xgboost in the Python process and to
    the page cache. It is a ceiling (``-Xmx``): the JVM takes it only as it needs it."""
    override = os.environ.get("GUESTLOYALTY_SPARK_DRIVER_MEMORY")
    if override:
        return override
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return "2g"
    return f"{min(max(total // 4 // 2**30, 2), 16)}g"


def spark_dir(layout: Layout) -> Path:
    return layout.data_dir / "spark"


def warehouse_dir(layout: Layout) -> Path:
    return spark_dir(layout) / "warehouse"


def _pointer(layout: Layout, name: str) -> Path:
    return spark_dir(layout) / name


def require_pyspark() -> None:
    """pyspark is an optional extra: one line that says how to get it."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        raise ConfigError(
            f"--engine spark needs the spark extra ({error.name} is missing): "
            'pip install "guestloyalty[spark]" (Java 17 or later must be installed)'
        ) from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ConfigError("--engine spark needs Java 17 or later: install a JDK or set JAVA_HOME")


def session(
    layout: Layout,
    *,
    master: str = DEFAULT_MASTER,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """The process's SparkSession over ``layout`` (created on first call, then reused).

    The catalog and the warehouse are per data directory and fixed when the session starts,
    so a process works on one data directory; asking for another one is an error.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    root = spark_dir(layout).resolve()
    active = SparkSession.getActiveSession()
    if active is not None:
        current = active.conf.get("spark.sql.warehouse.dir", "")
        if current.removeprefix("file:").rstrip("/") != str(root / "warehouse"):
            raise ConfigError(
                f"this process's Spark session works on {current}, not {root / 'warehouse'}: "
                "one data directory per process on the Spark engine"
            )
        return active
    root.mkdir(parents=True, exist_ok=True)
    metastore = root / "metastore_db"
    log_config = root / "log4j2.properties"
    log_config.write_text(_LOG4J)
    import logging

    # pyspark logs every failed statement's full plan as JSON; the error itself is raised
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    settings = {
        "spark.app.name": "guestloyalty",
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={root} -Dlog4j2.configurationFile=file:{log_config}"
        ),
        "spark.sql.session.timeZone": "UTC",
        # DuckDB's semantics: a failed cast or a division by zero is null, not an error
        "spark.sql.ansi.enabled": "false",
        # DuckDB divides decimals in double precision; Spark keeps a decimal and, by default,
        # cuts its scale to 6 digits when the exact type would not fit (1.512367 for
        # 1.5123674911660778): keep the digits instead (a result past 38 digits is null)
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        "spark.sql.shuffle.partitions": str(DEFAULT_SHUFFLE_PARTITIONS),
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": driver_memory(),
        **(conf or {}),
    }
    # the Python workers that stream Arrow batches back run this interpreter (pyspark reads
    # PYSPARK_PYTHON when the context starts; its default is whatever `python3` is first)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    for schema in (BRONZE_SCHEMA, SILVER_SCHEMA):
        if not spark.catalog.databaseExists(schema):
            spark.sql(f"create database {schema}")
    return spark


def table_names(spark: SparkSession, schema: str) -> list[str]:
    """Tables (not views) of ``schema``, sorted; none when the schema does not exist."""
    if not spark.catalog.databaseExists(schema):
        return []
    return sorted(
        table.name for table in spark.catalog.listTables(schema) if table.tableType != "VIEW"
    )


def has_table(spark: SparkSession, schema: str, table: str) -> bool:
    return spark.catalog.tableExists(f"{schema}.{table}")


# -- gold versions ------------------------------------------------------------------------


def _read_pointer(layout: Layout, name: str) -> str | None:
    path = _pointer(layout, name)
    if not path.exists():
        return None
    value = path.read_text().strip()
    if not _NAME.match(value):
        raise ConfigError(f"{path}: {value!r} is not a schema name; remove the file")
    return value


def _write_pointer(layout: Layout, name: str, value: str) -> None:
    path = _pointer(layout, name)
    temporary = path.with_name(f".{name}.tmp")
    with open(temporary, "w") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def published_gold_schema(layout: Layout) -> str:
    """The schema of the published gold (resolve once, then read every table from it)."""
    schema = _read_pointer(layout, "GOLD")
    if schema is None:
        raise NoDataError(
            f"no published Spark gold under {spark_dir(layout)}: run "
            "`guestloyalty pipeline --engine spark` first"
        )
    return schema


def published_gold_schema_or_none(layout: Layout) -> str | None:
    return _read_pointer(layout, "GOLD")


def published_table_path(layout: Layout, table: str, *, schema: str | None = None) -> Path:
    """The Parquet folder of a published gold table: readers need no Spark session (DuckDB:
    ``read_parquet('<folder>/*.parquet')``, pyarrow: ``pyarrow.parquet.read_table``)."""
    schema = schema or published_gold_schema(layout)
    return warehouse_dir(layout) / f"{schema}.db" / table


def gold_build_schema(layout: Layout) -> str:
    """The schema the run in progress builds gold into."""
    schema = _read_pointer(layout, "BUILD")
    if schema is None:
        raise NoDataError(
            f"no Spark gold build under {spark_dir(layout)}: run "
            "`guestloyalty transform --engine spark` first"
        )
    return schema


def start_gold_build(spark: SparkSession, layout: Layout, run_id: str) -> str:
    """A fresh, empty build schema for this run; drops builds that were never published."""
    published = _read_pointer(layout, "GOLD")
    name = GOLD_PREFIX + re.sub(r"[^a-z0-9]+", "_", run_id.lower()).strip("_")
    for schema in _gold_schemas(spark):
        if schema not in (published, _read_pointer(layout, "PREVIOUS")):
            spark.sql(f"drop database if exists {schema} cascade")
    spark.sql(f"create database {name}")
    _write_pointer(layout, "BUILD", name)
    return name


def _gold_schemas(spark: SparkSession) -> list[str]:
    return sorted(
        db.name for db in spark.catalog.listDatabases() if db.name.startswith(GOLD_PREFIX)
    )


def publish_gold(spark: SparkSession, layout: Layout) -> str:
    """Make the build schema the published gold in one atomic step (the pointer rename)."""
    build = gold_build_schema(layout)
    previous = _read_pointer(layout, "GOLD")
    fault_point("publish:before_rename")
    if previous is not None:
        _write_pointer(layout, "PREVIOUS", previous)
    _write_pointer(layout, "GOLD", build)
    fault_point("publish:after_rename")
    _pointer(layout, "BUILD").unlink(missing_ok=True)
    keep = {build, previous}
    for schema in _gold_schemas(spark):
        if schema not in keep:
            spark.sql(f"drop database if exists {schema} cascade")
    return build


# -- small results ------------------------------------------------------------------------


def to_arrow(frame: DataFrame) -> pa.Table:
    """A small Spark DataFrame as one Arrow table. It travels through the driver as task
    results: tables go through Parquet files instead (``warehouse.spark_copies``)."""
    return frame.toArrow()
