"""Entity contracts: the single source of truth for the columns of every bronze entity.

One pydantic model per entity. A field without a default is required in every file of that
entity; a field defaulting to ``None`` is optional. ``Literal`` types list allowed values.
The generator writes these columns, ingest checks file headers against them, and the dbt
sources document them (a test keeps the two in step).

Bronze stores every column as text exactly as received; these types say what silver casts to.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Channel = Literal["direct_web", "direct_app", "direct_phone", "ota", "gds", "corporate", "group"]
BookingStatus = Literal["confirmed", "cancelled", "no_show", "checked_out"]
TripPurpose = Literal["business", "leisure", "family", "group"]
EngagementEventType = Literal[
    "email_send",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "sms_send",
    "sms_click",
    "push_send",
    "push_open",
    "app_session",
    "web_session",
    "social_mention",
    "social_share",
]
LoyaltyTransactionType = Literal["earn", "redeem", "expire", "adjust", "tier_change"]
PreferenceType = Literal["room", "floor", "pillow", "dining", "amenity"]
CampaignGroup = Literal["treatment", "control"]


class EntityContract(BaseModel):
    """Base for entity contracts; subclasses declare columns as fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: ClassVar[str]
    key: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    pii_columns: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def columns(cls) -> list[str]:
        """All canonical columns, in contract order."""
        return list(cls.model_fields)

    @classmethod
    def required_columns(cls) -> list[str]:
        """Columns every file of this entity must have."""
        return [name for name, field in cls.model_fields.items() if field.is_required()]

    @classmethod
    def allowed_values(cls) -> dict[str, tuple[str, ...]]:
        """Enum columns and the values they accept."""
        out: dict[str, tuple[str, ...]] = {}
        for name, field in cls.model_fields.items():
            values = _literal_values(field.annotation)
            if values:
                out[name] = values
        return out

    @classmethod
    def column_types(cls) -> dict[str, str]:
        """Column name -> the SQL type silver casts it to."""
        return {name: _sql_type(field.annotation) for name, field in cls.model_fields.items()}


def _strip_optional(annotation: object) -> object:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _literal_values(annotation: object) -> tuple[str, ...]:
    inner = _strip_optional(annotation)
    if typing.get_origin(inner) is Literal:
        return tuple(str(v) for v in typing.get_args(inner))
    return ()


def _sql_type(annotation: object) -> str:
    inner = _strip_optional(annotation)
    if typing.get_origin(inner) is Literal:
        return "varchar"
    return {
        str: "varchar",
        int: "integer",
        float: "double",
        bool: "boolean",
        dt.date: "date",
        dt.datetime: "timestamp",
    }.get(inner, "varchar")  # type: ignore[arg-type]


class Guest(EntityContract):
    entity: ClassVar[str] = "guests"
    key: ClassVar[tuple[str, ...]] = ("source_system", "guest_id")
    description: ClassVar[str] = "Guest profile from a PMS or CRM. Raw PII stays in bronze."
    pii_columns: ClassVar[tuple[str, ...]] = (
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "address",
    )

    guest_id: str
    source_system: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: dt.date | None = None
    address: str | None = None
    city: str | None = None
    country: str | None = None
    language: str | None = None
    created_at: dt.datetime | None = None
    marketing_consent: bool | None = None
    email_opt_in: bool | None = None
    sms_opt_in: bool | None = None
    loyalty_member: bool | None = None


class Booking(EntityContract):
    entity: ClassVar[str] = "bookings"
    key: ClassVar[tuple[str, ...]] = ("booking_id",)
    description: ClassVar[str] = "A reservation, whatever became of it."

    booking_id: str
    guest_id: str
    arrival_date: dt.date
    departure_date: dt.date
    status: BookingStatus
    source_system: str | None = None
    property_id: str | None = None
    booked_at: dt.datetime | None = None
    room_type: str | None = None
    rate_plan: str | None = None
    channel: Channel | None = None
    adults: int | None = None
    children: int | None = None
    cancelled_at: dt.datetime | None = None
    amount: float | None = None
    currency: str | None = None
    purpose: TripPurpose | None = None
    booking_changes: int | None = None


class Stay(EntityContract):
    entity: ClassVar[str] = "stays"
    key: ClassVar[tuple[str, ...]] = ("stay_id",)
    description: ClassVar[str] = (
        "A completed stay (folio). The minimum useful input: guest, check-in date, revenue."
    )

    guest_id: str
    check_in_date: dt.date
    total_revenue: float
    stay_id: str | None = None
    source_system: str | None = None
    booking_id: str | None = None
    property_id: str | None = None
    check_out_date: dt.date | None = None
    nights: int | None = None
    room_type: str | None = None
    room_revenue: float | None = None
    fnb_revenue: float | None = None
    spa_revenue: float | None = None
    other_revenue: float | None = None
    currency: str | None = None
    is_upgraded: bool | None = None
    had_service_failure: bool | None = None


class EngagementEvent(EntityContract):
    entity: ClassVar[str] = "engagement_events"
    key: ClassVar[tuple[str, ...]] = ("event_id",)
    description: ClassVar[str] = "Marketing sends, opens, clicks; app, web and social activity."

    guest_id: str
    event_type: EngagementEventType
    occurred_at: dt.datetime
    event_id: str | None = None
    source_system: str | None = None
    campaign_id: str | None = None


class LoyaltyTransaction(EntityContract):
    entity: ClassVar[str] = "loyalty_transactions"
    key: ClassVar[tuple[str, ...]] = ("transaction_id",)
    description: ClassVar[str] = "Points earned, redeemed, expired, adjusted; tier changes."

    guest_id: str
    transaction_type: LoyaltyTransactionType
    occurred_at: dt.datetime
    transaction_id: str | None = None
    source_system: str | None = None
    points: int | None = None
    tier: str | None = None
    reward: str | None = None
    stay_id: str | None = None


class Review(EntityContract):
    entity: ClassVar[str] = "reviews"
    key: ClassVar[tuple[str, ...]] = ("review_id",)
    description: ClassVar[str] = "Post-stay survey or public review."

    guest_id: str
    submitted_at: dt.datetime
    review_id: str | None = None
    source_system: str | None = None
    stay_id: str | None = None
    nps: int | None = None
    rating: int | None = None
    source: str | None = None
    review_text: str | None = None


class Preference(EntityContract):
    entity: ClassVar[str] = "preferences"
    key: ClassVar[tuple[str, ...]] = ("guest_id", "preference_type")
    description: ClassVar[str] = "Stated room, floor, pillow, dining and amenity preferences."

    guest_id: str
    preference_type: PreferenceType
    preference_value: str
    source_system: str | None = None
    updated_at: dt.datetime | None = None


class SpecialRequest(EntityContract):
    entity: ClassVar[str] = "special_requests"
    key: ClassVar[tuple[str, ...]] = ("request_id",)
    description: ClassVar[str] = "Per-booking requests (late check-out, crib, quiet room...)."

    booking_id: str
    request_type: str
    request_id: str | None = None
    source_system: str | None = None
    guest_id: str | None = None
    request_text: str | None = None
    created_at: dt.datetime | None = None


class CampaignMember(EntityContract):
    entity: ClassVar[str] = "campaign_members"
    key: ClassVar[tuple[str, ...]] = ("campaign_id", "source_system", "guest_id")
    description: ClassVar[str] = (
        "Every guest selected for a campaign, in its treatment (contacted) or control "
        "(randomized holdout, not contacted) group, with the campaign's window and offer."
    )

    campaign_id: str
    guest_id: str
    #: ``group`` is a reserved word in SQL: the column is ``assigned_group``.
    assigned_group: CampaignGroup
    assigned_at: dt.datetime
    source_system: str | None = None
    campaign_name: str | None = None
    offer_id: str | None = None
    #: Days after ``assigned_at`` in which a return or booking counts for the campaign.
    window_days: int | None = None
    #: What contacting one treatment guest costs (offer and send), in ``currency``.
    offer_cost: float | None = None
    currency: str | None = None
    #: The list the guests came from (at_risk_guests, next_best_action, query:<name>, ...).
    selected_from: str | None = None


CONTRACTS: dict[str, type[EntityContract]] = {
    contract.entity: contract
    for contract in (
        Guest,
        Booking,
        Stay,
        EngagementEvent,
        LoyaltyTransaction,
        Review,
        Preference,
        SpecialRequest,
        CampaignMember,
    )
}

ENTITIES: tuple[str, ...] = tuple(CONTRACTS)


def contract_for(entity: str) -> type[EntityContract]:
    """The contract of ``entity``; raises UnknownEntityError naming the known ones."""
    from guestloyalty.errors import UnknownEntityError

    try:
        return CONTRACTS[entity]
    except KeyError:
        raise UnknownEntityError(
            f"unknown entity {entity!r}; known entities: {', '.join(ENTITIES)}"
        ) from None
