"""Landing files -> bronze: readers, mappings, checks (header, contract, card numbers), manifest."""

from guestloyalty.ingest.loader import (
    IngestResult,
    describe,
    ingest_paths,
    raise_for_failures,
    rows_by_entity,
)
from guestloyalty.ingest.mapping import Mapping, load_mapping

__all__ = [
    "IngestResult",
    "describe",
    "Mapping",
    "ingest_paths",
    "load_mapping",
    "raise_for_failures",
    "rows_by_entity",
]
