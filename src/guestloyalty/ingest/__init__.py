"""Landing files -> bronze: readers, header checks against contracts, load manifest."""

from guestloyalty.ingest.loader import IngestResult, ingest_paths

__all__ = ["IngestResult", "ingest_paths"]
