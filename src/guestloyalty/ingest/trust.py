"""Which mapping files found in landing the operator trusts.

Landing is a drop box: whoever can put a file there (a vendor's SFTP account, an export job)
can put a ``mapping.yaml`` there too. Such a mapping is honoured only when the operator of
the data directory allows it:

- its SHA-256 is listed in ``<data>/state/trusted_mappings.txt`` (``guestloyalty
  trust-mapping FILE`` checks the file and adds it), or
- it is, byte for byte, one of the mappings shipped in the repository's ``mappings/``, or
- the operator trusts every mapping in landing (``--trust-landing-mappings`` or
  ``GUESTLOYALTY_TRUST_LANDING_MAPPINGS=1``).

A trusted mapping still passes the expression allow-list (expressions.py): trust decides
whether a mapping is used at all, never what it may do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from guestloyalty.errors import UntrustedMappingError
from guestloyalty.warehouse import Layout

TRUST_ENV = "GUESTLOYALTY_TRUST_LANDING_MAPPINGS"
#: The repository's shipped mappings (present in a source checkout, absent in a wheel).
SHIPPED_MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def mapping_digest(path: Path) -> str:
    """SHA-256 of the mapping file's bytes, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_digests(folder: Path = SHIPPED_MAPPINGS) -> frozenset[str]:
    """Digests of the mappings shipped with the code (none when the folder is absent)."""
    if not folder.is_dir():
        return frozenset()
    return frozenset(mapping_digest(path) for path in folder.glob("*.yaml"))


def trusted_digests(layout: Layout) -> frozenset[str]:
    """Digests listed in the trust file: the first word of each line; ``#`` starts a comment."""
    path = layout.trusted_mappings_path
    if not path.is_file():
        return frozenset()
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if words and _DIGEST.match(words[0].lower()):
            found.add(words[0].lower())
    return frozenset(found)


def in_landing(layout: Layout, path: Path) -> bool:
    """Whether ``path`` lies in the landing folder, by its name or (a link) by its target."""
    landing = layout.landing_dir
    named_in = path.absolute().is_relative_to(landing.absolute())
    return named_in or path.resolve().is_relative_to(landing.resolve())


def check_trusted(layout: Layout, path: Path, *, trust_landing: bool = False) -> None:
    """Raise unless the operator allows the mapping at ``path`` (found in landing)."""
    if trust_landing:
        return
    digest = mapping_digest(path)
    if digest in trusted_digests(layout) or digest in shipped_digests():
        return
    raise UntrustedMappingError(
        f"{path}: a mapping found in landing is not trusted (sha256 {digest[:16]}...): anyone "
        f"who can drop files there could have written it; review it, then run "
        f"`guestloyalty trust-mapping {path}` (adds its sha256 to "
        f"{layout.trusted_mappings_path}), or pass it with --mapping"
    )


def trust_mapping(layout: Layout, path: Path) -> str:
    """Check a mapping (valid, every expression allowed) and record its digest as trusted."""
    from guestloyalty.ingest.mapping import load_mapping

    load_mapping(path)
    digest = mapping_digest(path)
    if digest in trusted_digests(layout):
        return digest
    target = layout.trusted_mappings_path
    target.parent.mkdir(parents=True, exist_ok=True)
    new = not target.exists()
    with open(target, "a", encoding="utf-8") as handle:
        if new:
            handle.write(
                "# SHA-256 of mapping files trusted in landing (guestloyalty trust-mapping).\n"
            )
        today = dt.datetime.now(dt.UTC).date().isoformat()
        handle.write(f"{digest}  {path.resolve()}  {today}\n")
    return digest


__all__ = [
    "TRUST_ENV",
    "check_trusted",
    "in_landing",
    "mapping_digest",
    "shipped_digests",
    "trust_mapping",
    "trusted_digests",
]
