"""Privacy: no raw PII in any gold column, consent respected, model artifacts never pickled
and refused when tampered with."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from trust_support import clone_world, run_cli

import guestloyalty
from guestloyalty.contracts import CONTRACTS
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

PACKAGE = Path(guestloyalty.__file__).parent
PII_COLUMN_NAMES = {c for contract in CONTRACTS.values() for c in contract.pii_columns}


@pytest.fixture(scope="module")
def gold(base_world):
    con = duckdb.connect(str(Layout(base_world.data_dir).gold_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def pii_values(base_world) -> dict[str, set]:
    """Every raw PII value in bronze, by column (names, emails, phones, birth dates...)."""
    with duckdb.connect(str(Layout(base_world.data_dir).bronze_path), read_only=True) as con:
        values: dict[str, set] = {}
        for entity, contract in CONTRACTS.items():
            for column in contract.pii_columns:
                rows = con.execute(
                    f'select distinct trim("{column}") from {entity} '
                    f'where "{column}" is not null and length(trim("{column}")) >= 6'
                ).fetchall()
                values.setdefault(column, set()).update(row[0] for row in rows)
    assert values.get("email") and values.get("phone"), "the world has no PII to look for"
    return values


def _gold_columns(gold) -> list[tuple[str, str, str]]:  # noqa: ANN001
    return gold.execute(
        "select columns.table_name, columns.column_name, columns.data_type "
        "from information_schema.columns inner join information_schema.tables "
        "using (table_catalog, table_schema, table_name) "
        "where table_schema = 'main' and table_type = 'BASE TABLE'"
    ).fetchall()


def test_no_gold_column_is_named_like_pii(gold):
    named = [(t, c) for t, c, _ in _gold_columns(gold) if c in PII_COLUMN_NAMES]
    assert named == []


def test_no_gold_value_is_raw_pii(gold, pii_values):
    text = sorted(
        {str(v) for column, vs in pii_values.items() if column != "birth_date" for v in vs}
    )
    found = []
    for table, column, data_type in _gold_columns(gold):
        if data_type != "VARCHAR":
            continue
        [(hits,)] = gold.execute(
            f'select count(*) from "{table}" where trim("{column}") in '
            "(select unnest(?::varchar[]))",
            [text],
        ).fetchall()
        if hits:
            found.append(f"{table}.{column}: {hits} value(s)")
    assert found == []


def test_no_gold_column_holds_birth_dates(gold, pii_values):
    births = sorted(str(v)[:10] for v in pii_values.get("birth_date", set()))
    if not births:
        pytest.skip("no birth dates in this world")
    found = []
    for table, column, data_type in _gold_columns(gold):
        if data_type not in ("DATE", "VARCHAR") or table in ("run_log", "model_registry"):
            continue
        [(share,)] = gold.execute(
            f'select coalesce(avg((cast("{column}" as varchar) in '
            f'(select unnest(?::varchar[])))::int), 0) from "{table}"',
            [births],
        ).fetchall()
        if share > 0.5:  # a column that *is* birth dates, not a coincidence
            found.append(f"{table}.{column}")
    assert found == []


def test_guests_without_consent_are_never_contactable(gold):
    tables = {
        row[0]
        for row in gold.execute("select table_name from information_schema.tables").fetchall()
    }
    if "next_best_action" not in tables:
        pytest.skip("next_best_action is not in gold yet (issue 7)")
    columns = {
        row[0]
        for row in gold.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'next_best_action'"
        ).fetchall()
    }
    assert "may_contact" in columns
    [(violations,)] = gold.execute(
        """
        select count(*)
        from next_best_action as action
        inner join guest_360 as guest using (guest_id)
        where action.may_contact and not coalesce(guest.has_marketing_consent, false)
        """
    ).fetchall()
    assert violations == 0


CONTACT_QUERIES = ["campaign_contact_list", "at_risk_contactable", "winback_campaign"]


@pytest.mark.parametrize("name", CONTACT_QUERIES)
def test_contactable_lists_hold_only_consenting_guests(gold, base_world, name):
    from guestloyalty import queries

    query = queries.get(name)
    present = {row[0] for row in gold.execute("select table_name from duckdb_tables()").fetchall()}
    missing = [table for table in query.requires if table not in present]
    if missing:
        pytest.skip(f"gold has no {', '.join(missing)} yet (issue 7)")
    values = {param.name: param.default for param in query.params}
    values.update({key: 1_000_000 for key in values if key.startswith("limit")})
    listed = queries.relation(gold, query, values).pl()
    assert "guest_id" in listed.columns
    gold.register("listed", listed.to_arrow())
    try:
        [(without_consent,)] = gold.execute(
            "select count(*) from listed inner join guest_360 using (guest_id) "
            "where not coalesce(guest_360.has_marketing_consent, false)"
        ).fetchall()
        unsubscribed = _unsubscribed(base_world)
        emailed = (
            set(listed.filter(listed["channel"] == "email")["guest_id"].to_list())
            if "channel" in listed.columns
            else set()
        )
    finally:
        gold.unregister("listed")
    assert without_consent == 0
    assert not (emailed & unsubscribed), "unsubscribed guests on an email list"


def _unsubscribed(base_world) -> set[str]:  # noqa: ANN001
    """Guests whose latest email event up to as_of is an unsubscribe."""
    layout = Layout(base_world.data_dir)
    with duckdb.connect(str(layout.silver_path), read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
        if "stg_bronze__engagement_events" not in tables:
            return set()
        rows = con.execute(
            """
            select guest_id from stg_bronze__engagement_events
            where event_type like 'email_%'
            qualify row_number() over (partition by guest_id order by occurred_at desc) = 1
                and event_type = 'email_unsubscribe'
            """
        ).fetchall()
    return {row[0] for row in rows}


# --- model artifacts ---------------------------------------------------------------------

PICKLE_CODE = re.compile(
    r"^\s*(import|from)\s+(c?pickle|joblib|cloudpickle|dill|shelve)\b"
    r"|\bpickle\.loads?\(|\ballow_pickle\s*=\s*True|\btorch\.load\(",
    re.MULTILINE,
)


def test_nothing_in_the_package_pickles():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if PICKLE_CODE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_model_artifacts_are_plain_data(base_world):
    files = [p for p in Layout(base_world.data_dir).models_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.suffix in {".json", ".ubj"}, path
        assert not path.read_bytes().startswith(b"\x80"), f"{path} looks like a pickle"


def test_a_tampered_model_is_refused_with_a_clear_message(base_world, tmp_path):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    promoted = (layout.models_dir / "promoted.json").read_text()
    version = re.search(r'"version":\s*"([^"]+)"', promoted).group(1)
    folder = layout.models_dir / version
    artifact = next(p for p in sorted(folder.iterdir()) if p.name.startswith("churn."))
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0x01
    artifact.write_bytes(bytes(data))
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        [(guest_id,)] = con.execute("select min(guest_id) from guest_scores").fetchall()
    result = run_cli(layout, "score-guest", guest_id)
    assert result.returncode != 0
    assert "checksum" in result.stderr
    assert "Traceback" not in result.stderr
