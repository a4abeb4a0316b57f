"""The Ray pipeline on a local cluster (head + worker node): the embeddings and facts of
`clipsearch index` for every file, into parquet and Milvus Lite, each image exactly once after a
killed actor or a killed job; failures recorded with the indexer's messages; Ray really ran."""
import os
import threading
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from ray_fixtures import (PICTURES, cluster, connected, cosines, kill, library,  # noqa: F401
                          local_index, run_cli, worker_pids)

COSINE = 0.99999


def read_parquet_output(folder):
    """{path: (metadata row, embedding)} of every part, asserting no path is there twice."""
    rows = {}
    for name in sorted(os.listdir(os.path.join(folder, "img_emb"))):
        i = name[len("img_emb_"):-len(".npy")]
        vectors = np.load(os.path.join(folder, "img_emb", name))
        meta = pq.read_table(os.path.join(folder, "metadata", f"metadata_{i}.parquet")).to_pylist()
        assert len(meta) == len(vectors)
        for row, v in zip(meta, vectors):
            assert row["image_path"] not in rows, f"{row['image_path']} written twice"
            rows[row["image_path"]] = (row, v)
    return rows


def assert_same_as_local(rows, local_index):
    """Every image of the local catalog once, embedding cosine >= COSINE, the same facts.
    Returns how many embeddings are bit-identical."""
    local, _ = local_index
    assert sorted(rows) == sorted(local)
    paths = sorted(local)
    ours = np.stack([rows[p][1] for p in paths])
    theirs = np.stack([local[p][1] for p in paths])
    assert cosines(ours, theirs).min() >= COSINE
    for p in paths:
        row, image = rows[p][0], local[p][0]
        assert (row["width"], row["height"], row["format"], row["size"], row["taken_ns"]) == \
            (image.width, image.height, image.format, image.size, image.taken_ns), p
    return int(np.sum(np.all(ours == theirs, axis=1)))


def test_parquet_equals_clipsearch_index(library, local_index, connected, tmp_path):
    from clipsearch.distributed import index, row_id
    model, pictures = library
    out = str(tmp_path / "out")
    report = index([pictures], model=model, output=out, actors=2, shard_size=500,
                   progress=False)
    rows = read_parquet_output(out)
    identical = assert_same_as_local(rows, local_index)
    print(f"bit-identical: {identical} of {len(rows)}")
    assert all(r["id"] == row_id(p) for p, (r, _) in rows.items())
    assert len(rows[next(iter(rows))][0]["color"]) == 16
    # The failures the single-machine indexer records, with the same messages.
    assert sorted(report.failures) == sorted(local_index[1].failures)
    assert (report.written, report.failed, report.not_images) == (PICTURES, 2, 1)
    # Ray ran it: decode tasks in worker processes (not this one), embedding actors (Ray Data
    # starts the second of the pool when the cluster's CPUs allow).
    assert report.decoded_by and not any(w.endswith(f":{os.getpid()}") for w in
                                         report.decoded_by)
    assert 1 <= len(report.actors) <= 2
    assert report.shards == report.shards_written == 5
    # clip-retrieval's layout, as Library.import_embeddings reads it: no image embedded again.
    import clipsearch
    imported = clipsearch.Library(str(tmp_path / "c.db"), model).import_embeddings(out)
    assert imported.imported == PICTURES and imported.embedded == PICTURES


def test_milvus_lite_from_a_file_uri(library, local_index, connected, tmp_path):
    from clipsearch.distributed import MilvusStore, index
    model, pictures = library
    db = str(tmp_path / "m.db")
    report = index([f"file://{pictures}"], model=model, milvus=db, collection="photos",
                   progress=False)
    store = MilvusStore(db, "photos")
    assert store.count() == PICTURES == report.written
    got = store.query("", ["path", "embedding", "width", "height", "format", "size",
                           "taken_ns"], limit=PICTURES + 10)
    rows = {r["path"]: (r, np.asarray(r["embedding"], np.float32)) for r in got}
    assert len(rows) == len(got)
    assert_same_as_local(rows, local_index)
    assert len(report.actors) == 1 and report.decoded_by
    store.close()


def test_killed_workers_are_replaced_and_every_image_written_once(library, local_index,
                                                                  connected, tmp_path):
    """A decode task's worker process and the embedding actor's, each SIGKILLed in mid-job:
    Ray runs the task again and restarts the actor; the output is still every image once."""
    from clipsearch.distributed import index
    model, pictures = library
    out = str(tmp_path / "out")
    result = {}
    job = threading.Thread(target=lambda: result.update(report=index(
        [pictures], model=model, output=out, shard_size=100, batch_size=8, progress=False)))
    job.start()
    done = os.path.join(out, "_job", "done")
    killed = {}
    titles = ("MapBatches(prepare_files)", "MapWorker(MapBatches(Embedder))")
    while job.is_alive() and len(killed) < len(titles):
        started = os.path.isdir(done) and os.listdir(done)
        for title in titles:
            pids = worker_pids(connected, title) if started and title not in killed else []
            if pids:
                kill(pids[0])
                killed[title] = pids[0]
        time.sleep(0.02)
    job.join()
    assert sorted(killed) == sorted(titles), f"the job ended before both were killed: {killed}"
    report = result["report"]
    assert len(report.actors) == 1 and len(report.embedded_by) >= 2  # one actor, restarted
    assert_same_as_local(read_parquet_output(out), local_index)


def test_restarted_job_writes_every_image_once(library, local_index, cluster, tmp_path):
    from clipsearch.distributed import MilvusStore
    model, pictures = library
    db = str(tmp_path / "m.db")
    args = ["index", "--model", model, "--milvus", db, "--collection", "photos",
            "--address", cluster.address, "--shard-size", "100", "--quiet", pictures]
    first = run_cli(*args)
    done = f"{db}.photos.job/done"
    while first.poll() is None and not (os.path.isdir(done) and len(os.listdir(done)) >= 3):
        time.sleep(0.05)
    first.kill()
    first.wait()
    finished = len(os.listdir(done))
    assert 3 <= finished < 21, "the job was not killed half-way"
    second = run_cli(*args[:-2], pictures)  # without --quiet: the summary line
    _, err = second.communicate()
    assert second.returncode == 3, err  # as clipsearch index: some files failed
    assert "failed: " in err and "truncated.jpg" in err
    assert f"({finished} of 21 done before)" in err or f"({finished + 1} of 21" in err, err
    store = MilvusStore(db, "photos")
    assert store.count() == PICTURES
    got = store.query("", ["path", "embedding", "width", "height", "format", "size",
                           "taken_ns"], limit=PICTURES + 10)
    assert_same_as_local({r["path"]: (r, np.asarray(r["embedding"], np.float32))
                          for r in got}, local_index)
    store.close()
