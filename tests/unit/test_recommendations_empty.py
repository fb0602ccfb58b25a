"""A stays-only export (no rooms, properties or extras): the recommendation stage writes an
empty list instead of failing the run (CDNOW and groceryElog through their mappings)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import scipy.sparse as sp

from guestloyalty.models import recommend
from guestloyalty.scoring.recommendations import Catalog, StayData, recommendation_table


def test_no_item_history_gives_an_empty_list():
    history = recommend.Interactions(
        stay_guest=np.zeros(0, dtype=np.int64),
        stay_age_days=np.zeros(0),
        stay_items=sp.csr_matrix((0, 0)),
        item_kind=np.array([], dtype=object),
        item_id=np.array([], dtype=object),
        n_guests=0,
    )
    data = StayData(
        as_of=dt.date(1997, 9, 30),
        guest_ids=pl.Series("guest_id", [], dtype=pl.Utf8),
        history=history,
        history_checkout_age=np.zeros(0),
        targets=history,
    )
    model = recommend.fit(history)
    empty = pl.DataFrame()
    catalog = Catalog(
        names={},
        property_kind={},
        room_order={},
        offers=empty,
        complaints=empty,
        consent=empty,
        redeemed=empty,
    )
    table, kinds = recommendation_table(
        data, model, recommend.predict(model, history), catalog, version="v"
    )
    assert table.num_rows == 0
    assert kinds == {}
