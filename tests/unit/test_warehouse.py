import duckdb
import pytest

from guestloyalty.errors import NoDataError
from guestloyalty.warehouse import Layout, publish_gold, start_gold_build


def _make_gold(path, value):
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select ? as v", [value])


def test_publish_replaces_gold_and_old_readers_keep_their_snapshot(tmp_path):
    layout = Layout(tmp_path)
    layout.ensure_dirs()
    _make_gold(start_gold_build(layout), 1)
    publish_gold(layout)
    reader = duckdb.connect(str(layout.gold_path), read_only=True)
    _make_gold(start_gold_build(layout), 2)
    publish_gold(layout)
    assert reader.execute("select v from t").fetchone()[0] == 1
    reader.close()
    with duckdb.connect(str(layout.gold_path), read_only=True) as fresh:
        assert fresh.execute("select v from t").fetchone()[0] == 2
    assert not layout.build_dir.exists()


def test_publish_without_build_fails_clearly(tmp_path):
    with pytest.raises(NoDataError, match="guestloyalty transform"):
        publish_gold(Layout(tmp_path))


def test_start_build_clears_a_crashed_build(tmp_path):
    layout = Layout(tmp_path)
    layout.build_dir.mkdir(parents=True)
    (layout.build_dir / "gold.duckdb").write_bytes(b"half written")
    (layout.build_dir / "left_over.tmp").write_bytes(b"x")
    path = start_gold_build(layout)
    # a fresh, empty database in the gold storage format, nothing of the crashed build
    assert sorted(p.name for p in layout.build_dir.iterdir()) == ["gold.duckdb"]
    assert path.read_bytes()[8:12] == b"DUCK"
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("select count(*) from duckdb_tables()").fetchall() == [(0,)]
