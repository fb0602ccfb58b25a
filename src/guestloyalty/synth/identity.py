"""Profiles: how source systems know a person, duplicates included.

Every person has a primary PMS profile (``G…``). A few percent also have a second profile
in another system: a CRM profile (``C…``, from a web sign-up) whose email differs in case or
whitespace, whose phone is formatted differently and whose name may carry a typo; or an OTA
profile (``O…``) with a masked relay email. Trips booked through the duplicate's channel use
the duplicate's id, as they would in a real export. The truth file maps every profile to its
person (``person_id``) so identity resolution can be measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from guestloyalty.synth.catalog import Catalog
from guestloyalty.synth.guests import People

DUPLICATE_SHARE = 0.04
CRM_SHARE_OF_DUPLICATES = 0.5
#: Share of a CRM duplicate's direct web/app trips booked under the CRM profile.
CRM_ROUTING = 0.7

COUNTRIES = ("PT", "ES", "GB", "DE", "FR", "US", "NL", "IT", "BR")
COUNTRY_SHARE = (0.24, 0.18, 0.15, 0.11, 0.10, 0.08, 0.05, 0.05, 0.04)
LANGUAGE = {
    "PT": "pt",
    "BR": "pt",
    "ES": "es",
    "GB": "en",
    "US": "en",
    "DE": "de",
    "FR": "fr",
    "NL": "nl",
    "IT": "it",
}
DIAL = {
    "PT": "351",
    "ES": "34",
    "GB": "44",
    "DE": "49",
    "FR": "33",
    "US": "1",
    "NL": "31",
    "IT": "39",
    "BR": "55",
}
CITIES = {
    "PT": ("Lisboa", "Porto", "Braga", "Coimbra"),
    "ES": ("Madrid", "Barcelona", "Valencia", "Sevilla"),
    "GB": ("London", "Manchester", "Leeds", "Bristol"),
    "DE": ("Berlin", "München", "Hamburg", "Köln"),
    "FR": ("Paris", "Lyon", "Marseille", "Lille"),
    "US": ("New York", "Boston", "Chicago", "Miami"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"),
    "IT": ("Roma", "Milano", "Torino", "Bologna"),
    "BR": ("São Paulo", "Rio de Janeiro", "Curitiba", "Recife"),
}
FIRST = (
    "Maria",
    "João",
    "Ana",
    "Pedro",
    "Sofia",
    "Miguel",
    "Laura",
    "Carlos",
    "Emma",
    "Oliver",
    "Hannah",
    "Lukas",
    "Camille",
    "Louis",
    "Olivia",
    "James",
    "Sanne",
    "Daan",
    "Giulia",
    "Marco",
    "Beatriz",
    "Rafael",
    "Inês",
    "Tiago",
    "Lucía",
    "Javier",
    "Charlotte",
    "Henry",
    "Lea",
    "Felix",
    "Chloé",
    "Hugo",
    "Ava",
    "Noah",
    "Eva",
    "Luca",
    "Marta",
    "Diego",
    "Clara",
    "Paul",
)
LAST = (
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "García",
    "Martínez",
    "López",
    "Smith",
    "Jones",
    "Taylor",
    "Müller",
    "Schmidt",
    "Schneider",
    "Martin",
    "Bernard",
    "Dubois",
    "Johnson",
    "Williams",
    "de Jong",
    "Jansen",
    "Rossi",
    "Russo",
    "Costa",
    "Oliveira",
    "Sánchez",
    "Brown",
    "Fischer",
    "Moreau",
    "Bakker",
    "Ricci",
    "Gomes",
    "Rodrigues",
    "Fernández",
    "Wilson",
    "Weber",
    "Laurent",
    "Visser",
    "Bianchi",
    "Almeida",
    "Moreno",
)
DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "mail.pt",
    "web.de",
    "orange.fr",
    "hotmail.com",
)
RELAY_DOMAINS = ("guest.booking.com", "m.expediapartnercentral.com", "relay.airbnb.com")
STREETS = ("Rua", "Calle", "Street", "Straße", "Rue", "Avenue", "Via", "Avenida")


@dataclass
class Identities:
    """Which persons have a duplicate profile, in which system, and trip routing."""

    has_duplicate: np.ndarray  # bool per person
    duplicate_system: np.ndarray  # 0 none, 1 crm, 2 ota (per person)


def draw_identities(rng: np.random.Generator, n: int) -> Identities:
    has = rng.random(n) < DUPLICATE_SHARE
    system = np.where(has, np.where(rng.random(n) < CRM_SHARE_OF_DUPLICATES, 1, 2), 0)
    return Identities(has_duplicate=has, duplicate_system=system.astype(np.int8))


def route_trips(
    rng: np.random.Generator,
    cat: Catalog,
    identities: Identities,
    person: np.ndarray,
    channel: np.ndarray,
) -> np.ndarray:
    """True where a trip was booked under the person's duplicate profile."""
    system = identities.duplicate_system[person]
    name = cat.channels[channel]
    ota = (system == 2) & (name == "ota")
    crm = (
        (system == 1)
        & np.isin(name, ["direct_web", "direct_app"])
        & (rng.random(person.size) < CRM_ROUTING)
    )
    return ota | crm


def profile_ids(person: np.ndarray, system: np.ndarray) -> pl.Series:
    """Guest id of a person's profile in a system (0 pms ``G``, 1 crm ``C``, 2 ota ``O``)."""
    prefix = pl.Series(["G", "C", "O"]).gather(system)
    number = pl.Series((person + 1).astype(np.int64)).cast(pl.Utf8).str.zfill(7)
    return (prefix + number).rename("guest_id")


def build_profiles(
    rng: np.random.Generator,
    people: People,
    identities: Identities,
    *,
    created_at: pl.Series,
    duplicate_created_at: pl.Series,
) -> pl.DataFrame:
    """The guests entity: primary profiles, then duplicates (datetime64 created_at arrays)."""
    n = len(people)
    country = rng.choice(len(COUNTRIES), n, p=COUNTRY_SHARE)
    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    domain = rng.integers(0, len(DOMAINS), n)
    phone_digits = rng.integers(600_000_000, 999_999_999, n)
    birth = (
        np.datetime64("1950-01-01")
        + rng.integers(0, 365 * 52, n).astype("timedelta64[D]")
        + np.where(people.purpose == 0, 365 * 5, 0).astype("timedelta64[D]")
    )
    city_pick = rng.integers(0, 4, n)
    house = rng.integers(1, 250, n)
    street = rng.integers(0, len(STREETS), n)
    codes = pl.Series(COUNTRIES).gather(country)
    first_s = pl.Series(FIRST).gather(first)
    last_s = pl.Series(LAST).gather(last)
    city_table = pl.Series([CITIES[c][i] for c in COUNTRIES for i in range(4)])
    base = pl.DataFrame(
        {
            "person": people.person,
            "first_name": first_s,
            "last_name": last_s,
            "country": codes,
            "dial": pl.Series([DIAL[c] for c in COUNTRIES]).gather(country),
            "language": pl.Series([LANGUAGE[c] for c in COUNTRIES]).gather(country),
            "city": city_table.gather(country * 4 + city_pick),
            "domain": pl.Series(DOMAINS).gather(domain),
            "digits": pl.Series(phone_digits).cast(pl.Utf8),
            "birth_date": birth,
            "address": pl.Series(STREETS).gather(street)
            + " "
            + last_s
            + " "
            + pl.Series(house).cast(pl.Utf8),
            "created_at": created_at,
            "marketing_consent": people.consent,
            "email_opt_in": people.email_opt_in,
            "sms_opt_in": people.sms_opt_in,
            "loyalty_member": people.is_member,
        }
    )
    local = (
        pl.col("first_name").str.to_lowercase()
        + "."
        + pl.col("last_name").str.replace_all(" ", "").str.to_lowercase()
        + pl.col("person").cast(pl.Utf8)
    )
    base = base.with_columns(
        email=local + "@" + pl.col("domain"),
        phone="+" + pl.col("dial") + pl.col("digits"),
    )
    primary = base.with_columns(
        guest_id=profile_ids(people.person, np.zeros(n, dtype=np.int64)),
        source_system=pl.lit("pms"),
    )

    dup_index = np.flatnonzero(identities.has_duplicate)
    k = dup_index.size
    system = identities.duplicate_system[dup_index].astype(np.int64)
    style = rng.integers(0, 3, k)
    typo = rng.random(k) < 0.3
    relay = pl.Series(RELAY_DOMAINS).gather(rng.integers(0, len(RELAY_DOMAINS), k))
    token = (
        pl.Series(rng.integers(36**6, 36**7, k)).map_elements(_base36, return_dtype=pl.Utf8)
        if k
        else pl.Series([], dtype=pl.Utf8)
    )
    dup = base[dup_index].with_columns(
        guest_id=profile_ids(people.person[dup_index], system),
        source_system=pl.Series(["pms", "crm", "ota"]).gather(system),
        _system=pl.Series(system),
        _style=pl.Series(style),
        _typo=pl.Series(typo),
        _relay=relay,
        _token=token,
        created_at=duplicate_created_at.gather(dup_index),
    )
    crm_email = (
        pl.when(pl.col("_style") == 0)
        .then("  " + pl.col("email").str.to_titlecase() + " ")
        .when(pl.col("_style") == 1)
        .then(pl.col("email").str.to_uppercase())
        .otherwise(pl.col("email").str.replace(r"^(\w)", r"${1}").str.to_titlecase())
    )
    phone_other = (
        pl.when(pl.col("_style") == 0)
        .then(
            "00"
            + pl.col("dial")
            + " "
            + pl.col("digits").str.slice(0, 3)
            + " "
            + pl.col("digits").str.slice(3, 3)
            + " "
            + pl.col("digits").str.slice(6)
        )
        .when(pl.col("_style") == 1)
        .then(pl.col("digits"))
        .otherwise(
            "+"
            + pl.col("dial")
            + " "
            + pl.col("digits").str.slice(0, 3)
            + "-"
            + pl.col("digits").str.slice(3)
        )
    )
    typo_name = pl.col("last_name").str.slice(0, 1) + pl.col("last_name").str.slice(2)
    dup = dup.with_columns(
        email=pl.when(pl.col("_system") == 2)
        .then(pl.col("_token") + "@" + pl.col("_relay"))
        .otherwise(crm_email),
        phone=phone_other,
        last_name=pl.when(pl.col("_typo") & (pl.col("_system") == 1))
        .then(typo_name)
        .when(pl.col("_system") == 2)
        .then(pl.col("last_name").str.to_uppercase())
        .otherwise(pl.col("last_name")),
        address=pl.when(pl.col("_system") == 2).then(None).otherwise(pl.col("address")),
        birth_date=pl.when(pl.col("_system") == 2).then(None).otherwise(pl.col("birth_date")),
        marketing_consent=pl.when(pl.col("_system") == 2)
        .then(False)
        .otherwise(pl.col("marketing_consent")),
        email_opt_in=pl.when(pl.col("_system") == 2).then(False).otherwise(pl.col("email_opt_in")),
        sms_opt_in=pl.when(pl.col("_system") == 2).then(False).otherwise(pl.col("sms_opt_in")),
        loyalty_member=pl.when(pl.col("_system") == 2)
        .then(False)
        .otherwise(pl.col("loyalty_member")),
    )
    columns = [
        "guest_id",
        "source_system",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "address",
        "city",
        "country",
        "language",
        "created_at",
        "marketing_consent",
        "email_opt_in",
        "sms_opt_in",
        "loyalty_member",
    ]
    return pl.concat([primary.select(columns), dup.select(columns)], how="vertical_relaxed")


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while value:
        value, rest = divmod(value, 36)
        out.append(digits[rest])
    return "".join(reversed(out)) or "0"
