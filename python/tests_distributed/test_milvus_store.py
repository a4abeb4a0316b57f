"""MilvusStore against Milvus Lite: schema, the recorded model, upserts by path, index kinds,
and every bad row refused with a message naming it."""
import numpy as np
import pytest
from conftest import unit_rows

from clipsearch.distributed import MilvusStore, milvus_index, milvus_rows, row_id
from clipsearch.errors import CatalogError, QueryError

MODEL = {"name": "tiny-clip", "precision": "f32"}


def test_row_id_is_stable_and_exact_in_javascript():
    assert row_id("/photos/a.jpg") == row_id("/photos/a.jpg")
    assert row_id("/photos/a.jpg") != row_id("/photos/b.jpg")
    ids = [row_id(f"/p/{i}") for i in range(1000)]
    assert all(0 <= i < 2**53 for i in ids)
    assert len(set(ids)) == 1000
    # The first 53 bits of SHA-256 of the path: the same on every machine (SHA-256("") starts
    # e3b0c44298fc1c14).
    assert row_id("") == 0xe3b0c44298fc1c14 >> 11


def test_create_records_the_model_and_is_idempotent(milvus_uri):
    store = MilvusStore(milvus_uri, "photos")
    store.create(8, MODEL)
    store.create(8, MODEL)
    assert store.model() == {"name": "tiny-clip", "precision": "f32", "embed_dim": 8}
    assert store.count() == 0
    assert store.index_info()["kind"] == "flat"
    with pytest.raises(CatalogError, match="tiny-clip.*other-clip"):
        store.create(8, {"name": "other-clip", "precision": "f32"})
    with pytest.raises(CatalogError, match='"embed_dim": 8.*"embed_dim": 16'):
        store.create(16, MODEL)
    with pytest.raises(QueryError, match="dim=0"):
        MilvusStore(milvus_uri, "other").create(0, MODEL)


def test_upsert_twice_never_duplicates(milvus_uri):
    store = MilvusStore(milvus_uri, "photos")
    store.create(8, MODEL)
    rows = unit_rows(50, 8)
    assert store.upsert(rows) == 50
    assert store.upsert(rows[10:30]) == 20
    assert store.count() == 50
    got = store.get([row_id(rows[9]["path"])], ["path", "size", "camera", "color", "embedding"])
    assert got[0]["path"] == rows[9]["path"] and got[0]["size"] == 1009
    assert got[0]["camera"] == "Canon EOS R5"
    assert list(got[0]["color"]) == [] and rows[9]["color"].size == 0
    np.testing.assert_array_equal(np.asarray(got[0]["embedding"], np.float32), rows[9]["embedding"])
    # A second client (another process would do the same) sees the rows and the model.
    again = MilvusStore(milvus_uri, "photos")
    assert again.count() == 50 and again.model()["embed_dim"] == 8


def test_bad_rows_are_refused_naming_the_row(milvus_uri):
    store = MilvusStore(milvus_uri, "photos")
    store.create(8, MODEL)
    good = unit_rows(1, 8)[0]
    cases = [
        ({k: v for k, v in good.items() if k != "taken_ns"}, "/photos/00000.jpg: the row has no "
                                                             "taken_ns"),
        (dict(good, embedding=np.ones(4, np.float32) / 2), "'embedding' has 4 values, expected 8"),
        (dict(good, embedding=np.ones(8, np.float32)), "expected a unit vector"),
        (dict(good, color=np.ones(3, np.float32)), "'color' has 3 values, expected 0 or 16"),
        (dict(good, size="big"), "'size' must be an int"),
        (dict(good, path="/photos/\udcff.jpg"), "not valid UTF-8"),
        (dict(good, path="/" + "a" * 5000), "at most 4096"),
        (dict(good, embedding=np.full(8, np.nan, np.float32)), "NaN"),
    ]
    for row, message in cases:
        with pytest.raises(QueryError, match=message.replace("(", r"\(")):
            store.upsert([row])
    assert store.count() == 0


def test_two_paths_with_one_id_are_refused(milvus_uri, monkeypatch):
    store = MilvusStore(milvus_uri, "photos")
    store.create(8, MODEL)
    rows = unit_rows(2, 8)
    store.upsert(rows[:1])
    monkeypatch.setattr(milvus_rows, "row_id", lambda path: row_id(rows[0]["path"]))
    with pytest.raises(CatalogError, match="00000.jpg' and '/photos/00001.jpg' have the same id"):
        store.upsert(rows[1:])
    assert store.count() == 1


def test_missing_collection_is_named(milvus_uri):
    with pytest.raises(CatalogError, match="no collection 'nothing'"):
        MilvusStore(milvus_uri, "nothing").count()


def test_index_chosen_by_size():
    assert milvus_index.choose("auto", 0) == "flat"
    assert milvus_index.choose("auto", milvus_index.EXACT_MAX_ROWS) == "flat"
    assert milvus_index.choose("auto", milvus_index.EXACT_MAX_ROWS + 1) == "hnsw"
    assert milvus_index.choose("auto", milvus_index.HNSW_MAX_ROWS + 1) == "diskann"
    assert milvus_index.choose("IVF_FLAT", 5) == "ivf_flat"
    with pytest.raises(QueryError, match="index='annoy'"):
        milvus_index.choose("annoy", 5)


@pytest.mark.parametrize("kind", milvus_index.KINDS)
def test_every_index_kind_builds_and_finds_a_row(milvus_uri, kind):
    store = MilvusStore(milvus_uri, "photos")
    store.create(8, MODEL, index=kind)
    rows = unit_rows(300, 8)
    store.upsert(rows)
    assert store.index_info()["kind"] == kind
    hits = store.search(rows[42]["embedding"], "", 5)
    assert hits[0]["path"] == rows[42]["path"]
    assert hits[0]["score"] == pytest.approx(1, abs=1e-5)


def test_set_index_switches_kind(milvus_uri):
    store = MilvusStore(milvus_uri, "photos")
    store.create(8, MODEL)
    store.upsert(unit_rows(100, 8))
    assert store.set_index("hnsw") == "hnsw"
    assert MilvusStore(milvus_uri, "photos").index_info()["kind"] == "hnsw"
    assert store.set_index("auto") == "flat"
    assert store.count() == 100
