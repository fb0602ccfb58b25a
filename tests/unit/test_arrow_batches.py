"""The scale-out path in docs/scaling.md: features streamed from DuckDB in Arrow record batches
into xgboost's data iterator train the same model as the whole table in memory."""

from __future__ import annotations

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
duckdb = pytest.importorskip("duckdb")

FEATURES = ("recency", "frequency")
PARAMS = {"objective": "binary:logistic", "max_depth": 3, "tree_method": "hist", "nthread": 1}
QUERY = "select recency, frequency, churned from features order by guest_id"


class ArrowBatches(xgb.DataIter):
    """Feeds xgboost one Arrow record batch at a time from a DuckDB query."""

    def __init__(self, con, query: str, *, batch_size: int, **kwargs) -> None:  # noqa: ANN001
        self._con, self._query, self._batch_size = con, query, batch_size
        self._reader = None
        self.batches = 0
        super().__init__(**kwargs)

    def reset(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._reader = None

    def next(self, input_data) -> bool:  # noqa: ANN001
        if self._reader is None:
            self._reader = self._con.sql(self._query).to_arrow_reader(batch_size=self._batch_size)
        try:
            batch = self._reader.read_next_batch()
        except StopIteration:
            self.reset()
            return False
        X = np.column_stack([batch.column(name).to_numpy() for name in FEATURES])
        input_data(data=X.astype(np.float32), label=batch.column("churned").to_numpy())
        self.batches += 1
        return True


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute(
            "create table features as select i as guest_id, "
            "(i * 7919 % 1000) / 10.0 as recency, (i * 104729 % 997) / 97.0 as frequency, "
            "cast((i * 7919 % 1000) / 10.0 > 5 * ((i * 104729 % 997) / 97.0) as int) as churned "
            "from range(20000) as t(i)"
        )
        yield con


def _whole(con) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    table = con.sql(QUERY).to_arrow_table()
    X = np.column_stack([table.column(name).to_numpy() for name in FEATURES])
    return X.astype(np.float32), table.column("churned").to_numpy()


def test_quantile_dmatrix_from_arrow_batches_trains_the_same_model(con) -> None:  # noqa: ANN001
    X, y = _whole(con)
    batches = ArrowBatches(con, QUERY, batch_size=4096)

    streamed = xgb.train(PARAMS, xgb.QuantileDMatrix(batches), 10)
    in_memory = xgb.train(PARAMS, xgb.QuantileDMatrix(X, label=y), 10)

    assert batches.batches >= 5
    np.testing.assert_array_equal(
        streamed.predict(xgb.DMatrix(X)), in_memory.predict(xgb.DMatrix(X))
    )


def test_external_memory_matrix_from_arrow_batches(con, tmp_path) -> None:  # noqa: ANN001
    X, y = _whole(con)
    batches = ArrowBatches(con, QUERY, batch_size=4096, cache_prefix=str(tmp_path / "cache"))

    matrix = xgb.ExtMemQuantileDMatrix(batches)
    streamed = xgb.train(PARAMS, matrix, 10)
    in_memory = xgb.train(PARAMS, xgb.QuantileDMatrix(X, label=y), 10)

    assert matrix.num_row() == len(y)
    np.testing.assert_allclose(
        streamed.predict(xgb.DMatrix(X)), in_memory.predict(xgb.DMatrix(X)), atol=1e-6
    )
    del matrix, streamed
