"""Erased people stay erased: the suppression list that ingest applies to every load.

``forget`` (:mod:`guestloyalty.operations.erasure`) records keyed hashes of an erased
person's source ids and email addresses in ``erasure_suppressions`` in the state file;
``apply_suppressions`` drops matching rows from each batch inside its load transaction, so
re-loading an old export cannot bring the person back. Only hashes are kept, never the ids in
clear; the key is the one of the keyed PII hashes ($GUESTLOYALTY_HASH_KEY, else
``state/hash.key``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.contracts import CONTRACTS
from guestloyalty.warehouse import Layout, connect

if TYPE_CHECKING:
    import duckdb

HASH_KEY_ENV = "GUESTLOYALTY_HASH_KEY"


SUPPRESSIONS_DDL = """
create table if not exists erasure_suppressions (
    key_hash varchar primary key,
    erased_at timestamp not null
)
"""


#: How the staging models normalise a blank source system (macro clean_text + 'default').
SYSTEM_SQL = (
    "coalesce(case when upper(trim({col})) in ('', 'NULL', 'NA', 'N/A', 'NONE', 'NAN') "
    "then null else trim({col}) end, 'default')"
)


_NULLS = {"", "NULL", "NA", "N/A", "NONE", "NAN"}


def hash_key(layout: Layout) -> str:
    """The key of the keyed hashes: $GUESTLOYALTY_HASH_KEY, else ``state/hash.key``.

    The file is created once, randomly, readable by its owner only; it must stay the same for
    the life of a data directory (the dbt models use the same key for the PII hashes).
    """
    key = os.environ.get(HASH_KEY_ENV, "").strip()
    if key:
        return key
    path = layout.data_dir / "state" / "hash.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    return path.read_text().strip()


def normal_system(system: str | None) -> str:
    """A source system as the staging models normalise it."""
    if system is None or system.strip().upper() in _NULLS:
        return "default"
    return system.strip()


def keyed_hash(key: str, kind: str, *parts: str) -> str:
    """sha256 over the key and the value: the same expression ``_hash_sql`` computes."""
    return hashlib.sha256("|".join((key, kind, *parts)).encode()).hexdigest()


def _id_hash_sql(key_param: str = "?") -> str:
    system = SYSTEM_SQL.format(col="source_system")
    return f"sha256({key_param} || '|id|' || {system} || '|' || trim(guest_id))"


def _email_hash_sql(key_param: str = "?") -> str:
    return f"sha256({key_param} || '|email|' || lower(trim(email)))"


def suppressed_hashes(layout: Layout) -> list[str]:
    """Every key hash in the suppression list ([] when nothing was ever erased)."""
    if not layout.state_path.exists():
        return []
    with connect(layout.state_path, read_only=True) as con:
        present = con.execute(
            "select count(*) from information_schema.tables "
            "where table_name = 'erasure_suppressions'"
        ).fetchall()[0][0]
        if not present:
            return []
        rows = con.execute("select key_hash from erasure_suppressions").fetchall()
        return [row[0] for row in rows]


def apply_suppressions(con: duckdb.DuckDBPyConnection, entity: str, batch_id: str) -> int:
    """Drop erased people's rows from a batch being loaded; returns how many were dropped.

    Called by ingest inside the file's transaction, before the commit, so a suppressed row
    never becomes visible. Matches on the keyed hash of (source system, guest id), and for
    guest profiles also of the email address.
    """
    layout = _layout_of(con)
    if layout is None:
        return 0
    hashes = suppressed_hashes(layout)
    if not hashes:
        return 0
    key = hash_key(layout)
    columns = CONTRACTS[entity].columns()
    conditions = [f"{_id_hash_sql()} in (select unnest(?::varchar[]))"]
    params: list[object] = [key, hashes]
    if "email" in columns:
        conditions.append(
            f"(email is not null and {_email_hash_sql()} in (select unnest(?::varchar[])))"
        )
        params += [key, hashes]
    before = con.execute(
        f"select count(*) from {entity} where _batch_id = ?", [batch_id]
    ).fetchall()[0][0]
    con.execute(
        f"delete from {entity} where _batch_id = ? and ({' or '.join(conditions)})",
        [batch_id, *params],
    )
    after = con.execute(
        f"select count(*) from {entity} where _batch_id = ?", [batch_id]
    ).fetchall()[0][0]
    return before - after


def _layout_of(con: duckdb.DuckDBPyConnection) -> Layout | None:
    """The data directory of a bronze connection (bronze lives at <data>/bronze/...)."""
    rows = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    if not rows or not rows[0][0]:
        return None
    return Layout(Path(rows[0][0]).resolve().parent.parent)
