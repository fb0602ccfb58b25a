"""Errors users see as one-line messages (the CLI prints them and exits non-zero)."""

from __future__ import annotations


class GuestLoyaltyError(Exception):
    """Base of every error the CLI reports as a message rather than a traceback."""

    exit_code: int = 2


class ConfigError(GuestLoyaltyError):
    """A setting or command-line value is invalid."""


class UnknownEntityError(GuestLoyaltyError):
    """An entity name that no contract describes."""


class IngestError(GuestLoyaltyError):
    """A landing file could not be loaded into bronze."""


class ReadError(IngestError):
    """A landing file is empty, binary, badly encoded or malformed (ragged rows, quotes)."""

    exit_code = 3


class ContractError(IngestError):
    """A file's columns do not satisfy its entity contract."""

    exit_code = 4


class CardNumberError(ContractError):
    """A column holds what look like payment card numbers (refused unless dropped or masked)."""

    exit_code = 5


class MappingError(ConfigError):
    """A mapping file is invalid (unknown entity or column, missing required columns)."""

    exit_code = 6


class UntrustedMappingError(MappingError):
    """A mapping found in landing that the operator has not trusted (see ingest/trust.py)."""


class NoDataError(GuestLoyaltyError):
    """A stage found nothing to work on (no landing files, empty bronze, no gold)."""


class TransformError(GuestLoyaltyError):
    """dbt failed to build or test a model."""


class TrainingError(GuestLoyaltyError):
    """A model could not be trained (too little labeled history, one class only...)."""


class PlausibilityGateError(GuestLoyaltyError):
    """A run differs implausibly from the published gold; it stopped before publish."""

    exit_code = 7


class ModelNotFoundError(GuestLoyaltyError):
    """No promoted model exists yet: run `guestloyalty train`."""


class ArtifactIntegrityError(GuestLoyaltyError):
    """A model artifact does not match the checksum recorded when it was saved."""


class GuestNotFoundError(GuestLoyaltyError):
    """No guest matches the id given."""

    exit_code = 1


class PipelineLockedError(GuestLoyaltyError):
    """Another pipeline run holds the data directory."""


class QueryError(GuestLoyaltyError):
    """A named query is unknown or has wrong parameters, or a SQL statement failed."""


class DiskFullError(GuestLoyaltyError):
    """The disk holding the data directory ran out of space during a run."""


class ErasureError(GuestLoyaltyError):
    """A guest could not be erased (unknown id, or a layer could not be rewritten)."""
