"""The dbt-duckdb plugin that hands dbt's DuckDB connections the hash key as a variable.

The keyed PII hashes (``keyed_hash`` in ``dbt_project/macros/cleaning.sql``) read the key with
``getvariable('guestloyalty_hash_key')`` instead of having it rendered into the SQL, so the key
is in none of dbt's files (compiled SQL, ``manifest.json``, ``run_results.json``, the docs
site, partial-parse state): only in this process's environment while dbt runs. dbt-duckdb
imports the module named in ``profiles.yml`` (``plugins: - module: guestloyalty.dbt_plugin``)
and calls ``configure_connection`` once and ``configure_cursor`` for each cursor (a cursor is
a new DuckDB connection: variables do not carry over).
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

#: The environment variable ``guestloyalty.transform`` sets around each dbt invocation.
HASH_KEY_ENV = "GUESTLOYALTY_HASH_KEY"
#: The DuckDB variable the ``keyed_hash`` macro reads.
HASH_KEY_VARIABLE = "guestloyalty_hash_key"


def _set_key(connection: Any) -> None:
    key = os.environ.get(HASH_KEY_ENV)
    if key:
        connection.execute(f"set variable {HASH_KEY_VARIABLE} = ?", [key])


class Plugin(BasePlugin):
    def configure_connection(self, conn: Any) -> None:
        _set_key(conn)

    def configure_cursor(self, cursor: Any) -> None:
        _set_key(cursor)
