"""``guestloyalty campaign create``: a contact list with a randomized, recorded holdout.

The guests come from a list in the published gold (``at_risk_guests``, ``next_best_action``
or a named query ``query:<name>`` returning ``guest_id``). Only guests we may contact on a
marketing channel (consent, as ``next_best_action`` says: channel email, sms or push) are
kept; they are split into treatment and control by :func:`assign_groups` (seeded), and

- the contact list (``<data>/exports/campaigns/<id>/contact_list.csv``) holds the treatment
  guests only: a control guest is never in it;
- every kept guest, treatment or control, is written to
  ``landing/campaign_members/campaign_members-<id>.csv`` in the ``campaign_members``
  contract, so the next ingest loads it into bronze and gold measures the campaign.

Targeting: ``risk`` keeps the list's own order (at_risk_rank, or churn probability);
``uplift`` ranks by expected incremental value minus cost (estimated uplift x the value of a
return - cost per offer, :mod:`guestloyalty.campaigns.targeting`) and keeps the guests whose
expected net value is above 0 (or the ``budget`` best). Which one was used is in the result,
in every member row (``selected_from``) and in the contact list.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from guestloyalty.campaigns.assignment import assign_groups
from guestloyalty.campaigns.targeting import MARKETING_CHANNELS
from guestloyalty.contracts import CampaignMember
from guestloyalty.errors import GuestLoyaltyError
from guestloyalty.warehouse import Layout, connect

SOURCES = ("at_risk_guests", "next_best_action")
TARGETING = ("risk", "uplift")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_WINDOW_DAYS = 60


class CampaignError(GuestLoyaltyError):
    """A campaign cannot be created as asked (unknown list, name taken, nothing to send)."""


@dataclass
class CampaignExport:
    """What ``create_campaign`` wrote."""

    campaign_id: str
    selected_from: str
    targeting: str
    listed: int
    not_contactable: int
    treatment: int
    control: int
    assigned_at: dt.datetime
    members_path: Path
    contacts_path: Path
    notes: list[str] = field(default_factory=list)


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise CampaignError(
            f"campaign name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit"
        )
    return name


def members_path(layout: Layout, campaign_id: str) -> Path:
    return layout.landing_entity_dir("campaign_members") / f"campaign_members-{campaign_id}.csv"


def contacts_path(layout: Layout, campaign_id: str) -> Path:
    return layout.data_dir / "exports" / "campaigns" / campaign_id / "contact_list.csv"


def _candidates(con, source: str) -> list[tuple]:  # noqa: ANN001 - duckdb connection
    """(guest_id, may_contact, channel, offer_id, churn_probability, clv) in list order."""
    if source == "at_risk_guests":
        sql = (
            "select guest_id, may_contact, channel, offer_id, churn_probability, clv_horizon "
            "from at_risk_guests order by at_risk_rank, guest_id"
        )
        return con.execute(sql).fetchall()
    if source == "next_best_action":
        first = "target_rank nulls last, " if _has_column(con, source, "target_rank") else ""
        sql = (
            "select guest_id, may_contact, channel, offer_id, churn_probability, clv_horizon "
            f"from next_best_action order by {first}churn_probability desc, clv_horizon desc, "
            "guest_id"
        )
        return con.execute(sql).fetchall()
    if source.startswith("query:"):
        from guestloyalty.queries import get, relation

        query = get(source.removeprefix("query:"))
        rel = relation(con, query, query.values({}), limit=None)
        if "guest_id" not in rel.columns:
            raise CampaignError(f"{source} returns no guest_id column; it cannot feed a campaign")
        ids = [row[0] for row in rel.select("guest_id").fetchall()]
        actions = {
            row[0]: row
            for row in con.execute(
                "select guest_id, may_contact, channel, offer_id, churn_probability, "
                "clv_horizon from next_best_action"
            ).fetchall()
        }
        # a guest the actions do not know has no consent on record: not contactable
        return [actions.get(g, (g, False, "none", None, None, None)) for g in dict.fromkeys(ids)]
    raise CampaignError(
        f"unknown list {source!r}; use at_risk_guests, next_best_action or query:<name>"
    )


def _has_column(con, table: str, column: str) -> bool:  # noqa: ANN001
    sql = "select count(*) from information_schema.columns where table_name = ? and column_name = ?"
    return con.execute(sql, [table, column]).fetchone()[0] > 0


def _nba_targeting(con) -> str:  # noqa: ANN001
    """How next_best_action ranked its guests (its targeting column), in words."""
    if not _has_column(con, "next_best_action", "targeting"):
        return "risk"
    used = [row[0] for row in con.execute(
        "select targeting, count(*) from next_best_action group by all order by 2 desc"
    ).fetchall()]  # fmt: skip
    return " then ".join(used) if used else "risk"


def _offer_known(con, offer_id: str) -> bool:  # noqa: ANN001
    rows = con.execute("select count(*) from offer_catalog where offer_id = ?", [offer_id])
    return rows.fetchone()[0] > 0


def create_campaign(
    layout: Layout,
    name: str,
    *,
    source: str,
    holdout: float = 0.1,
    offer_id: str | None = None,
    seed: int = 0,
    targeting: str = "risk",
    budget: int | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    offer_cost: float | None = None,
    currency: str = "EUR",
) -> CampaignExport:
    """Select, check consent, randomize and write the contact list and the members file."""
    campaign_id = _check_name(name)
    if targeting not in TARGETING:
        raise CampaignError(f"--target must be one of {', '.join(TARGETING)} (got {targeting!r})")
    if not 0.0 <= holdout < 1.0:
        raise CampaignError(f"--holdout must be within 0..1 (got {holdout})")
    if budget is not None and budget < 1:
        raise CampaignError(f"--budget must be at least 1 (got {budget})")
    members_file, contacts_file = (
        members_path(layout, campaign_id),
        contacts_path(layout, campaign_id),
    )
    if members_file.exists() or contacts_file.exists():
        taken = members_file if members_file.exists() else contacts_file
        raise CampaignError(f"campaign {campaign_id} exists already ({taken}); choose another name")
    if not layout.gold_path.exists():
        raise CampaignError(
            f"{layout.gold_path}: no published gold; run `guestloyalty pipeline` first"
        )
    notes: list[str] = []
    with connect(layout.gold_path, read_only=True) as con:
        rows = _candidates(con, source)
        if offer_id is not None and not _offer_known(con, offer_id):
            raise CampaignError(f"--offer {offer_id}: not in offer_catalog")
        as_of = con.execute("select as_of_date from run_context").fetchone()[0]
        contactable = [r for r in rows if r[1] and r[2] in MARKETING_CHANNELS]
        not_contactable = len(rows) - len(contactable)
        if targeting == "uplift" and contactable:
            from guestloyalty.campaigns.targeting import current_guests, fit_uplift

            model, _ = fit_uplift(con, random_state=seed)
            current = current_guests(con)
            index = {g: i for i, g in enumerate(current.guest_id)}
            kept = [r for r in contactable if r[0] in index]
            at = np.array([index[r[0]] for r in kept], dtype=np.int64)
            uplift = model.predict(current.X[at]) if len(at) else np.zeros(0)
            net = uplift * current.value_per_return[at] - (offer_cost or 0.0)
            order = np.argsort(-net, kind="stable")
            order = order[net[order] > 0] if budget is None else order[:budget]
            contactable = [kept[i] for i in order]
            qini = model.scores_.get(model.learner_, float("nan"))
            notes.append(
                f"targeting by expected incremental value minus cost (uplift learner "
                f"{model.learner_}, held-out campaign Qini {qini:.3f})"
            )
        elif budget is not None:
            contactable = contactable[:budget]
        if targeting == "risk" and source == "next_best_action":
            notes.append(
                f"targeting: next_best_action in its own order (target_rank by "
                f"{_nba_targeting(con)})"
            )
    if targeting == "risk" and source != "next_best_action":
        notes.append(f"targeting by risk: {source} in its own order")
    if not contactable:
        raise CampaignError(
            f"{source}: no guest we may contact on a marketing channel; nothing written"
        )
    ids = [r[0] for r in contactable]
    treated = assign_groups(ids, campaign_id=campaign_id, holdout=holdout, seed=seed)
    assigned_at = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0, 0))
    selected_from = f"{source} (targeting: {targeting})"
    members_file.parent.mkdir(parents=True, exist_ok=True)
    contacts_file.parent.mkdir(parents=True, exist_ok=True)
    columns = CampaignMember.columns()
    partial_members = members_file.with_name(members_file.name + ".partial")
    partial_contacts = contacts_file.with_name(contacts_file.name + ".partial")
    with partial_members.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row, is_treated in zip(contactable, treated, strict=True):
            record = {
                "campaign_id": campaign_id,
                "guest_id": row[0],
                "assigned_group": "treatment" if is_treated else "control",
                "assigned_at": assigned_at.strftime("%Y-%m-%d %H:%M:%S"),
                "source_system": None,
                "campaign_name": name,
                "offer_id": offer_id or row[3],
                "window_days": window_days,
                "offer_cost": offer_cost,
                "currency": currency,
                "selected_from": selected_from,
            }
            writer.writerow(["" if record[c] is None else record[c] for c in columns])
    with partial_contacts.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["campaign_id", "guest_id", "channel", "offer_id", "targeting"])
        for row, is_treated in zip(contactable, treated, strict=True):
            if is_treated:
                writer.writerow([campaign_id, row[0], row[2], offer_id or row[3], targeting])
    # the members file lands only with its contact list: both or neither
    partial_contacts.replace(contacts_file)
    partial_members.replace(members_file)
    return CampaignExport(
        campaign_id=campaign_id,
        selected_from=source,
        targeting=targeting,
        listed=len(rows),
        not_contactable=not_contactable,
        treatment=int(treated.sum()),
        control=int((~treated).sum()),
        assigned_at=assigned_at,
        members_path=members_file,
        contacts_path=contacts_file,
        notes=notes,
    )
