"""Search through a FLAT Milvus collection (Milvus Lite) filled from a local catalog answers as
the local exact search: the same images in the same order (up to ties), scores within 1e-5,
the same candidate counts, with and without each filter."""
import os

import numpy as np
import pytest

from clipsearch.distributed import (MilvusLibrary, MilvusStore, catalog_model, catalog_rows,
                                    row_id)
from clipsearch.errors import CatalogError, QueryError


@pytest.fixture(scope="module")
def milvus(tmp_path_factory, local_library, library_files):
    db, _ = local_library
    uri = str(tmp_path_factory.mktemp("milvus") / "milvus.db")
    store = MilvusStore(uri, "photos")
    rows = [r for batch in catalog_rows(db, batch=16) for r in batch]
    store.create(len(rows[0]["embedding"]), catalog_model(db), index="flat")
    assert store.upsert(rows) == len(rows)
    assert store.count() == len(rows)  # Milvus holds every row: the engine answers below
    return MilvusLibrary(uri, "photos", model=library_files[0]), rows


def assert_same(local, remote):
    assert [h.path for h in remote] == [h.path for h in local] or _same_up_to_ties(local, remote)
    for a, b in zip(local, remote):
        assert b.score == pytest.approx(a.score, abs=1e-5)
        assert b.id == row_id(b.path)
        assert (b.size, b.width, b.height, b.format, b.taken_ns) == \
            (a.size, a.width, a.height, a.format, a.taken_ns)
    assert remote.candidates == local.candidates
    if local.candidates:
        assert remote.best_score == pytest.approx(local.best_score, abs=1e-5)


def _same_up_to_ties(local, remote):
    assert len(local) == len(remote)
    for a, b in zip(local, remote):
        if a.path != b.path:
            assert abs(a.score - b.score) <= 1e-5, (a.path, a.score, b.path, b.score)
    return True


QUERIES = [
    dict(text="a red circle"),
    dict(text=["a red circle", "a blue square"], k=7),
    dict(text="green", negative="a photo of people", negative_weight=0.8),
    dict(text="green", k=5, offset=4),
    dict(text="sand", k=50),
    dict(text="sand", min_score=0.0, k=30),
    dict(text="sand", folder="beach trip"),
    dict(text="sand", folder=["beach trip", "cameras"], k=40),
    dict(text="sand", format="jpg"),
    dict(text="sand", format=["PNG"], k=3, offset=2),
    dict(text="sand", min_size=2000, max_size=20000),
    dict(text="sand", since="2019-03-01", until="2019-06-15", k=20),
    dict(text="sand", until="2000-01-01"),
    dict(text="sand", k=0),
]


@pytest.mark.parametrize("query", QUERIES, ids=[str(q) for q in QUERIES])
def test_text_queries_and_filters_equal_the_local_search(milvus, local_library, library_files,
                                                         query):
    lib, _ = milvus
    photos = library_files[1]
    query = dict(query)
    if "folder" in query:  # relative to the photo library
        query["folder"] = [os.path.join(photos, f) for f in np.atleast_1d(query["folder"])]
    assert_same(local_library[1].search(**query), lib.search(**query))


def test_pictures_and_examples_equal_the_local_search(milvus, local_library, library_files):
    lib, rows = milvus
    local = local_library[1]
    photo = os.path.join(library_files[1], "photo_01.jpg")
    example = rows[5]["path"]
    for query in [dict(image=photo), dict(image=[photo, rows[2]["path"]], text="sand",
                                          image_weight=0.3),
                  dict(like=example), dict(like=[example, rows[9]["path"]], negative="blue",
                                           k=12),
                  dict(like=example, format=rows[5]["format"], k=5, offset=1)]:
        remote = lib.search(**query)
        assert_same(local.search(**query), remote)
        if "like" in query:
            assert example not in [h.path for h in remote]
    by_id = lib.search(like=row_id(example))
    assert [h.path for h in by_id] == [h.path for h in lib.search(like=example)]


def test_camera_filter_equals_a_brute_force_scan(milvus):
    lib, rows = milvus
    cameras = {r["camera"] for r in rows} - {""}
    assert cameras == {"Canon EOS R5", "NIKON Z 6", "Apple iPhone 12"}  # EXIF read by the indexer
    vector, _ = lib.query_vector("sand")
    allowed = [r for r in rows if r["camera"] in ("Canon EOS R5", "Apple iPhone 12")]
    scores = np.array([r["embedding"] for r in allowed]) @ vector
    order = np.argsort(-scores, kind="stable")[:6]
    got = lib.search("sand", camera=["Canon EOS R5", "Apple iPhone 12"], k=6)
    assert got.candidates == len(allowed) == 8
    assert [h.path for h in got] == [allowed[i]["path"] for i in order]
    np.testing.assert_allclose([h.score for h in got], scores[order], atol=1e-5)


def test_what_a_collection_cannot_answer_is_refused(milvus):
    lib, rows = milvus
    for option in [dict(color="navy"), dict(color_weight=0.5), dict(tag="dog"),
                   dict(album="Beach"), dict(sort="newest")]:
        with pytest.raises(QueryError, match="not supported when searching a Milvus") as e:
            lib.search("sand", **option)
        assert e.value.code == "unsupported"
    with pytest.raises(CatalogError, match="/nowhere.jpg: not in the collection") as e:
        lib.search(like="/nowhere.jpg")
    assert e.value.code == "not found"
    with pytest.raises(QueryError, match="nothing to search for"):
        lib.search()
    with pytest.raises(QueryError, match="offset must be 0 or more"):
        lib.search("sand", offset=-1)
    with pytest.raises(QueryError, match="image weight must be between 0 and 1"):
        lib.search("sand", image=rows[0]["path"], image_weight=2)
    with pytest.raises(QueryError, match="Milvus ranks at most 16384"):
        lib.search("sand", k=20000)


def test_filtered_searches_can_skip_the_count(milvus):
    lib, _ = milvus
    counted = lib.search_rows("sand", format="jpeg", k=5)
    uncounted = lib.search_rows("sand", format="jpeg", k=5, count_filtered=False)
    assert counted[1] > 0 and uncounted[1] == -1
    assert [r["path"] for r in uncounted[0]] == [r["path"] for r in counted[0]]
